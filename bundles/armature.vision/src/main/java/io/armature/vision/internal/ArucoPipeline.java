package io.armature.vision.internal;

import java.util.ArrayList;
import java.util.List;

import org.opencv.calib3d.Calib3d;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfDouble;
import org.opencv.core.MatOfPoint2f;
import org.opencv.core.MatOfPoint3f;
import org.opencv.core.Point;
import org.opencv.core.Point3;
import org.opencv.imgproc.Imgproc;
import org.opencv.objdetect.ArucoDetector;
import org.opencv.objdetect.DetectorParameters;
import org.opencv.objdetect.Objdetect;
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
 * ArUco markers with their pose: each detected marker's corners go through solvePnP (IPPE for
 * squares) with the configured calibration, giving its position in the camera frame, from which
 * the navigation target follows: bearing (rad, positive to the left) and horizontal range (m).
 * Listeners get one result per marker in the frame (one not-found result when there is none);
 * the pipeline's latest result is the configured target id, or the nearest marker.
 * <p>
 * A frame allocates nothing on the Java heap: the detector's corners come through the binding's
 * native entry point into preallocated arrays and each native corner Mat is freed right away
 * ({@link OpenCvBindingInternals}). Where this OpenCV build lacks that entry point, the pipeline
 * says so in one warning and detects through the public API, which allocates about 80 bytes a
 * frame plus 72 per marker in view.
 */
@Component(service = {}, immediate = true, configurationPid = ArucoPipeline.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ArucoPipeline.Config.class, factory = true)
public final class ArucoPipeline extends PipelineBase<ArucoPipeline.Detector> {

    public static final String PID = "armature.vision.aruco";
    private static final int MAX_MARKERS = 64;

    @ObjectClassDefinition(name = "Armature ArUco pipeline", description = "ArUco markers with pose from the camera calibration, as navigation targets.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Pipeline name: the armature.vision.pipeline service property.")
        String name() default "markers";

        @AttributeDefinition(name = "Source", description = "Name of the frame source to read.")
        String source() default "front";

        @AttributeDefinition(name = "Dictionary", description = "ArUco dictionary, for example DICT_4X4_50.")
        String dictionary() default "DICT_4X4_50";

        @AttributeDefinition(name = "Marker size (m)", description = "Side of the marker's black square, 0.005..5 m.")
        double markerSizeM() default 0.15;

        @AttributeDefinition(name = "Target id", description = "Marker id the latest result follows, -1 for the nearest marker.")
        int targetId() default -1;

        @AttributeDefinition(name = "fx (px)", description = "Focal length along x in pixels, from calibration.")
        double fx() default 554.256;

        @AttributeDefinition(name = "fy (px)", description = "Focal length along y in pixels, from calibration.")
        double fy() default 554.256;

        @AttributeDefinition(name = "cx (px)", description = "Principal point x in pixels.")
        double cx() default 320;

        @AttributeDefinition(name = "cy (px)", description = "Principal point y in pixels.")
        double cy() default 240;

