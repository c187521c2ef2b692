package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.eclipse.tahu.message.model.MetricDataType;
import org.junit.jupiter.api.Test;

import io.armature.control.TunableLoop;
import io.armature.hal.PwmOutput;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;

/**
 * The sim-rover as a Sparkplug B edge node on a real mosquitto on 127.0.0.1, watched and
 * commanded by a host application that decodes and encodes with Eclipse Tahu.
 */
class SparkplugTelemetryTest extends MqttRobotTest {

    private static final String NODE = "sim-rover";
    private SparkplugHost host;

    private void start(String... settings) throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        host = new SparkplugHost(broker.uri(), "armature");
        clients.add(host);
        String[] all = new String[settings.length + 4];
        System.arraycopy(new String[] {"brokerUri", broker.uri(), "payloadFormat", "sparkplugb"}, 0, all, 0, 4);
        System.arraycopy(settings, 0, all, 4, settings.length);
        startRobot(all);
    }

    private SparkplugHost.Received await(String type, String device, long since) throws Exception {
        assertTrue(Poll.until(15_000, () -> !host.of(type, device, since).isEmpty()),
                type + " " + device + " received: " + host.received().size() + " messages\n" + robot.console());
        return host.of(type, device, since).get(0);
    }

    /** @return the last NDATA received since {@code since} that satisfies {@code check} */
    private SparkplugHost.Received nodeDataWhere(long since, java.util.function.Predicate<SparkplugHost.Received> check) throws Exception {
        assertTrue(Poll.until(10_000, () -> host.of("NDATA", null, since).stream().anyMatch(check)),
                "an NDATA as expected: " + host.of("NDATA", null, since) + "\n" + robot.console());
        return host.of("NDATA", null, since).stream().filter(check).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void birthsCarryNamedTypedMetricsSeqWrapsAt256AndRebirthIsHonoured() throws Exception {
        start("telemetryRateHz", "100", "statusRateHz", "2");
        SparkplugHost.Received nbirth = await("NBIRTH", null, 0);
        assertEquals("spBv1.0/armature/NBIRTH/sim-rover", nbirth.topic());
        assertEquals(0, nbirth.seq(), "NBIRTH has seq 0");
        assertEquals(MetricDataType.Int64, nbirth.metric("bdSeq").getDataType());
        long bdSeq = (Long) nbirth.value("bdSeq");
        assertEquals(0L, bdSeq, "the first connection's bdSeq");
        assertEquals(Boolean.FALSE, nbirth.value("Node Control/Rebirth"));
        assertEquals(MetricDataType.Boolean, nbirth.metric("Node Control/Rebirth").getDataType());
        assertEquals("Armature simulated rover", nbirth.value("boards/sim/model"));
        assertEquals(MetricDataType.String, nbirth.metric("safety").getDataType());
        assertEquals(Boolean.FALSE, nbirth.value("commands/enabled"));

        // The loop engine registers a loop's statistics while the loop's own registration is being
        // delivered; when that reaches the engine before this component, a publication in between
        // finds the statistics without the loop, and the device is born with those alone, then born
        // again with every metric (a device whose metrics change is reborn). The whole birth:
        assertTrue(Poll.until(15_000, () -> host.of("DBIRTH", "loop-left", 0).stream().anyMatch(b -> b.names().contains("setpoint"))),
                "loop-left born with the loop's metrics: " + host.of("DBIRTH", "loop-left", 0));
        SparkplugHost.Received left = host.of("DBIRTH", "loop-left", 0).stream().filter(b -> b.names().contains("setpoint")).findFirst()
                .orElseThrow();
        assertEquals(List.of("setpoint", "measurement", "output", "unit", "controller", "fault", "rateHz", "cycles", "overruns",
                "latenessP99Micros", "latenessMaxMicros", "failure"), left.names());
        assertEquals(MetricDataType.Double, left.metric("setpoint").getDataType());
        assertEquals(0.0, left.value("setpoint"));
        assertEquals("rad/s", left.value("unit"));
        assertEquals(MetricDataType.Int64, left.metric("cycles").getDataType());
        assertEquals(1000.0, await("DBIRTH", "stream-imu", 0).value("rateHz"));
        await("DBIRTH", "loop-right", 0);
        await("DDATA", "loop-left", 0);
        assertNull(broker.first("armature/#", 1_000), "no JSON topics in Sparkplug B mode");

        // seq: one counter over every message after the NBIRTH, +1 each, 255 followed by 0; no other NBIRTH meanwhile
        assertTrue(Poll.until(15_000, () -> host.received().size() > 600), "messages: " + host.received().size());
        List<SparkplugHost.Received> sequence = host.received().stream().filter(r -> !r.type().equals("NDEATH")).toList();
        int wraps = 0;
        for (int i = 1; i < 600; i++) {
            long previous = sequence.get(i - 1).seq();
            long seq = sequence.get(i).seq();
            assertEquals((previous + 1) % 256, seq, "seq after " + sequence.get(i - 1).topic() + " " + previous + ": " + sequence.get(i).topic());
            wraps += seq == 0 ? 1 : 0;
        }
        assertTrue(wraps >= 1, "seq wrapped at 256");

        // commands are off: E-Stop is refused and said so, Rebirth is still honoured
        SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 5_000);
        long before = System.nanoTime();
        host.command(NODE, null, "Node Control/E-Stop", MetricDataType.Boolean, true, false);
        SparkplugHost.Received refusal = nodeDataWhere(before, r -> r.value("commands/lastError") != null);
        assertEquals("Node Control/E-Stop refused: commands are disabled (commandsEnabled=false)", refusal.value("commands/lastError"));
        assertEquals(1L, refusal.value("commands/refused"));
        assertTrue(safety.state() != SafetyState.TRIPPED || !safety.tripReason().orElseThrow().source().equals("estop:mqtt"));

        long rebirthAsked = System.nanoTime();
        host.command(NODE, null, "Node Control/Rebirth", MetricDataType.Boolean, true, false);
        SparkplugHost.Received again = await("NBIRTH", null, rebirthAsked);
        assertEquals(0, again.seq());
        assertEquals(bdSeq, again.value("bdSeq"), "a rebirth on the same connection keeps bdSeq");
        SparkplugHost.Received leftAgain = await("DBIRTH", "loop-left", rebirthAsked);
        assertTrue(leftAgain.seq() >= 1 && leftAgain.seq() <= 10, "the device births follow the NBIRTH: seq " + leftAgain.seq());

        // turned off: NDEATH with the same bdSeq
        long off = System.nanoTime();
        Files.delete(robot.configDir().resolve(CFG));
        SparkplugHost.Received death = await("NDEATH", null, off);
        assertEquals(bdSeq, death.value("bdSeq"));
    }

    /**
     * DCMD and NCMD go through the motion-command path as the source mqtt, like JSON commands: a
     * DCMD setpoint moves the wheel while renewed and lapses after the lease; NCMD E-Stop puts PWM
     * to 0; NCMD Reset is refused (no reset rights by default) and the robot stays tripped.
     */
    @Test
    void commandsThroughDcmdAndNcmdGoThroughTheMotionPathAndAreCheckedLikeJsonOnes() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        // A retained command waits at the broker and would be replayed at every (re)subscription: refused.
        host = new SparkplugHost(broker.uri(), "armature");
        clients.add(host);
        host.command(NODE, "loop-left", "setpoint", MetricDataType.Double, 2.0, true);
        startRobot("brokerUri", broker.uri(), "payloadFormat", "sparkplugb", "commandsEnabled", "true", "telemetryRateHz", "5");
        await("NBIRTH", null, 0);
        assertEquals("retained commands are refused: publish commands without the retain flag",
                nodeDataWhere(0, d -> d.value("commands/refused").equals(1L)).value("commands/lastError"));
        long cleared = System.nanoTime();
        broker.pub("spBv1.0/armature/DCMD/sim-rover/loop-left", null, "-r"); // clears it at the broker; live, it is empty
        assertEquals("no metric in the command", nodeDataWhere(cleared, d -> d.value("commands/refused").equals(2L)).value("commands/lastError"));
        TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
        SafetySupervisor safety = healthySupervisor();
        MotionCommands motion = robot.service(MotionCommands.class, null, 5_000);
        long lease = mqttLeaseMillis(motion);
        PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);

        try (Renewal renewal = new Renewal(lease / 3, () -> host.command(NODE, "loop-left", "setpoint", MetricDataType.Double, 3.0, false))) {
            assertTrue(Poll.until(10_000, () -> Math.abs(left.measurement() - 3) < 0.5),
                    "the wheel turns at the setpoint given by DCMD, renewed every " + lease / 3 + " ms: " + left.measurement() + " rad/s, "
                            + safety.tripReason());
            assertEquals(3.0, left.setpoint());
            assertEquals(Optional.of("mqtt"), motion.owner("left"));
            long seen = System.nanoTime();
            assertTrue(Poll.until(5_000, () -> host.of("DDATA", "loop-left", seen).stream().anyMatch(r -> r.value("setpoint").equals(3.0))),
                    "DDATA carries the new setpoint");

            Object[][] bad = {
                    {"loop-left", "setpoint", MetricDataType.String, "abc", false, "setpoint must be a Double metric, was String abc"},
                    {"loop-left", "setpoint", MetricDataType.Double, 1e9, false, "loop 'left': setpoint must be a number within ±30.0 rad/s, was 1.0E9"},
                    {"loop-left", "setpoint", MetricDataType.Double, Double.NaN, false, "setpoint must be a finite number, was NaN"},
                    {"loop-left", "gain", MetricDataType.Double, 1.0, false, "no writable metric 'gain' on loop-left; writable: setpoint"},
                    {"loop-nope", "setpoint", MetricDataType.Double, 1.0, false, "loop 'nope' is not running"},
                    {"stream-imu", "rateHz", MetricDataType.Double, 1.0, false, "device 'stream-imu' takes no commands; loop devices take setpoint"}};
            for (int i = 0; i < bad.length; i++) {
                Object[] b = bad[i];
                long sent = System.nanoTime();
                host.command(NODE, (String) b[0], (String) b[1], (MetricDataType) b[2], b[3], (Boolean) b[4]);
                long refusedCount = i + 3;
                SparkplugHost.Received r = nodeDataWhere(sent, d -> d.value("commands/refused").equals(refusedCount));
                assertEquals(b[5], r.value("commands/lastError"), "refusal " + i);
                assertEquals(3.0, left.setpoint(), "refused " + b[3] + ": the setpoint stays");
            }
            long garbage = System.nanoTime();
            host.raw("spBv1.0/armature/NCMD/" + NODE, "{\"estop\":true}".getBytes(StandardCharsets.UTF_8));
            SparkplugHost.Received notSparkplug = nodeDataWhere(garbage, d -> d.value("commands/refused").equals(9L));
            assertTrue(String.valueOf(notSparkplug.value("commands/lastError")).startsWith("not a Sparkplug B payload"),
                    String.valueOf(notSparkplug.value("commands/lastError")));
            assertTrue(safety.mayMove(), "a payload that is not Sparkplug B changes nothing");
        }

        // not renewed: the last DCMD setpoint lapses after the lease
        Lapse lapse = lapse(left, 2.5, lease, () -> host.command(NODE, "loop-left", "setpoint", MetricDataType.Double, 2.5, false));
        System.out.printf(Locale.ROOT, "a DCMD setpoint not renewed: its lease ended %.1f ms after it was sent (lease %d ms), "
                + "and it was seen at 0 %.2f ms after that (loop period %.0f ms)%n", lapse.leaseMillis(), lease, lapse.afterLeaseMillis(),
                LOOP_PERIOD_MILLIS);
        assertEquals(SafetyState.OK, safety.state(), "a lapse is not a trip: " + safety.tripReason());
        lapse.check(lease, LAPSE_SLACK_MILLIS);
        assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement()) < 0.3), "the wheel stopped: " + left.measurement() + " rad/s");

        // NCMD E-Stop while the wheel is driven: PWM 0
        try (Renewal renewal = new Renewal(lease / 3, () -> host.command(NODE, "loop-left", "setpoint", MetricDataType.Double, 3.0, false))) {
            assertTrue(Poll.until(10_000, () -> pwm.duty() > 0 && Math.abs(left.measurement() - 3) < 0.5), "driven again: " + pwm.duty());
        }
        long sent = System.nanoTime();
        host.command(NODE, null, "Node Control/E-Stop", MetricDataType.Boolean, true, false);
        assertTrue(Poll.until(5_000, () -> safety.state() == SafetyState.TRIPPED && pwm.duty() == 0), "the NCMD E-Stop put PWM to 0: " + pwm.duty());
        System.out.printf(Locale.ROOT, "NCMD E-Stop published -> tripped and PWM 0 within %.1f ms%n", (System.nanoTime() - sent) / 1e6);
        assertEquals("estop:mqtt", safety.tripReason().orElseThrow().source());
        long tripped = System.nanoTime();
        SparkplugHost.Received trip = nodeDataWhere(tripped, d -> "TRIPPED".equals(d.value("safety")));
        assertEquals("estop:mqtt", trip.value("trip/source"));

        long resetFalse = System.nanoTime();
        host.command(NODE, null, "Node Control/Reset", MetricDataType.Boolean, false, false);
        assertEquals("Node Control/Reset must be the Boolean true, was Boolean false",
                nodeDataWhere(resetFalse, d -> d.value("commands/refused").equals(10L)).value("commands/lastError"));
        assertEquals(SafetyState.TRIPPED, safety.state(), "Reset=false resets nothing");
        long resetTrue = System.nanoTime();
        host.command(NODE, null, "Node Control/Reset", MetricDataType.Boolean, true, false);
        String refusal = String.valueOf(nodeDataWhere(resetTrue, d -> d.value("commands/refused").equals(11L)).value("commands/lastError"));
        assertTrue(refusal.startsWith("source 'mqtt' may not reset"), refusal);
        Thread.sleep(500);
        assertEquals(SafetyState.TRIPPED, safety.state(), "a reset from MQTT is refused: the e-stop stays");
        assertEquals(0, pwm.duty());
        assertTrue(Poll.until(5_000, () -> robot.gogo("mqtt:status").matches("(?s).*commands enabled: accepted \\d+, refused 11, ignored 0\n.*")),
                robot.gogo("mqtt:status"));
    }

    /** NDEATH is the Last Will: the robot's JVM is killed, and the broker sends it with the bdSeq of the NBIRTH. */
    @Test
    void whenTheNodeDiesTheBrokerPublishesItsNdeath() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        host = new SparkplugHost(broker.uri(), "armature");
        clients.add(host);
        StringBuffer output = new StringBuffer();
        separateJvm = startSeparateJvm(output, "brokerUri", broker.uri(), "payloadFormat", "sparkplugb",
                "keepAliveSeconds", "60");
        assertTrue(Poll.until(60_000, () -> !host.of("NBIRTH", null, 0).isEmpty()), "NBIRTH: " + output);
        Object bdSeq = host.of("NBIRTH", null, 0).get(0).value("bdSeq");
        long killed = System.nanoTime();
        separateJvm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        // keep-alive is 60 s: an NDEATH within 5 s comes from the dropped connection
        assertTrue(Poll.until(5_000, () -> !host.of("NDEATH", null, killed).isEmpty()), "the NDEATH: " + broker.log());
        SparkplugHost.Received death = host.of("NDEATH", null, killed).get(0);
        assertEquals(bdSeq, death.value("bdSeq"), "the NDEATH's bdSeq is the NBIRTH's");
        assertEquals(List.of("bdSeq"), death.names());
    }
}
