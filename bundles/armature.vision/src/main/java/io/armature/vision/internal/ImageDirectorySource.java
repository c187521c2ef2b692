package io.armature.vision.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The images of a directory (PNG, JPEG, BMP, in name order) as frames. They are decoded once,
 * when the source starts, so delivering them allocates nothing; {@code maxImages} bounds the memory.
 */
@Component(service = {}, immediate = true, configurationPid = ImageDirectorySource.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ImageDirectorySource.Config.class, factory = true)
public final class ImageDirectorySource extends SourceComponent<ImageDirectorySource.Config> {

    public static final String PID = "armature.vision.images";

    @ObjectClassDefinition(name = "Armature image directory source", description = "The images of a directory, in name order, as frames.")
    public @interface Config {
        @AttributeDefinition(name = "Name", description = "Source name: the armature.vision.source service property that pipelines name.")
        String name() default "images";

        @AttributeDefinition(name = "Directory", description = "Directory of .png, .jpg, .jpeg or .bmp images, all of one size.")
        String directory();

        @AttributeDefinition(name = "Frame rate (fps)", description = "Images per second, 0.1..240.")
        double fps() default 10;

        @AttributeDefinition(name = "Loop", description = "Start again after the last image; when false the source idles after it.")
        boolean loop() default true;

        @AttributeDefinition(name = "Most images", description = "At most this many images are loaded (each is held decoded in memory), 1..10000.")
        int maxImages() default 300;
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
        double fps = Names.range("fps", c.fps(), 0.1, 240);
        int max = Names.range("maxImages", c.maxImages(), 1, 10_000);
        Path dir = Path.of(c.directory() == null ? "" : c.directory().trim());
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().toLowerCase().matches(".*\\.(png|jpe?g|bmp)")).sorted().limit(max).toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("images '" + c.name() + "': cannot list directory '" + c.directory() + "': " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("images '" + c.name() + "': no .png, .jpg or .bmp image in '" + dir + "'");
        }
        List<Mat> images = new ArrayList<>();
        for (Path f : files) {
            Mat m = Imgcodecs.imread(f.toString(), Imgcodecs.IMREAD_COLOR);
            if (m.empty() || !images.isEmpty() && (m.cols() != images.get(0).cols() || m.rows() != images.get(0).rows())) {
                String why = m.empty() ? "cannot be decoded" : "is " + m.cols() + "x" + m.rows() + ", not " + images.get(0).cols() + "x" + images.get(0).rows();
                m.release();
                images.forEach(Mat::release);
                throw new IllegalArgumentException("images '" + c.name() + "': " + f.getFileName() + " " + why);
            }
            images.add(m);
        }
        Mat[] frames = images.toArray(Mat[]::new);
        boolean loop = c.loop();
        return new Medium(new Medium.Format("images", frames[0].cols(), frames[0].rows(), fps, true)) {
            private int next;
            private boolean ended;

            public boolean capture(Mat into) {
                if (ended) {
                    return false;
                }
                frames[next].copyTo(into);
                next++;
                if (next == frames.length) {
                    next = 0;
                    ended = !loop;
                }
                return true;
            }

            public boolean ended() {
                return ended;
            }

            public void close() {
                for (Mat m : frames) {
                    m.release();
                }
            }
        };
    }
}
