package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Scalar;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.videoio.VideoWriter;

import io.armature.testing.ComponentConfigs;

/** Video files and image directories as sources: frames in order, looping or ending, and bad media refused in one line. */
class MediaSourcesTest {

    @BeforeAll
    static void opencv() {
        OpenCvNatives.load();
    }

    private static double blue(Mat frame) {
        double[] px = frame.get(frame.rows() / 2, frame.cols() / 2);
        return px[0];
    }

    @Test
    void videoFilePlaysItsFramesInOrderThenLoops(@TempDir Path dir) {
        Path file = dir.resolve("clip.avi");
        VideoWriter writer = new VideoWriter(file.toString(), VideoWriter.fourcc('M', 'J', 'P', 'G'), 25, new Size(160, 120));
        assertTrue(writer.isOpened(), "OpenCV writes MJPEG AVI");
        for (int i = 0; i < 5; i++) {
            Mat f = new Mat(120, 160, CvType.CV_8UC3, new Scalar(40 * i + 20, 0, 0));
            writer.write(f);
            f.release();
        }
        writer.release();

        VideoFileSource component = new VideoFileSource();
        Medium video = component.open(ComponentConfigs.of(VideoFileSource.Config.class, Map.of("file", file.toString())));
        Mat frame = new Mat();
        try {
            assertEquals(160, video.format().width());
            assertEquals(120, video.format().height());
            assertEquals(25, video.format().framesPerSecond(), 0.01, "the file's own rate");
            for (int i = 0; i < 7; i++) {
                assertTrue(video.capture(frame));
                assertEquals(40 * (i % 5) + 20, blue(frame), 6, "frame " + i + " (JPEG keeps the colour within a few levels)");
            }
        } finally {
            video.close();
        }

        Medium once = component.open(ComponentConfigs.of(VideoFileSource.Config.class, Map.of("file", file.toString(), "loop", false)));
        try {
            for (int i = 0; i < 5; i++) {
                assertTrue(once.capture(frame));
            }
            assertFalse(once.capture(frame));
            assertTrue(once.ended(), "without loop the source idles after the last frame");
        } finally {
            once.close();
        }
    }

    @Test
    void badVideoIsRefused(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.avi"), "not a video");
        VideoFileSource component = new VideoFileSource();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> component.open(ComponentConfigs.of(VideoFileSource.Config.class, Map.of("file", junk.toString()))));
        assertEquals("video 'video': OpenCV cannot decode " + junk, e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> component.open(ComponentConfigs.of(VideoFileSource.Config.class, Map.of("file", "/nonexistent/clip.avi"))));
        assertEquals("video 'video': file '/nonexistent/clip.avi' is missing or unreadable", e.getMessage());
    }

    @Test
    void imageDirectoryDeliversImagesInNameOrderAndRefusesMixedSizes(@TempDir Path dir) {
        for (int i = 0; i < 3; i++) {
            Mat f = new Mat(60, 80, CvType.CV_8UC3, new Scalar(50 * (i + 1), 0, 0));
            Imgcodecs.imwrite(dir.resolve("frame-" + i + ".png").toString(), f);
            f.release();
        }
        ImageDirectorySource component = new ImageDirectorySource();
        Medium images = component.open(ComponentConfigs.of(ImageDirectorySource.Config.class, Map.of("directory", dir.toString())));
        Mat frame = new Mat();
        try {
            for (int i = 0; i < 4; i++) {
                assertTrue(images.capture(frame));
                assertEquals(50 * (i % 3 + 1), blue(frame), 0.0, "image " + i);
            }
        } finally {
            images.close();
        }

        Mat odd = new Mat(10, 10, CvType.CV_8UC3, new Scalar(0, 0, 0));
        Imgcodecs.imwrite(dir.resolve("frame-9.png").toString(), odd);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> component.open(ComponentConfigs.of(ImageDirectorySource.Config.class, Map.of("directory", dir.toString()))));
        assertEquals("images 'images': frame-9.png is 10x10, not 80x60", e.getMessage());
    }

    @Test
    void missingCameraIsRefusedInOneLine() {
        CameraSource component = new CameraSource();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> component.open(ComponentConfigs.of(CameraSource.Config.class, Map.of("device", "/dev/video97"))));
        assertEquals("camera 'front': cannot open /dev/video97 through V4L2 (no such device, or no permission: add the user to the video group)",
                e.getMessage());
    }
}