        @AttributeDefinition(name = "Distortion", description = "OpenCV distortion coefficients 'k1 k2 p1 p2 k3', empty for none.")
        String distortion() default "0 0 0 0 0";
    }

    /** The detector and its preallocated buffers, built from one configuration. */
    static final class Detector implements PipelineBase.Resources {
        final ArucoDetector detector;
        final Mat gray = new Mat();
        /** The public API's corners, one Java Mat per marker (used without the binding's internals). */
        final List<Mat> corners = new ArrayList<>(MAX_MARKERS);
        /** The binding's vector_Mat: one row per marker holding its native corner Mat's address. */
        final Mat cornerAddresses = new Mat();
        final int[] addressWords = new int[2 * MAX_MARKERS];
        /** Each marker's four corners as x, y pairs (px), in detectMarkers' order. */
        final float[][] markerCorners = new float[MAX_MARKERS][8];
        final Mat ids = new Mat();
        final int[] idBuffer = new int[MAX_MARKERS];
        final MatOfPoint3f objectPoints;
        final MatOfPoint2f imagePoints = new MatOfPoint2f(new Point(), new Point(), new Point(), new Point());
        final Mat cameraMatrix;
        final MatOfDouble distortion;
        final Mat rvec = new Mat(3, 1, CvType.CV_64F);
        final Mat tvec = new Mat(3, 1, CvType.CV_64F);
        final double[] t = new double[3];
        final int targetId;

        Detector(Config c) {
            int dictionary = Names.arucoDictionary(c.dictionary());
            double s = Names.range("markerSizeM", c.markerSizeM(), 0.005, 5) / 2;
            targetId = Names.range("targetId", c.targetId(), -1, 10_000);
            CameraModel camera = CameraModel.of(c.fx(), c.fy(), c.cx(), c.cy(), c.distortion());
            DetectorParameters parameters = new DetectorParameters();
            parameters.set_cornerRefinementMethod(Objdetect.CORNER_REFINE_SUBPIX); // whole-pixel corners put a 40 px marker 3 % off in range
            detector = new ArucoDetector(Objdetect.getPredefinedDictionary(dictionary), parameters);
            // corner order of detectMarkers and of SOLVEPNP_IPPE_SQUARE: top-left, top-right, bottom-right, bottom-left
            objectPoints = new MatOfPoint3f(new Point3(-s, s, 0), new Point3(s, s, 0), new Point3(s, -s, 0), new Point3(-s, -s, 0));
            cameraMatrix = camera.matrix();
            distortion = camera.distortionMat();
        }

        /** Detects through the binding's internals; @return markers found (at most MAX_MARKERS), corners in markerCorners */
        int detectThroughInternals() {
            OpenCvBindingInternals.detectMarkers(detector, gray, cornerAddresses, ids);
            int count = cornerAddresses.rows();
            for (int first = 0; first < count; first += MAX_MARKERS) {
                int rows = Math.min(MAX_MARKERS, count - first);
                cornerAddresses.get(first, 0, addressWords);
                try {
                    for (int k = 0; first == 0 && k < rows; k++) {
                        OpenCvBindingInternals.getFloats(address(k), markerCorners[k]);
                    }
                } finally {
                    for (int k = 0; k < rows; k++) {
                        OpenCvBindingInternals.delete(address(k)); // the binding made each with new
                    }
                }
            }
            return Math.min(count, MAX_MARKERS);
        }

        private long address(int row) {
            return OpenCvBindingInternals.address(addressWords[2 * row], addressWords[2 * row + 1]);
        }

        /** Detects through the public API (allocates); @return markers found (at most MAX_MARKERS), corners in markerCorners */
        int detectThroughPublicApi() {
            detector.detectMarkers(gray, corners, ids);
            int count = corners.size();
            for (int i = 0; i < count; i++) {
                Mat c = corners.get(i);
                if (i < MAX_MARKERS) {
                    c.get(0, 0, markerCorners[i]);
                }
                c.release();
            }
            return Math.min(count, MAX_MARKERS);
        }

        @Override
        public void release() {
            gray.release();
            cornerAddresses.release();
            ids.release();
            objectPoints.release();
            imagePoints.release();
            cameraMatrix.release();
            distortion.release();
            rvec.release();
            tvec.release();
        }
    }

    private final VisionSample each = new VisionSample();
    private final boolean bindingInternals;

    public ArucoPipeline() {
        this(OpenCvBindingInternals.available());
    }

    /** @param bindingInternals detect through the binding's internals (when this build has them) rather than the public API */
    ArucoPipeline(boolean bindingInternals) {
        this.bindingInternals = bindingInternals && OpenCvBindingInternals.available();
    }

    @Activate
    void activate(Config c, BundleContext context) {
        start(c.name(), c.source(), name -> new Detector(c), context);
        OpenCvBindingInternals.warnWhenMissing(log, "aruco", c.name());
    }

    @Modified
    void modified(Config c, BundleContext context) {
        restart(c.name(), c.source(), name -> new Detector(c), context);
    }

    @Override
    public String kind() {
        return KIND_ARUCO;
    }

    @Override
    protected void process(Mat frame, long sequence, long stamp, VisionSample result) {
        Detector d = resources();
        Imgproc.cvtColor(frame, d.gray, Imgproc.COLOR_BGR2GRAY);
        int n = bindingInternals ? d.detectThroughInternals() : d.detectThroughPublicApi();
        if (n > 0) {
            d.ids.get(0, 0, d.idBuffer);
        }
        result.set(sequence, stamp, System.nanoTime(), false, -1, Double.NaN, Double.NaN, 0);
        for (int i = 0; i < n; i++) {
            // detectMarkers gives a 1x4 row; solvePnP wants a 4x1 column: copy the 8 floats across
            d.imagePoints.put(0, 0, d.markerCorners[i]);
            if (!Calib3d.solvePnP(d.objectPoints, d.imagePoints, d.cameraMatrix, d.distortion, d.rvec, d.tvec, false,
                    Calib3d.SOLVEPNP_IPPE_SQUARE)) {
                continue;
            }
            d.tvec.get(0, 0, d.t);
            double bearing = Math.atan2(-d.t[0], d.t[2]);
            double range = Math.hypot(d.t[0], d.t[2]);
            int id = d.idBuffer[i];
            each.set(sequence, stamp, System.nanoTime(), true, id, bearing, range, 1.0);
            emit(each);
            boolean better = d.targetId >= 0 ? id == d.targetId : !result.found() || range < result.distanceMeters();
            if (better) {
                result.copyFrom(each);
            }
        }
        if (!result.found()) {
            emit(result);
        }
    }
}
