package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;

import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionSample;

/**
 * The synthetic camera's frames through the ArUco and line pipelines, one frame at a time, from
 * poses whose answer follows from the geometry by hand.
 */
class SyntheticPipelinesTest {

    private static final double FX = 320 / Math.tan(Math.toRadians(30)); // 60° horizontal field of view, 640 px

    @BeforeAll
    static void opencv() {
        OpenCvNatives.load();
    }

    static Medium camera(double[] pose, Map<String, Object> overrides) {
        SyntheticCamera.Config c = ComponentConfigs.of(SyntheticCamera.Config.class, overrides);
        return SyntheticCamera.open(c, p -> System.arraycopy(pose, 0, p, 0, 3));
    }

    private static VisionSample run(PipelineBase<?> pipeline, Medium camera) {
        Mat frame = new Mat();
        assertTrue(camera.capture(frame));
        VisionSample out = new VisionSample();
        pipeline.process(frame, 1, 1000, out);
        frame.release();
        return out;
    }

    static ArucoPipeline aruco(int targetId) {
        ArucoPipeline p = new ArucoPipeline();
        p.activate(ComponentConfigs.of(ArucoPipeline.Config.class, Map.of("fx", FX, "fy", FX, "targetId", targetId)), null);
        return p;
    }

    @Test
    void markerAheadAndToTheLeftGivesItsBearingAndRange() {
        double[] pose = {0, 0, 0};
        Medium cam = camera(pose, Map.of("markers", "7 2.0 0.3 180"));
        ArucoPipeline p = aruco(-1);
        try {
            VisionSample s = run(p, cam);
            assertTrue(s.found(), "marker 7 in view");
            assertEquals(7, s.targetId());
            // the lens is 0.08 m ahead of the robot's centre
            assertEquals(Math.atan2(0.3, 1.92), s.value(), 0.01, "bearing, rad");
            assertEquals(Math.hypot(0.3, 1.92), s.distanceMeters(), 0.05, "range, m");
        } finally {
            p.stop();
            cam.close();
        }
    }

    @Test
    void turningTheRobotMovesTheBearingByTheSameAngle() {
        double[] pose = {0, 0, 0.2};
        Medium cam = camera(pose, Map.of("markers", "7 2.0 0.3 180"));
        ArucoPipeline p = aruco(7);
        try {
            VisionSample s = run(p, cam);
            assertTrue(s.found());
            double lensX = 0.08 * Math.cos(0.2);
            double lensY = 0.08 * Math.sin(0.2);
            assertEquals(Math.atan2(0.3 - lensY, 2.0 - lensX) - 0.2, s.value(), 0.01, "bearing after turning 0.2 rad left");
        } finally {
            p.stop();
            cam.close();
        }
    }

    @Test
    void listenersGetEveryMarkerAndTheLatestIsTheNearest() {
        double[] pose = {0, 0, 0};
        Medium cam = camera(pose, Map.of("markers", "7 2.5 -0.4 180; 3 1.5 0.3 180"));
        ArucoPipeline p = aruco(-1);
        List<Integer> seen = new ArrayList<>();
        VisionListener listener = r -> seen.add(r.targetId());
        p.addListener(listener, Map.of(VisionListener.PROPERTY_PIPELINE, "markers"));
        p.start("markers", "front", null);
        try {
            VisionSample s = run(p, cam);
            assertEquals(List.of(3, 7), seen.stream().sorted().toList());
            assertEquals(3, s.targetId(), "the nearest");
        } finally {
            p.stop();
            cam.close();
        }
    }

    @Test
    void markerSeenFromBehindIsNotFound() {
        double[] pose = {0, 0, 0};
        Medium cam = camera(pose, Map.of("markers", "7 2.0 0 0")); // its face looks away
        ArucoPipeline p = aruco(-1);
        try {
            assertFalse(run(p, cam).found());
        } finally {
            p.stop();
            cam.close();
        }
    }

    static LinePipeline line() {
        LinePipeline p = new LinePipeline();
        p.activate(ComponentConfigs.of(LinePipeline.Config.class, Map.of("fx", FX)), null);
        return p;
    }

    @Test
    void onTheLineTheHeadingErrorIsZeroAndItsSignSaysWhereTheLineIs() {
        LinePipeline p = line();
        double[] pose = {0, 0, 0};
        Medium cam = camera(pose, Map.of("markers", "", "line", "-1,0 10,0"));
        try {
            VisionSample on = run(p, cam);
            assertTrue(on.found());
            assertEquals(0, on.value(), 0.005, "on the line, heading along it");

            pose[2] = 0.15; // turned left: the line is now to the right
            VisionSample turnedLeft = run(p, cam);
            assertTrue(turnedLeft.value() < -0.05, "line to the right gives a negative error, was " + turnedLeft.value());

            pose[2] = -0.15;
            VisionSample turnedRight = run(p, cam);
            assertEquals(-turnedLeft.value(), turnedRight.value(), 0.01, "symmetric");

            pose[2] = 0;
            pose[1] = 0.1; // 0.1 m left of the line, heading along it
            VisionSample leftOfLine = run(p, cam);
            assertTrue(leftOfLine.value() < -0.05 && leftOfLine.value() > -0.5, "line to the right, was " + leftOfLine.value());
        } finally {
            p.stop();
            cam.close();
        }
    }

    @Test
    void noLineInViewIsNotFound() {
        LinePipeline p = line();
        Medium cam = camera(new double[] {0, 0, Math.PI}, Map.of("markers", "", "line", "1,0 10,0")); // facing away
        try {
            VisionSample s = run(p, cam);
            assertFalse(s.found());
            assertTrue(Double.isNaN(s.value()));
        } finally {
            p.stop();
            cam.close();
        }
    }

    @Test
    void badConfigurationIsRefusedWithOneLine() {
        double[] pose = {0, 0, 0};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> camera(pose, Map.of("markers", "7 2.0 north 180")));
        assertEquals("markers: each must be 'id x y facingDeg', was '7 2.0 north 180'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> camera(pose, Map.of("dictionary", "DICT_5X5_FOO")));
        assertEquals("dictionary must be an ArUco dictionary such as DICT_4X4_50, was 'DICT_5X5_FOO'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LinePipeline().activate(
                ComponentConfigs.of(LinePipeline.Config.class, Map.of("hsvLow", "20,300,100")), null));
        assertEquals("hsvLow s must be 0..255, was 300", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ArucoPipeline().activate(
                ComponentConfigs.of(ArucoPipeline.Config.class, Map.of("distortion", "0.1 0.2")), null));
        assertEquals("distortion must be 'k1 k2 p1 p2 [k3]' or empty, was '0.1 0.2'", e.getMessage());
    }
}
