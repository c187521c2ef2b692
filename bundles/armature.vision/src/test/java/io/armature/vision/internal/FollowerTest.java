package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.TunableLoop;
import io.armature.testing.ComponentConfigs;
import io.armature.vision.VisionPipeline;
import io.armature.vision.VisionSample;

/** The follower's steering, against two recorded wheel loops: marker sightings in, wheel setpoints (rad/s) out. */
class FollowerTest {

    private final Map<String, Double> setpoints = new ConcurrentHashMap<>();
    private Follower follower;

    /** A service of {@code type} that answers through {@code answers} (method name, arguments), with identity equality. */
    private static <T> T fake(Class<T> type, java.util.function.BiFunction<String, Object[], Object> answers) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> switch (m.getName()) {
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == args[0];
            default -> answers.apply(m.getName(), args);
        }));
    }

    private TunableLoop loop(String name) {
        return fake(TunableLoop.class, (method, args) -> {
            switch (method) {
                case "name":
                    return name;
                case "setSetpoint":
                    setpoints.put(name, (Double) args[0]);
                    return null;
                default:
                    return null;
            }
        });
    }

    @BeforeEach
    void start() {
        follower = new Follower();
        follower.setCommands(new io.armature.testing.FakeMotionCommands(new io.armature.testing.FakeSupervisor(), loop("left"), loop("right")));
        follower.activate(ComponentConfigs.of(Follower.Config.class, Map.of()), null);
    }

    @AfterEach
    void stop() {
        follower.deactivate();
    }

    private void see(int id, double bearing, double range) {
        follower.onResult(new VisionSample().set(1, System.nanoTime(), System.nanoTime(), true, id, bearing, range, 1));
    }

    private boolean waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 40 && !c.getAsBoolean(); i++) {
            Thread.sleep(25);
        }
        return c.getAsBoolean();
    }

    @Test
    void aMarkerStraightAheadDrivesBothWheelsAtTopSpeed() throws Exception {
        follower.follow(7);
        see(7, 0, 2.0);
        assertTrue(waitFor(() -> follower.state() == Follower.State.FOLLOWING && setpoints.size() == 2));
        // 0.8 1/s x 1.6 m is above the 0.3 m/s limit: 0.3 m/s on a 0.04 m wheel is 7.5 rad/s
        assertEquals(7.5, setpoints.get("left"), 1e-9);
        assertEquals(7.5, setpoints.get("right"), 1e-9);
    }

    @Test
    void aMarkerToTheLeftTurnsLeft() throws Exception {
        follower.follow(7);
        see(7, 0.2, 1.0);
        assertTrue(waitFor(() -> follower.state() == Follower.State.FOLLOWING && setpoints.size() == 2));
        double v = 0.3 * Math.cos(0.2);
        double w = 2.0 * 0.2;
        assertEquals((v - w * 0.1) / 0.04, setpoints.get("left"), 1e-9);
        assertEquals((v + w * 0.1) / 0.04, setpoints.get("right"), 1e-9);
    }

    @Test
    void arrivingStopsTheWheels() throws Exception {
        follower.follow(7);
        see(7, 0, 1.0);
        assertTrue(waitFor(() -> follower.state() == Follower.State.FOLLOWING && setpoints.size() == 2));
        see(7, 0.05, 0.39);
        assertTrue(waitFor(() -> follower.state() == Follower.State.ARRIVED && setpoints.get("right") == 0.0));
        assertEquals(0.0, setpoints.get("left"));
        assertEquals(0.0, setpoints.get("right"));
    }

    @Test
    void otherMarkersAndBadNumbersAreNotASighting() throws Exception {
        follower.follow(7);
        see(3, 0, 1.0);
        see(7, Double.NaN, 1.0);
        see(7, 0.1, Double.POSITIVE_INFINITY);
        assertTrue(waitFor(() -> setpoints.size() == 2));
        Thread.sleep(200);
        assertEquals(Follower.State.SEARCHING, follower.state());
        // searching turns in place: the wheels turn opposite ways at 0.6 rad/s x 0.1 m / 0.04 m
        assertEquals(-1.5, setpoints.get("left"), 1e-9);
        assertEquals(1.5, setpoints.get("right"), 1e-9);
        follower.stop();
        assertEquals(0.0, setpoints.get("left"));
        assertEquals(Follower.State.IDLE, follower.state());
    }

    @Test
    void badRequestsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> follower.follow(-2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> follower.modified(
                ComponentConfigs.of(Follower.Config.class, Map.of("stopDistanceM", 0.0)), null));
        assertEquals("stopDistanceM must be 0.05..10, was 0.0", e.getMessage());
    }

    // --- robot:follow line -----------------------------------------------------------------------

    /** The newest result the fake line pipeline gives to readLatest. */
    private final VisionSample lineResult = new VisionSample();

    private VisionPipeline linePipeline() {
        return fake(VisionPipeline.class, (method, args) -> {
            switch (method) {
                case "name":
                    return "line";
                case "kind":
                    return VisionPipeline.KIND_LINE;
                case "readLatest":
                    synchronized (lineResult) {
                        ((VisionSample) args[0]).copyFrom(lineResult);
                    }
                    return true;
                default:
                    return null;
            }
        });
    }

    /** A proportional controller with the runtime PID's output limits, -1..1, made with the configured gains. */
    private static final ControllerFactory PROPORTIONAL = gains -> new Controller() {
        @Override
        public double calculate(double setpoint, double measurement, double dtSeconds) {
            return Math.max(-1, Math.min(1, gains.kp() * (setpoint - measurement)));
        }

        @Override
        public void reset(double output) {
        }
    };

    private void seeLine(boolean found, double headingError) {
        synchronized (lineResult) {
            lineResult.set(1, System.nanoTime(), System.nanoTime(), found, -1, found ? headingError : Double.NaN, Double.NaN, found ? 1 : 0);
        }
    }

    @Test
    void aLineToTheLeftTurnsLeftThroughThePidAtTheLineSpeed() throws Exception {
        follower.addPipeline(linePipeline());
        follower.setPidFactory(PROPORTIONAL);
        seeLine(true, 0.2);
        follower.followLine();
        assertTrue(waitFor(() -> follower.state() == Follower.State.FOLLOWING && setpoints.size() == 2), follower.status());
        // share 1.2 x 0.2 = 0.24 of 1.5 rad/s; 0.15 m/s x cos 0.2 forward; track 0.20 m, wheel 0.04 m
        double w = 0.24 * 1.5;
        double v = 0.15 * Math.cos(0.2);
        assertEquals((v - w * 0.1) / 0.04, setpoints.get("left"), 1e-9);
        assertEquals((v + w * 0.1) / 0.04, setpoints.get("right"), 1e-9);
        assertTrue(follower.status().startsWith("following (line): heading error 11.5°"), follower.status());
    }

    @Test
    void whenTheLineIsNoLongerSeenTheWheelsStop() throws Exception {
        follower.addPipeline(linePipeline());
        follower.setPidFactory(PROPORTIONAL);
        seeLine(true, 0);
        follower.followLine();
        assertTrue(waitFor(() -> follower.state() == Follower.State.FOLLOWING && setpoints.getOrDefault("left", 0.0) > 0));
        seeLine(false, 0);
        assertTrue(waitFor(() -> follower.state() == Follower.State.LOST), follower.status());
        assertEquals(0.0, setpoints.get("left"));
        assertEquals(0.0, setpoints.get("right"));
        assertEquals("lost (line): the line ended or went out of sight", follower.status());
    }

    @Test
    void followLineSaysWhatIsMissing() {
        assertEquals("no line pipeline 'line' is running", assertThrows(IllegalArgumentException.class, follower::followLine).getMessage());
        follower.addPipeline(linePipeline());
        assertEquals("no PID controller is installed (bundle armature.control)",
                assertThrows(IllegalArgumentException.class, follower::followLine).getMessage());
        assertEquals(Follower.State.IDLE, follower.state());
        assertTrue(setpoints.values().stream().allMatch(v -> v == 0.0), "nothing moved: " + setpoints);
    }
}
