package io.armature.vision.internal;

import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.imgproc.Imgproc;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.vision.VisionSample;

/**
 * Line following: the pixels of the line's colour (an HSV range) in a band of rows near the
 * bottom of the frame, their centroid column, and from it the heading error
 * {@code atan((cx - u) / fx)} in rad, positive when the line lies to the left. A loop can use it
 * as its measurement (setpoint 0). Whole-image OpenCV calls only; the column sums come back in one
 * bulk copy, and nothing is allocated per frame once the frame size is known.
 */
@Component(service = {}, immediate = true, configurationPid = LinePipeline.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LinePipeline.Config.class, factory = true)
public final class LinePipeline extends PipelineBase<LinePipeline.Threshold> {

    public static final String PID = "armature.vision.line";

    @ObjectClassDefinition(name = "Armature line pipeline", description = "Colour threshold and centroid: the heading error to a floor line.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Pipeline name: the armature.vision.pipeline service property.")
        String name() default "line";

        @AttributeDefinition(name = "Source", description = "Name of the frame source to read.")
        String source() default "front";

        @AttributeDefinition(name = "HSV low", description = "Lower bound 'h,s,v' of the line's colour: h 0..180, s and v 0..255 (OpenCV's HSV).")
        String hsvLow() default "20,100,100";

        @AttributeDefinition(name = "HSV high", description = "Upper bound 'h,s,v' of the line's colour.")
        String hsvHigh() default "35,255,255";

        @AttributeDefinition(name = "Band top", description = "First row of the band searched, as a fraction of the height, 0..0.99.")
        double bandTop() default 0.6;

        @AttributeDefinition(name = "Least pixels", description = "Fewer line pixels than this in the band is 'no line', 1..1000000.")
        int minPixels() default 50;

        @AttributeDefinition(name = "fx (px)", description = "Focal length along x in pixels, from calibration.")
        double fx() default 554.256;

        @AttributeDefinition(name = "cx (px)", description = "Principal point x in pixels.")
        double cx() default 320;
    }

    /** Settings and buffers from one configuration. */
    static final class Threshold implements PipelineBase.Resources {
        final Scalar low;
        final Scalar high;
        final double bandTop;
        final int minPixels;
        final double fx;
        final double cx;
        final Mat hsv = new Mat();
        final Mat mask = new Mat();
        final Mat columnSums = new Mat();
        Mat band;
        int[] sums = new int[0];
        int bandFor = -1;

        Threshold(Config c) {
            low = hsv("hsvLow", c.hsvLow());
            high = hsv("hsvHigh", c.hsvHigh());
            bandTop = Names.range("bandTop", c.bandTop(), 0, 0.99);
            minPixels = Names.range("minPixels", c.minPixels(), 1, 1_000_000);
            fx = Names.range("fx", c.fx(), 1, 100_000);
            cx = Names.range("cx", c.cx(), 0, 100_000);
        }

        private static Scalar hsv(String what, String spec) {
            try {
                String[] p = Names.threeValues(spec);
                return new Scalar(Names.range(what + " h", Integer.parseInt(p[0]), 0, 180), Names.range(what + " s", Integer.parseInt(p[1]), 0, 255),
                        Names.range(what + " v", Integer.parseInt(p[2]), 0, 255));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " must be 'h,s,v' (h 0..180, s and v 0..255), was '" + spec + "'");
            }
        }

        @Override
        public void release() {
            hsv.release();
            mask.release();
            columnSums.release();
            if (band != null) {
                band.release();
            }
        }
    }

    @Activate
    void activate(Config c, BundleContext context) {
        start(c.name(), c.source(), name -> new Threshold(c), context);
    }

    @Modified
    void modified(Config c, BundleContext context) {
        restart(c.name(), c.source(), name -> new Threshold(c), context);
    }

    @Override
    public String kind() {
        return KIND_LINE;
    }

    @Override
    protected void process(Mat frame, long sequence, long stamp, VisionSample result) {
        Threshold t = resources();
        Imgproc.cvtColor(frame, t.hsv, Imgproc.COLOR_BGR2HSV);
        int top = (int) (frame.rows() * t.bandTop);
        if (t.bandFor != frame.rows() * 100_000 + frame.cols() || t.band == null) {
            // the frame size changed (or this is the first frame): a new view of the band
            if (t.band != null) {
                t.band.release();
            }
            t.band = t.hsv.rowRange(top, frame.rows());
            t.sums = new int[frame.cols()];
            t.bandFor = frame.rows() * 100_000 + frame.cols();
        }
        Core.inRange(t.band, t.low, t.high, t.mask);
        Core.reduce(t.mask, t.columnSums, 0, Core.REDUCE_SUM, CvType.CV_32S);
        t.columnSums.get(0, 0, t.sums);
        long total = 0;
        long weighted = 0;
        for (int u = 0; u < t.sums.length; u++) {
            total += t.sums[u];
            weighted += (long) u * t.sums[u];
        }
        long pixels = total / 255;
        if (pixels < t.minPixels) {
            result.set(sequence, stamp, System.nanoTime(), false, -1, Double.NaN, Double.NaN, 0);
        } else {
            double centroid = (double) weighted / total;
            double error = Math.atan((t.cx - centroid) / t.fx);
            result.set(sequence, stamp, System.nanoTime(), true, -1, error, Double.NaN, Math.min(1.0, pixels / (double) (t.minPixels * 10)));
        }
        emit(result);
    }
}
