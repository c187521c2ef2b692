package io.armature.vision.internal;

import java.util.Map;

import org.opencv.core.Mat;

import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionSample;

/** The vision benchmark's handle on armature.vision's line pipeline and synthetic camera, outside a framework. */
public final class LinePipelineBench {

    private final LinePipeline pipeline = new LinePipeline();
    private final VisionSample result = new VisionSample();
    private long sequence;

    public LinePipelineBench() {
        pipeline.activate(ComponentConfigs.of(LinePipeline.Config.class, Map.of()), null);
    }

    /** Renders the sim-rover's view, 0.05 m left of the line and turned 0.1 rad left, into {@code frame} (640x480 BGR). */
    public static void renderTestFrame(Mat frame) {
        double[] pose = {0, 0.05, 0.1};
        Medium camera = SyntheticCamera.open(ComponentConfigs.of(SyntheticCamera.Config.class,
                Map.of("markers", "", "line", "-1,0 10,0")), p -> System.arraycopy(pose, 0, p, 0, 3));
        camera.capture(frame);
        camera.close();
    }

    /** Runs the pipeline on {@code frame} {@code frames} times; returns the last heading error, rad. */
    public double run(Mat frame, int frames) {
        for (int i = 0; i < frames; i++) {
            pipeline.process(frame, ++sequence, 0, result);
        }
        return result.value();
    }
}
