package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.management.ThreadMXBean;

import io.armature.vision.VisionListener;
import io.armature.vision.VisionSample;

/**
 * A synthetic camera feeding the line pipeline on their own threads, as in the framework: a
 * slow consumer drops frames (counted) instead of queueing them and always gets the newest, and
 * the steady state allocates nothing on either thread.
 */
class LatestFrameDeliveryTest {

    @BeforeAll
    static void opencv() {
        OpenCvNatives.load();
    }

    private static CapturingSource source(double fps) {
        double[] pose = {0, 0.05, 0.1};
        Medium cam = SyntheticPipelinesTest.camera(pose, Map.of("markers", "", "line", "-1,0 10,0", "fps", fps));
        return new CapturingSource("front", cam, null);
    }

    @Test
    void aSlowPipelineDropsFramesAndAlwaysGetsTheNewest() throws Exception {
        CapturingSource source = source(30);
        LinePipeline pipeline = SyntheticPipelinesTest.line();
        AtomicLong lastAge = new AtomicLong();
        AtomicLong gaps = new AtomicLong();
        long[] previous = {0};
        VisionListener slow = r -> {
            lastAge.set(System.nanoTime() - r.frameTimestampNanos());
            if (previous[0] != 0 && r.sequence() > previous[0] + 1) {
                gaps.incrementAndGet();
            }
            previous[0] = r.sequence();
            try {
                Thread.sleep(100); // a pipeline that manages 10 fps against a 30 fps camera
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        pipeline.addListener(slow, Map.of(VisionListener.PROPERTY_PIPELINE, "line"));
        pipeline.addSource(source, Map.of(io.armature.vision.FrameSource.PROPERTY_SOURCE, "front"));
        source.start(null);
        pipeline.start("line", "front", null);
        try {
            Thread.sleep(3000);
        } finally {
            pipeline.stop();
            source.stop();
        }
        long captured = source.framesCaptured();
        long processed = pipeline.framesProcessed();
        long dropped = pipeline.droppedFrames();
        assertTrue(captured > 40, "up to 90 frames in 3 s at 30 fps (fewer on a busy machine), was " + captured);
        assertTrue(processed < captured * 0.6, "the slow pipeline processed about a third: " + processed + " of " + captured);
        // every captured frame was either processed or counted as dropped (give or take the ones in flight at stop)
        assertEquals(captured, processed + dropped, 3, "captured = processed + dropped");
        assertEquals(dropped, source.droppedFrames(), 3, "the source counts the same drops");
        assertTrue(gaps.get() > processed / 2, "the pipeline skipped ahead to the newest frame");
        assertTrue(lastAge.get() < 80_000_000L, "the frame it got was about one camera period old at most (a queue would age it by seconds), was "
                + lastAge.get() / 1e6 + " ms");
    }

    @Test
    void steadyStateAllocatesNothingPerFrame() throws Exception {
        CapturingSource source = source(100);
        LinePipeline pipeline = SyntheticPipelinesTest.line();
        VisionSample copy = new VisionSample();
        VisionListener reader = copy::copyFrom;
        pipeline.addListener(reader, Map.of(VisionListener.PROPERTY_PIPELINE, "line"));
        pipeline.addSource(source, Map.of(io.armature.vision.FrameSource.PROPERTY_SOURCE, "front"));
        source.start(null);
        pipeline.start("line", "front", null);
        try {
            Thread.sleep(3000); // warm-up: JIT, buffers sized
            ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long captureId = threadId("armature-vision-source-front");
            long pipelineId = threadId("armature-vision-line");
            // 1 s slices, as the other allocation figures here: the median slice is the steady state
            int slices = 6;
            long[] bytes = new long[slices];
            long frames0 = pipeline.framesProcessed();
            for (int i = 0; i < slices; i++) {
                long before = mx.getThreadAllocatedBytes(captureId) + mx.getThreadAllocatedBytes(pipelineId);
                Thread.sleep(1000);
                bytes[i] = mx.getThreadAllocatedBytes(captureId) + mx.getThreadAllocatedBytes(pipelineId) - before;
            }
            long frames = pipeline.framesProcessed() - frames0;
            long total = java.util.Arrays.stream(bytes).sum();
            long[] sorted = bytes.clone();
            java.util.Arrays.sort(sorted);
            System.out.printf("line pipeline on a 640x480 synthetic camera: %d frames in %d s; bytes per 1 s slice %s: median %d, %.2f bytes/frame overall%n",
                    frames, slices, java.util.Arrays.toString(bytes), sorted[slices / 2], total / (double) frames);
            assertTrue(frames > 300, "frames processed in " + slices + " s: " + frames);
            assertEquals(0, sorted[slices / 2], "median bytes allocated a slice on the capture and pipeline threads");
            assertTrue(total < frames, "less than one byte a frame overall, was " + total + " bytes over " + frames + " frames");
            assertTrue(copy.found(), "the listener saw the line");
        } finally {
            pipeline.stop();
            source.stop();
        }
    }

    private static long threadId(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no thread " + name)).getId();
    }
}
