package io.armature.vision.internal;

import java.nio.file.Files;
import java.nio.file.Path;

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

/** A video file played at its own or a configured frame rate, looping or once. */
@Component(service = {}, immediate = true, configurationPid = VideoFileSource.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = VideoFileSource.Config.class, factory = true)
public final class VideoFileSource extends SourceComponent<VideoFileSource.Config> {

    public static final String PID = "armature.vision.video";

    @ObjectClassDefinition(name = "Armature video file source", description = "Plays a video file as a camera would deliver it.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Source name: the armature.vision.source service property that pipelines name.")
        String name() default "video";

        @AttributeDefinition(name = "File", description = "Path of the video file (any container and codec OpenCV reads; AVI with MJPEG always works).")
        String file();

        @AttributeDefinition(name = "Frame rate (fps)", description = "Frames per second to play at, 0 for the file's own rate, else 1..240.")
        double fps() default 0;

        @AttributeDefinition(name = "Loop", description = "Start again at the end; when false the source idles after the last frame.")
        boolean loop() default true;
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
        String file = c.file() == null ? "" : c.file().trim();
        if (file.isEmpty() || !Files.isReadable(Path.of(file))) {
            throw new IllegalArgumentException("video '" + c.name() + "': file '" + c.file() + "' is missing or unreadable");
        }
        if (c.fps() != 0) {
            Names.range("fps", c.fps(), 1, 240);
        }
        VideoCapture vc = new VideoCapture();
        if (!vc.open(file, Videoio.CAP_ANY) || vc.get(Videoio.CAP_PROP_FRAME_WIDTH) <= 0) {
            vc.release();
            throw new IllegalArgumentException("video '" + c.name() + "': OpenCV cannot decode " + file);
        }
        double own = vc.get(Videoio.CAP_PROP_FPS);
        double fps = c.fps() != 0 ? c.fps() : (own >= 1 && own <= 240 ? own : 30);
        int w = (int) vc.get(Videoio.CAP_PROP_FRAME_WIDTH);
        int h = (int) vc.get(Videoio.CAP_PROP_FRAME_HEIGHT);
        boolean loop = c.loop();
        return new Medium(new Medium.Format("video", w, h, fps, true)) {
            private boolean ended;

            public boolean capture(Mat into) {
                if (ended) {
                    return false;
                }
                if (vc.read(into)) {
                    return true;
                }
                if (!loop) {
                    ended = true;
                    return false;
                }
                vc.set(Videoio.CAP_PROP_POS_FRAMES, 0);
                return vc.read(into);
            }

            public boolean ended() {
                return ended;
            }

            public void close() {
                vc.release();
            }
        };
    }
}
