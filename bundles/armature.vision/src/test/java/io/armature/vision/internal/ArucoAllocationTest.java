package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;

import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionSample;

/**
 * The ArUco pipeline with markers in view, through the binding's internals: a frame allocates
 * nothing on the Java heap, frees every native Mat the detector makes, and reports exactly the
 * markers the public API path reports.
 */
class ArucoAllocationTest {

    /** Four markers facing the camera from 1.5..3 m, all in its 60° field of view. */
    private static final String FOUR_MARKERS = "7 2.0 0.3 180; 3 1.5 -0.3 180; 12 3.0 0.9 200; 21 2.5 -0.8 160";

    @BeforeAll
    static void opencv() {
        OpenCvNatives.load();
    }

    private static ArucoPipeline aruco(boolean bindingInternals) {
        ArucoPipeline p = new ArucoPipeline(bindingInternals);
        p.activate(ComponentConfigs.of(ArucoPipeline.Config.class, Map.of()), null);
        return p;
    }

    private static Medium camera(double[] pose, Map<String, Object> overrides) {
        Map<String, Object> c = new java.util.HashMap<>(Map.of("markers", FOUR_MARKERS, "line", ""));
        c.putAll(overrides);
        return SyntheticPipelinesTest.camera(pose, c);
    }

    /** A marker result as a listener sees it; doubles compare exactly. */
    private record Seen(boolean found, int id, double bearing, double range, double confidence) {
        static Seen of(VisionSample s) {
            return new Seen(s.found(), s.targetId(), s.value(), s.distanceMeters(), s.confidence());
        }
    }

    @Test
    void reportsExactlyTheMarkersThePublicApiReports() {
        double[] pose = new double[3];
        Medium cam = camera(pose, Map.of());
        ArucoPipeline internals = aruco(true);
        ArucoPipeline publicApi = aruco(false);
        List<Seen> byInternals = new ArrayList<>();
        List<Seen> byPublicApi = new ArrayList<>();
        internals.addListener(r -> byInternals.add(Seen.of(r)), Map.of(VisionListener.PROPERTY_PIPELINE, "markers"));
        publicApi.addListener(r -> byPublicApi.add(Seen.of(r)), Map.of(VisionListener.PROPERTY_PIPELINE, "markers"));
        Mat frame = new Mat();
        try {
            for (int i = 0; i < 40; i++) { // driving forward while turning from right to left: markers come and go
                pose[0] = 0.02 * i;
                pose[1] = 0.01 * (i % 7) - 0.03;
                pose[2] = -0.45 + 0.025 * i;
                assertTrue(cam.capture(frame));
                VisionSample a = new VisionSample();
                VisionSample b = new VisionSample();
                internals.process(frame, i, 0, a);
                publicApi.process(frame, i, 0, b);
                assertEquals(Seen.of(b), Seen.of(a), "frame " + i + ": the latest result");
            }
        } finally {
            frame.release();
            internals.stop();
            publicApi.stop();
            cam.close();
        }
        assertEquals(byPublicApi, byInternals, "every marker of every frame: id, bearing, range");
        long found = byInternals.stream().filter(Seen::found).count();
        long ids = byInternals.stream().filter(Seen::found).mapToInt(Seen::id).distinct().count();
        assertTrue(found > 80 && ids == 4, "all four markers were seen, over 80 sightings in 40 frames: " + found + " sightings, " + ids + " ids");
        assertTrue(found < 160, "some frames had markers out of view: " + found + " sightings");
    }

    @Test
    void markersInViewAllocateNothingPerFrame() throws Exception {
        PipelineThreadAllocation.assertNothingPerFrame("ArUco pipeline, 640x480 synthetic camera, 4 markers in view", 60, ArucoAllocationTest::runOnItsThread);
    }

    /** Runs a pipeline on its own thread behind a 100 fps synthetic camera, checking every frame saw all four markers. */
    private static PipelineThreadAllocation runOnItsThread(boolean bindingInternals) throws InterruptedException {
        ArucoPipeline pipeline = aruco(bindingInternals);
        long[] found = new long[1];
        PipelineThreadAllocation measured = PipelineThreadAllocation.measure(pipeline,
                new CapturingSource("front", camera(new double[3], Map.of("fps", 100.0)), null), r -> {
                    if (r.found()) {
                        found[0]++;
                    }
                });
        assertEquals(4 * pipeline.framesProcessed(), found[0], "four markers in every frame");
        return measured;
    }

    @Test
    void twentyThousandFramesLeakNoNativeMemory() throws IOException {
        // a 320x240 camera with the markers nearer: the same four markers a frame at a quarter of the pixels
        Medium cam = camera(new double[3], Map.of("width", 320, "height", 240,
                "markers", "7 1.0 0.33 180; 3 1.0 0.11 180; 12 1.0 -0.11 180; 21 1.0 -0.33 180"));
        ArucoPipeline pipeline = new ArucoPipeline(true);
        pipeline.activate(ComponentConfigs.of(ArucoPipeline.Config.class, Map.of("fx", 277.128, "fy", 277.128, "cx", 160.0, "cy", 120.0)), null);
        long[] found = new long[1];
        pipeline.addListener(r -> {
            if (r.found()) {
                found[0]++;
            }
        }, Map.of(VisionListener.PROPERTY_PIPELINE, "markers"));
        Mat frame = new Mat();
        VisionSample out = new VisionSample();
        int frames = 20_000;
        int every = 1000;
        long[] residentKb = new long[frames / every];
        try {
            assertTrue(cam.capture(frame));
            for (int i = 0; i < 5000; i++) { // warm-up: JIT, OpenCV's thread pool and its malloc arenas
                pipeline.process(frame, i, 0, out);
            }
            found[0] = 0;
            for (int i = 0; i < frames; i++) {
                pipeline.process(frame, i, 0, out);
                if ((i + 1) % every == 0) {
                    residentKb[i / every] = residentKb();
                }
            }
        } finally {
            frame.release();
            pipeline.stop();
            cam.close();
        }
        assertEquals(4L * frames, found[0], "four markers in every frame");
        // resident memory takes a step of a few MB now and then, either way (JIT, malloc trimming), while a
        // leak climbs with every frame: take the median growth between successive samples, which a step moves little
        long grownKb = medianStep(residentKb) * residentKb.length;
        System.out.printf("ArUco pipeline, 4 markers a frame: resident memory trend %d kB over %d frames (kB every %d frames: %s)%n",
                grownKb, frames, every, Arrays.toString(residentKb));
        // a leaked corner Mat (1x4 CV_32FC2: header, data, reference count) measured about 340 bytes here,
        // so 4 a frame for 20,000 frames would grow the process by about 27 MB
        assertTrue(grownKb < 4096, "resident memory grew " + grownKb + " kB over " + frames + " frames: " + Arrays.toString(residentKb));
    }

    /** @return the median difference between successive samples */
    private static long medianStep(long[] samples) {
        long[] steps = new long[samples.length - 1];
        for (int i = 1; i < samples.length; i++) {
            steps[i - 1] = samples[i] - samples[i - 1];
        }
        Arrays.sort(steps);
        return steps[steps.length / 2];
    }

    /** @return the process's resident set size, kB, from /proc/self/status */
    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }
}
