package io.armature.vision.internal;

import org.opencv.core.Mat;
import org.opencv.videoio.VideoCapture;
import org.opencv.videoio.Videoio;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** A V4L2 camera (USB, or CSI with a V4L2 driver) through OpenCV's VideoCapture. */
@Component(service = {}, immediate = true, configurationPid = CameraSource.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = CameraSource.Config.class, factory = true)
public final class CameraSource extends SourceComponent<CameraSource.Config> {

    public static final String PID = "armature.vision.camera";

    @ObjectClassDefinition(name = "Armature camera (V4L2)", description = "A camera through V4L2; pipelines get its latest frame.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Source name: the armature.vision.source service property that pipelines name.")
        String name() default "front";

        @AttributeDefinition(name = "Device", description = "V4L2 device node, for example /dev/video0.")
        String device() default "/dev/video0";

        @AttributeDefinition(name = "Width (px)", description = "Requested frame width, 16..4096 pixels; the driver may choose the nearest it supports.")
        int width() default 640;

        @AttributeDefinition(name = "Height (px)", description = "Requested frame height, 16..4096 pixels.")
        int height() default 480;

        @AttributeDefinition(name = "Frame rate (fps)", description = "Requested frames per second, 1..240.")
        double fps() default 30;
    }

    @Activate
    void activate(Config c, BundleContext context) {
        start(c.name(), c, context);
    }

    @Modified
    void modified(Config c) {
        reconfigure(c.name(), c);
    }

    @Override
    protected Medium open(Config c) {
        String device = c.device() == null ? "" : c.device().trim();
        if (!device.startsWith("/dev/")) {
            throw new IllegalArgumentException("camera '" + c.name() + "': device must be a device node such as /dev/video0, was '" + c.device() + "'");
        }
        Names.range("width", c.width(), 16, 4096);
        Names.range("height", c.height(), 16, 4096);
        double fps = Names.range("fps", c.fps(), 1, 240);
        VideoCapture vc = new VideoCapture();
        if (!vc.open(device, Videoio.CAP_V4L2)) {
            vc.release();
            throw new IllegalArgumentException("camera '" + c.name() + "': cannot open " + device
                    + " through V4L2 (no such device, or no permission: add the user to the video group)");
        }
        vc.set(Videoio.CAP_PROP_FRAME_WIDTH, c.width());
        vc.set(Videoio.CAP_PROP_FRAME_HEIGHT, c.height());
        vc.set(Videoio.CAP_PROP_FPS, fps);
        vc.set(Videoio.CAP_PROP_BUFFERSIZE, 1); // a deeper driver queue would age every frame
        int w = (int) vc.get(Videoio.CAP_PROP_FRAME_WIDTH);
        int h = (int) vc.get(Videoio.CAP_PROP_FRAME_HEIGHT);
        return new Medium(new Medium.Format("camera", w, h, fps, false)) {
            public boolean capture(Mat into) {
                return vc.read(into);
            }

            public void close() {
                vc.release();
            }
        };
    }
}
