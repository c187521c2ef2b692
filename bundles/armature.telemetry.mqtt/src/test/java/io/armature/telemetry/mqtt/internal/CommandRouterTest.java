package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.api.Test;

import io.armature.motion.CommandSource;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetyState;
import io.armature.safety.TripReason;
import io.armature.testing.FakeLoop;
import io.armature.testing.FakeMotionCommands;
import io.armature.testing.FakeSupervisor;

/**
 * What an MQTT command does: every one goes through {@link MotionCommands} as the source
 * {@code mqtt}; the bundle checks only the message, and a refusal changes nothing.
 */
class CommandRouterTest {

    private final FakeSupervisor supervisor = new FakeSupervisor();
    private final FakeLoop left = new FakeLoop("left", 30);
    private final FakeLoop right = new FakeLoop("right", 30);
    private final FakeLoop odd = new FakeLoop("arm/joint 1", 30);
    private FakeMotionCommands motion = new FakeMotionCommands(supervisor, left, right, odd);
    private final List<String> directStops = new ArrayList<>();
    private final List<String> logged = new ArrayList<>();
    private final CommandRouter router = new CommandRouter(() -> motion, () -> List.of("left", "right", "arm/joint 1"), reason -> {
        directStops.add(reason);
        return "stopped directly";
    }, logged::add);

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private CommandRouter.Outcome json(String what, String payload) {
        return router.json(router.link(), what, text(payload), false);
    }

    private static byte[] sparkplug(Object... nameTypeValue) throws Exception {
        SparkplugBPayload p = new SparkplugBPayload(new Date(), new ArrayList<>(), null);
        for (int i = 0; i < nameTypeValue.length; i += 3) {
            p.addMetric(new Metric.MetricBuilder((String) nameTypeValue[i], (MetricDataType) nameTypeValue[i + 1], nameTypeValue[i + 2])
                    .createMetric());
        }
        return new SparkplugBPayloadEncoder().getBytes(p, false);
    }

    @Test
    void aSetpointGoesThroughMotionCommandsAsTheSourceMqttWithItsLease() {
        long before = System.nanoTime();
        assertEquals(CommandRouter.Outcome.ACCEPTED, json("setpoint/left", "3"));
        assertEquals(List.of("setpoint mqtt left 3.0"), motion.calls);
        assertEquals(3.0, left.setpoint);
        long lease = left.leaseExpiryNanos - before;
        assertTrue(lease >= TimeUnit.MILLISECONDS.toNanos(1000) && lease < TimeUnit.MILLISECONDS.toNanos(1500),
                "the source's lease is handed to the loop: " + lease + " ns");
        assertEquals(List.of("MQTT: left setpoint 3.000"), logged);
        json("setpoint/left", "3");
        assertEquals(1, logged.size(), "a renewal of the same command is not logged again: " + logged);
        assertEquals(2, left.sets, "but renewed");
    }

    @Test
    void badSetpointsAreRefusedWithOneLineAndChangeNothing() {
        json("setpoint/left", "2");
        motion.calls.clear();
        String[][] refused = {
                {"abc", "setpoint must be a number, was 'abc'"},
                {"NaN", "setpoint must be a number, was 'NaN'"},
                {"0x10", "setpoint must be a number, was '0x10'"},
                {"", "setpoint must be a number, was ''"}};
        for (String[] r : refused) {
            assertEquals(r[1], assertThrows(IllegalArgumentException.class, () -> json("setpoint/left", r[0])).getMessage());
        }
        assertEquals(List.of(), motion.calls, "nothing reached the motion-command service");
        assertEquals("retained commands are refused: publish commands without the retain flag",
                assertThrows(IllegalArgumentException.class, () -> router.json(router.link(), "setpoint/left", text("1"), true)).getMessage());
        assertEquals("payload longer than 256 bytes",
                assertThrows(IllegalArgumentException.class, () -> json("setpoint/left", "1" + " ".repeat(300))).getMessage());
        assertEquals(List.of(), motion.calls);

        // what the loop or the service refuses: the service's word, the setpoint stays
        assertTrue(assertThrows(IllegalArgumentException.class, () -> json("setpoint/left", "1e9")).getMessage().contains("beyond the loop's limit"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> json("setpoint/nope", "1")).getMessage().startsWith("no loop 'nope'"));
        assertEquals(2.0, left.setpoint, "refused: the setpoint stays");
        assertEquals(CommandRouter.Outcome.IGNORED, json("fly", "1"));
        assertEquals(CommandRouter.Outcome.IGNORED, json("setpointleft", "1"));
    }

