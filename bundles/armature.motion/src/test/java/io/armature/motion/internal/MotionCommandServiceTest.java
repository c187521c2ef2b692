package io.armature.motion.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.testing.ComponentConfigs;
import io.armature.testing.FakeLoop;
import io.armature.testing.FakeSupervisor;

/** The one command path: who drives, leases, trips, resets and e-stops without a supervisor. */
class MotionCommandServiceTest {

    private final List<String> logged = new ArrayList<>();
    private final FakeLoop left = new FakeLoop("left", 30);
    private final FakeLoop right = new FakeLoop("right", 30);
    private final FakeSupervisor supervisor = new FakeSupervisor();
    private MotionCommandService service;

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class}, (p, m, a) -> {
            if (a != null && a.length > 0 && a[0] instanceof String s) {
                logged.add(m.getName() + " " + s + (a.length > 1 ? " " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(a, 1, a.length)) : ""));
            }
            return null;
        });
    }

    private MotionCommandService service(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        service = new MotionCommandService(ComponentConfigs.of(MotionCommandService.Config.class, m), logger());
        service.addLoop(left);
        service.addLoop(right);
        service.bindSupervisor(supervisor);
        return service;
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.deactivate();
        }
    }

    @Test
    void theHighestPrioritySourceWithALiveCommandOwnsALoop() {
        MotionCommandService s = service();
        assertTrue(s.twist("rosbridge", 0.2, 0));
        assertEquals(5.0, left.setpoint, 1e-9, "0.2 m/s on 0.04 m wheels");
        assertEquals(5.0, right.setpoint, 1e-9);
        assertTrue(left.leaseExpiryNanos != Long.MAX_VALUE, "a ROS command holds for its lease only");
        assertEquals(Optional.of("rosbridge"), s.owner("left"));

        assertTrue(s.setpoint("gogo", "left", 2));
        assertEquals(2.0, left.setpoint, "the operator outranks ROS");
        assertEquals(Long.MAX_VALUE, left.leaseExpiryNanos, "and a shell command holds until it is replaced");
        assertFalse(s.twist("rosbridge", 0.4, 0), "ROS is held while the operator owns the left wheel");
        assertEquals(2.0, left.setpoint);
        assertEquals(10.0, right.setpoint, 1e-9, "the right wheel is still ROS's");

        s.release("gogo");
        assertEquals(10.0, left.setpoint, 1e-9, "released: ROS's live command is in force");
        assertEquals(Optional.of("rosbridge"), s.owner("left"));
    }

    @Test
    void aLoopBackAfterAnInPlaceUpdateOfItsBundleTakesTheCommandInForce() throws Exception {
        MotionCommandService s = service("sources", new String[] {"gogo:100:0:reset", "rosbridge:20:60000"});
        s.setpoint("gogo", "left", 20);
        s.twist("rosbridge", 0.2, 0);
        s.removeLoop(left); // the loops' bundle stops for an in-place update
        s.removeLoop(right);
        assertEquals(Optional.empty(), s.owner("left"), "no loop, no owner");

        FakeLoop newLeft = new FakeLoop("left", 30);
        FakeLoop newRight = new FakeLoop("right", 30);
        s.addLoop(newLeft); // the new version's loops
        s.addLoop(newRight);
        assertEquals(20.0, newLeft.setpoint, "the operator's command, held until replaced, is in force again");
        assertEquals(Long.MAX_VALUE, newLeft.leaseExpiryNanos);
        assertEquals(Optional.of("gogo"), s.owner("left"));
        assertEquals(5.0, newRight.setpoint, 1e-9, "ROS's command, within its lease");
        assertTrue(newRight.leaseExpiryNanos != Long.MAX_VALUE, "with the lease it was given, not a new one");
        assertTrue(logged.contains("info loop '{}' came back and takes the command of '{}' in force [left, gogo]"), logged.toString());
    }

    @Test
    void aLoopBackAfterATripOrALapsedLeaseTakesNothing() throws Exception {
        MotionCommandService s = service("sources", new String[] {"gogo:100:0:reset", "rosbridge:20:100"});
        s.setpoint("gogo", "left", 20);
        s.twist("rosbridge", 0.2, 0);
        s.removeLoop(left);
        s.removeLoop(right);
        Thread.sleep(300); // rosbridge's lease ends while the right loop is away
        FakeLoop newRight = new FakeLoop("right", 30);
        s.addLoop(newRight);
        assertEquals(0.0, newRight.setpoint, "a lapsed lease does not come back");
        assertEquals(Optional.empty(), s.owner("right"));

        supervisor.fault("loop:left", "went away"); // a trip while the left loop is away
        supervisor.trip = Optional.empty(); // and a reset
        FakeLoop newLeft = new FakeLoop("left", 30);
        s.addLoop(newLeft);
        assertEquals(0.0, newLeft.setpoint, "a command given before a trip never takes effect, not even after a reset");
        assertEquals(Optional.empty(), s.owner("left"));
    }

    @Test
    void aLeasedCommandThatStopsComingLapsesToZero() throws Exception {
        MotionCommandService s = service("sources", new String[] {"gogo:100:0:reset", "rosbridge:20:100"});
        s.twist("rosbridge", 0.2, 0);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (s.owner("left").isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(Optional.empty(), s.owner("left"), "the lease lapsed");
        assertEquals(0.0, left.setpoint, "and the wheel went to 0");
        assertEquals(0.0, right.setpoint);
    }

    @Test
    void aLapsedOwnerHandsTheLoopToTheNextLiveSource() throws Exception {
        MotionCommandService s = service("sources", new String[] {"mqtt:50:100", "rosbridge:20:5000"});
        s.setpoint("rosbridge", "left", 3);
        s.setpoint("mqtt", "left", 7);
        assertEquals(7.0, left.setpoint);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!s.owner("left").equals(Optional.of("rosbridge")) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(3.0, left.setpoint, "MQTT's command lapsed: ROS's, still live, is in force");
    }

    @Test
    void aTripClearsEveryCommandAndNothingIsTakenUntilAReset() {
        MotionCommandService s = service();
        s.twist("rosbridge", 0.2, 0);
        supervisor.estop("web", "stop");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> s.setpoint("gogo", "left", 5));
        assertEquals("the robot is tripped (estop:web: stop); reset it, then command again", refused.getMessage());
        s.reset("gogo");
        assertEquals(0.0, left.setpoint, "a reset moves nothing");
        assertEquals(0.0, right.setpoint);
        assertEquals(Optional.empty(), s.owner("left"));
        s.setpoint("gogo", "left", 5);
        assertEquals(5.0, left.setpoint, "a new command after the reset moves");
    }

    @Test
    void aCommandGivenBeforeATripIsVoidAfterTheReset() {
        MotionCommandService s = service();
        s.setpoint("gogo", "left", 4);
        supervisor.estop("web", "stop");
        supervisor.reset("web"); // the supervisor reset directly, not through the service
        s.setpoint("rosbridge", "right", 1);
        assertEquals(Optional.empty(), s.owner("left"), "the operator's command from before the trip is gone");
    }

    @Test
    void onlyASourceWithResetRightsMayReset() {
        MotionCommandService s = service();
        supervisor.estop("web", "stop");
        SecurityException refused = assertThrows(SecurityException.class, () -> s.reset("mqtt"));
        assertEquals("source 'mqtt' may not reset a trip (armature.motion sources); reset from a source that may: gogo, web", refused.getMessage());
        assertFalse(supervisor.mayMove(), "still tripped");
        assertThrows(SecurityException.class, () -> s.reset("rosbridge"));
        supervisor.unhealthy = "the e-stop button is pressed";
        assertThrows(IllegalStateException.class, () -> s.reset("gogo"));
        assertFalse(supervisor.mayMove());
        supervisor.unhealthy = null;
        s.reset("gogo");
        assertTrue(supervisor.mayMove());
    }

    @Test
    void withoutASupervisorNothingMovesAndAnEstopRevokesEveryBoardDirectly() {
        MotionCommandService s = service();
        s.unbindSupervisor(supervisor);
        assertEquals("no safety supervisor is running (bundle armature.safety): nothing moves",
                assertThrows(IllegalStateException.class, () -> s.twist("rosbridge", 0.2, 0)).getMessage());
        AtomicInteger revoked = new AtomicInteger();
        Board board = (Board) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Board.class}, (p, m, a) -> switch (m.getName()) {
            case "info" -> new BoardInfo("sim", "test", "proxy", List.of());
            case "revokeMotion" -> {
                revoked.incrementAndGet();
                yield null;
            }
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == a[0];
            default -> null;
        });
        s.addBoard(board);
        String done = s.estop("web", "no supervisor, still stops");
        assertEquals(1, revoked.get());
        assertTrue(done.startsWith("no safety supervisor is running: the motion permit of 1 board(s) revoked directly"), done);
    }

    @Test
    void anUnknownSourceOrLoopAndARefusedValueChangeNothing() {
        MotionCommandService s = service();
        s.setpoint("gogo", "left", 3);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.setpoint("browser", "left", 1)).getMessage()
                .startsWith("'browser' is not a source of motion commands; configured: dds, follower, foxglove, gogo, mqtt, rosbridge, web"));
        assertEquals("loop 'nose' is not running", assertThrows(IllegalStateException.class, () -> s.setpoint("gogo", "nose", 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.setpoint("gogo", "left", 99));
        assertEquals(3.0, left.setpoint, "the loop refused 99: the command in force stays");
        assertThrows(IllegalArgumentException.class, () -> s.setpoint("gogo", "left", Double.NaN));
        s.setpoint("gogo", "right", 1);
        assertThrows(IllegalArgumentException.class, () -> s.twist("gogo", 0, 20), "20 rad/s of yaw is beyond the wheels' limit");
        assertEquals(3.0, left.setpoint, "neither wheel changed");
        assertEquals(1.0, right.setpoint);
    }

    @Test
    void aBadConfigurationIsRefusedAndTheSourcesInForceStay() {
        MotionCommandService s = service();
        s.modified(ComponentConfigs.of(MotionCommandService.Config.class, Map.of("sources", new String[] {"gogo:100"})));
        assertTrue(logged.stream().anyMatch(l -> l.contains("configuration refused")), logged.toString());
        assertEquals(7, s.sources().size());
        assertThrows(IllegalArgumentException.class, () -> new MotionCommandService(ComponentConfigs.of(MotionCommandService.Config.class,
                Map.of("wheelRadius", 0.0)), logger()));
    }

    @Test
    void everyCommandIsJournalledAsDecidedWithItsSourceAndWhatBecameOfIt() {
        MotionCommandService s = service();
        io.armature.sensor.SampleReader<io.armature.motion.CommandSample> journal = s.journal().openQueue(64);
        s.setpoint("gogo", "left", 2);
        s.twist("rosbridge", 0.2, 0.5); // held on the left wheel: the operator owns it
        assertThrows(IllegalArgumentException.class, () -> s.setpoint("gogo", "left", 99));
        assertThrows(IllegalArgumentException.class, () -> s.setpoint("nobody", "left", 1));
        s.estop("web", "hand on the button");
        assertThrows(IllegalStateException.class, () -> s.twist("rosbridge", 0.2, 0));
        assertThrows(SecurityException.class, () -> s.reset("mqtt"));
        s.reset("gogo");
        s.release("rosbridge");

        List<String> seen = new ArrayList<>();
        io.armature.motion.CommandSample c = new io.armature.motion.CommandSample();
        long previous = Long.MIN_VALUE;
        while (journal.poll(c)) {
            assertTrue(c.timestampNanos >= previous, "in the order decided");
            previous = c.timestampNanos;
            seen.add(c.kind + " " + c.source + " " + c.loop + " " + c.value + "/" + c.angular + " " + (c.accepted ? "taken" : "refused")
                    + (c.inForce ? " in force" : "") + (c.detail.isEmpty() ? "" : ": " + c.detail));
        }
        assertEquals(List.of(
                "SETPOINT gogo left 2.0/0.0 taken in force",
                "TWIST rosbridge  0.2/0.5 taken",
                "SETPOINT gogo left 99.0/0.0 refused: " + assertThrows(IllegalArgumentException.class, () -> left.setSetpoint(99)).getMessage(),
                "SETPOINT nobody left 1.0/0.0 refused: 'nobody' is not a source of motion commands; configured: dds, follower, foxglove, gogo, "
                        + "mqtt, rosbridge, web (armature.motion)",
                "ESTOP web  0.0/0.0 taken: hand on the button",
                "TWIST rosbridge  0.2/0.0 refused: the robot is tripped (estop:web: hand on the button); reset it, then command again",
                "RESET mqtt  0.0/0.0 refused: source 'mqtt' may not reset a trip (armature.motion sources); reset from a source that may: gogo, web",
                "RESET gogo  0.0/0.0 taken",
                "RELEASE rosbridge  0.0/0.0 taken"), seen);
        assertEquals(0, journal.lost());
    }
}
