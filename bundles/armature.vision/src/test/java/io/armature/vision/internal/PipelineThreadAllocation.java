package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;

import com.sun.management.ThreadMXBean;

import io.armature.vision.FrameSource;
import io.armature.vision.VisionListener;

/**
 * What a pipeline's thread allocates on the Java heap, measured as the other vision allocation
 * figures are: after a 3 s warm-up (JIT, buffers sized), in six 1 s slices, whose median is the
 * steady state (a slice may catch a one-off such as a JIT deoptimisation).
 */
record PipelineThreadAllocation(long[] bytesPerSlice, long frames) {

    /**
     * Runs an activated pipeline on its own thread behind {@code source}, with {@code listener}
     * attached, measures it and stops both.
     */
    static PipelineThreadAllocation measure(PipelineBase<?> pipeline, CapturingSource source, VisionListener listener) throws InterruptedException {
        pipeline.addListener(listener, Map.of(VisionListener.PROPERTY_PIPELINE, pipeline.name()));
        pipeline.addSource(source, Map.of(FrameSource.PROPERTY_SOURCE, source.name()));
        source.start(null);
        PipelineThreadAllocation measured;
        try {
            Thread.sleep(3000);
            String name = "armature-vision-" + pipeline.name();
            long id = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no thread " + name)).getId();
            ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long[] bytes = new long[6];
            long frames0 = pipeline.framesProcessed();
            for (int i = 0; i < bytes.length; i++) {
                long before = mx.getThreadAllocatedBytes(id);
                Thread.sleep(1000);
                bytes[i] = mx.getThreadAllocatedBytes(id) - before;
            }
            measured = new PipelineThreadAllocation(bytes, pipeline.framesProcessed() - frames0);
        } finally {
            pipeline.stop();
            source.stop();
        }
        assertEquals(0, pipeline.errors(), pipeline.lastError());
        return measured;
    }

    /** Runs a pipeline through the binding's internals or through the public API, and measures it. */
    interface Run {
        PipelineThreadAllocation measure(boolean bindingInternals) throws InterruptedException;
    }

    /**
     * Asserts that the pipeline through the binding's internals allocates nothing per frame, and
     * that the same measurement sees what the public API path allocates.
     */
    static void assertNothingPerFrame(String pipeline, long leastFrames, Run run) throws InterruptedException {
        assertTrue(OpenCvBindingInternals.available(), "this OpenCV build lacks " + OpenCvBindingInternals.missing());
        PipelineThreadAllocation publicApi = run.measure(false);
        PipelineThreadAllocation internals = run.measure(true);
        System.out.printf("%s: public API %s%n", pipeline, publicApi);
        System.out.printf("%s: binding internals %s%n", pipeline, internals);
        assertTrue(internals.frames() >= leastFrames, "frames processed in the measured slices: " + internals.frames());
        assertTrue(publicApi.median() > 0, "the measurement sees the public API's Mats: " + publicApi);
        assertEquals(0, internals.median(), "median bytes allocated a slice on the pipeline thread: " + internals);
        assertTrue(internals.slicesAllocating() <= 1, "at most one slice with a one-off allocation (JIT), none per frame: " + internals);
    }

    long median() {
        long[] sorted = bytesPerSlice.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** @return how many slices allocated anything */
    long slicesAllocating() {
        return Arrays.stream(bytesPerSlice).filter(b -> b != 0).count();
    }

    @Override
    public String toString() {
        return String.format("%d frames in %d s; bytes per 1 s slice %s: median %d, %.2f bytes/frame overall", frames, bytesPerSlice.length,
                Arrays.toString(bytesPerSlice), median(), Arrays.stream(bytesPerSlice).sum() / (double) frames);
    }
}