    @Test
    void whileTrippedOrWithoutSupervisorOrServiceNothingMoves() {
        supervisor.trip(new TripReason("test", "tripped for the test", 0));
        assertTrue(assertThrows(IllegalStateException.class, () -> json("setpoint/left", "1")).getMessage().contains("tripped"));
        assertEquals(0.0, left.setpoint);

        motion = new FakeMotionCommands(null, left, right);
        assertTrue(assertThrows(IllegalStateException.class, () -> json("setpoint/left", "1")).getMessage().contains("no safety supervisor"));

        motion = null;
        assertEquals("no motion-command service is running (bundle armature.motion)",
                assertThrows(IllegalStateException.class, () -> json("setpoint/left", "1")).getMessage());
        assertEquals(0.0, left.setpoint);
    }

    @Test
    void aSetpointThatASourceOfHigherPriorityOutranksIsKeptAndSaidSo() {
        motion.setpoint("web", "left", 1.0);
        assertEquals(CommandRouter.Outcome.ACCEPTED, json("setpoint/left", "3"));
        assertEquals(1.0, left.setpoint, "web (100) keeps the loop");
        assertEquals("web", motion.owner("left").orElseThrow());
        assertEquals(List.of("MQTT: left setpoint 3.000, kept until the source of higher priority that owns the loop releases it"), logged);
        motion.release("web");
        assertEquals(3.0, left.setpoint, "then the MQTT command is in force");
    }

    @Test
    void anEstopIsNeverRefusedForTheFormOfItsMessage() {
        assertEquals(CommandRouter.Outcome.ACCEPTED, json("estop", "blocked the corridor"));
        assertEquals(List.of("estop mqtt blocked the corridor"), motion.calls);
        assertEquals(SafetyState.TRIPPED, supervisor.state());
        assertEquals("estop:mqtt", supervisor.trip.orElseThrow().source());

        supervisor.reset("test");
        assertEquals(CommandRouter.Outcome.ACCEPTED, router.json(router.link(), "estop", text("retained"), true), "retained: it still stops");
        assertEquals("retained", supervisor.trip.orElseThrow().message());
        json("estop", "x".repeat(1000));
        assertEquals("x".repeat(CommandPayloads.MAX_REASON_CHARS), supervisor.trip.orElseThrow().message(), "long: the reason is cut");
        json("estop", "");
        assertEquals("e-stop over MQTT", supervisor.trip.orElseThrow().message());
        assertTrue(logged.get(0).startsWith("MQTT: e-stop (blocked the corridor): tripped"), logged.toString());
        assertEquals(List.of(), directStops);
    }

    @Test
    void anEstopWorksWithoutSupervisorAndWithoutMotionService() {
        motion = new FakeMotionCommands(null, left, right);
        json("estop", "no supervisor");
        assertEquals(List.of("estop mqtt no supervisor"), motion.calls, "the service revokes the boards' permits itself");
        assertEquals(List.of(), directStops);

        motion = null;
        json("estop", "no service");
        assertEquals(List.of("no service"), directStops, "without the service the component stops the robot directly");
        assertTrue(logged.get(logged.size() - 1).contains("without a motion-command service: stopped directly"), logged.toString());
    }

    @Test
    void resetFromMqttIsRefusedWithoutResetRightsAndTheTripStays() {
        json("estop", "pressed on the Robot page");
        SecurityException refused = assertThrows(SecurityException.class, () -> json("reset", ""));
        assertTrue(refused.getMessage().startsWith("source 'mqtt' may not reset a trip"), refused.getMessage());
        assertEquals(SafetyState.TRIPPED, supervisor.state(), "the e-stop stays");
        assertEquals("retained commands are refused: publish commands without the retain flag",
                assertThrows(IllegalArgumentException.class, () -> router.json(router.link(), "reset", text(""), true)).getMessage());

        // the operator gave mqtt reset rights in armature.motion
        List<CommandSource> sources = new ArrayList<>(FakeMotionCommands.DEFAULT_SOURCES);
        sources.replaceAll(s -> s.name().equals("mqtt") ? new CommandSource("mqtt", 50, 1000, true) : s);
        motion = new FakeMotionCommands(supervisor, sources, left, right);
        supervisor.unhealthy = "encoder.left stalled";
        assertEquals("encoder.left stalled: cannot reset", assertThrows(IllegalStateException.class, () -> json("reset", "")).getMessage());
        supervisor.unhealthy = null;
        assertEquals(CommandRouter.Outcome.ACCEPTED, json("reset", "anything"));
        assertEquals(SafetyState.OK, supervisor.state());
        assertEquals(0.0, left.setpoint, "a reset moves nothing");
    }

    @Test
    void aLostConnectionWithdrawsEveryMqttCommandAtOnceAndWhatArrivedBeforeIsStale() {
        long before = router.link();
        json("setpoint/left", "3");
        json("setpoint/right", "-2");
        motion.setpoint("gogo", "right", 1.0);
        assertNull(router.linkLost());
        assertTrue(motion.calls.contains("release mqtt"), motion.calls.toString());
        assertEquals(0.0, left.setpoint, "the wheel stops now, not at the end of the lease");
        assertEquals(1.0, right.setpoint, "another source's command stays");

        assertNotEquals(before, router.link());
        assertEquals("the broker connection was lost after this command arrived: not applied",
                assertThrows(IllegalStateException.class, () -> router.json(before, "setpoint/left", text("3"), false)).getMessage());
        assertEquals(0.0, left.setpoint);
        router.json(before, "estop", text("sent before the loss"), false);
        assertEquals(SafetyState.TRIPPED, supervisor.state(), "an e-stop is never stale");
        assertThrows(IllegalStateException.class, () -> router.json(before, "reset", text(""), false));

        motion = null;
        assertEquals("no motion-command service is running", router.linkLost());
        motion = new FakeMotionCommands(supervisor, List.of(new CommandSource("gogo", 100, 0, true)), left);
        assertTrue(router.linkLost().startsWith("'mqtt' is not a source of motion commands"));
    }

    @Test
    void aDcmdSetpointGoesThroughMotionCommandsAndABadOneChangesNothing() throws Exception {
        router.device(router.link(), "loop-left", sparkplug("setpoint", MetricDataType.Double, 2.5), false);
        assertEquals(List.of("setpoint mqtt left 2.5"), motion.calls);
        router.device(router.link(), "loop-arm_joint_1", sparkplug("setpoint", MetricDataType.Double, -1.0), false);
        assertEquals(-1.0, odd.setpoint, "a device id with '_' for what may not stand in a topic level finds its loop");
        motion.calls.clear();

        Object[][] bad = {
                {"loop-left", sparkplug("setpoint", MetricDataType.String, "abc"), "setpoint must be a Double metric, was String abc"},
                {"loop-left", sparkplug("setpoint", MetricDataType.Double, Double.NaN), "setpoint must be a finite number, was NaN"},
                {"loop-left", sparkplug("gain", MetricDataType.Double, 1.0), "no writable metric 'gain' on loop-left; writable: setpoint"},
                {"loop-left", sparkplug("setpoint", MetricDataType.Double, 1.0, "setpoint", MetricDataType.Double, 2.0),
                        "setpoint given twice in one command"},
                {"loop-left", sparkplug(), "no metric in the command"},
                {"stream-imu", sparkplug("rateHz", MetricDataType.Double, 1.0), "device 'stream-imu' takes no commands; loop devices take setpoint"}};
        for (Object[] b : bad) {
            assertEquals(b[2], assertThrows(IllegalArgumentException.class,
                    () -> router.device(router.link(), (String) b[0], (byte[]) b[1], false)).getMessage());
        }
        assertEquals(List.of(), motion.calls, "nothing reached the motion-command service");
        assertEquals("retained commands are refused: publish commands without the retain flag", assertThrows(IllegalArgumentException.class,
                () -> router.device(router.link(), "loop-left", sparkplug("setpoint", MetricDataType.Double, 1.0), true)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> router.device(router.link(), "loop-left", text("{\"setpoint\":1}"), false)).getMessage().startsWith("not a Sparkplug B payload"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> router.device(router.link(), "loop-nope", sparkplug("setpoint", MetricDataType.Double, 1.0), false)).getMessage()
                .startsWith("no loop 'nope'"), "the service's word on an unknown loop");
        assertEquals(2.5, left.setpoint);
    }

    @Test
    void ncmdEstopIsDoneEvenWhenTheRestOfTheCommandIsRefused() throws Exception {
        AtomicInteger rebirths = new AtomicInteger();
        router.node(router.link(), sparkplug(Sparkplug.ESTOP, MetricDataType.Boolean, true), false, true, rebirths::incrementAndGet);
        assertEquals(List.of("estop mqtt e-stop over MQTT (Sparkplug B Node Control/E-Stop)"), motion.calls);
        assertEquals(SafetyState.TRIPPED, supervisor.state());

        supervisor.reset("test");
        assertEquals("no writable node metric 'Node Control/Fly'; writable: Node Control/Rebirth, Node Control/E-Stop, Node Control/Reset"
                + " (the Node Control/E-Stop in it was done)", assertThrows(IllegalArgumentException.class, () -> router.node(router.link(),
                        sparkplug(Sparkplug.ESTOP, MetricDataType.Boolean, true, "Node Control/Fly", MetricDataType.Boolean, true), false, true,
                        rebirths::incrementAndGet)).getMessage());
        assertEquals(SafetyState.TRIPPED, supervisor.state(), "stopped all the same");

        supervisor.reset("test");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> router.node(router.link(),
                sparkplug(Sparkplug.ESTOP, MetricDataType.Boolean, true), true, true, rebirths::incrementAndGet)).getMessage()
                .endsWith("(the Node Control/E-Stop in it was done)"));
        assertEquals(SafetyState.TRIPPED, supervisor.state(), "retained: stopped all the same");

        supervisor.reset("test");
        assertEquals("Node Control/E-Stop and Node Control/Reset in one command: the reset is refused (the Node Control/E-Stop in it was done)",
                assertThrows(IllegalArgumentException.class, () -> router.node(router.link(), sparkplug(Sparkplug.ESTOP, MetricDataType.Boolean,
                        true, Sparkplug.RESET, MetricDataType.Boolean, true), false, true, rebirths::incrementAndGet)).getMessage());
        assertEquals(SafetyState.TRIPPED, supervisor.state());
        assertFalse(motion.calls.contains("reset mqtt"), motion.calls.toString());
        assertEquals(0, rebirths.get());
    }

    @Test
    void ncmdResetGoesThroughMotionCommandsAndIsRefusedWithoutResetRights() throws Exception {
        json("estop", "pressed on the Robot page");
        SecurityException refused = assertThrows(SecurityException.class,
                () -> router.node(router.link(), sparkplug(Sparkplug.RESET, MetricDataType.Boolean, true), false, true, () -> { }));
        assertTrue(refused.getMessage().startsWith("source 'mqtt' may not reset a trip"), refused.getMessage());
        assertEquals(SafetyState.TRIPPED, supervisor.state());
        assertEquals("Node Control/Reset must be the Boolean true, was Boolean false", assertThrows(IllegalArgumentException.class,
                () -> router.node(router.link(), sparkplug(Sparkplug.RESET, MetricDataType.Boolean, false), false, true, () -> { })).getMessage());
    }

    @Test
    void ncmdWithCommandsDisabledTakesOnlyRebirth() throws Exception {
        AtomicInteger rebirths = new AtomicInteger();
        assertEquals("Node Control/E-Stop refused: commands are disabled (commandsEnabled=false)", assertThrows(IllegalArgumentException.class,
                () -> router.node(router.link(), sparkplug(Sparkplug.ESTOP, MetricDataType.Boolean, true), false, false, rebirths::incrementAndGet))
                .getMessage());
        assertEquals(SafetyState.OK, supervisor.state());
        assertEquals(List.of(), motion.calls);
        router.node(router.link(), sparkplug(Sparkplug.REBIRTH, MetricDataType.Boolean, true), false, false, rebirths::incrementAndGet);
        assertEquals(1, rebirths.get());
        assertEquals("no writable node metric 'x'; writable: Node Control/Rebirth", assertThrows(IllegalArgumentException.class,
                () -> router.node(router.link(), sparkplug("x", MetricDataType.Boolean, true), false, false, rebirths::incrementAndGet)).getMessage());
    }

    @Test
    void aRefusalIsOneLine() {
        assertEquals("first; second; third", CommandRouter.oneLine(new IllegalStateException("first\nsecond\r\n  third\n")));
        assertEquals("SecurityException", CommandRouter.oneLine(new SecurityException()));
    }
}
