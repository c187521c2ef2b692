package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.junit.jupiter.api.Test;

import io.armature.control.TunableLoop;
import io.armature.hal.PwmOutput;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;

/**
 * The sim-rover against a real mosquitto broker on 127.0.0.1, seen and driven through the real
 * command-line clients mosquitto_sub and mosquitto_pub, as a fleet operator would.
 */
class MqttTelemetryTest extends MqttRobotTest {

    private static final String BASE = "armature/sim-rover";
    private void awaitOnline(String... clientOptions) throws Exception {
        assertTrue(Poll.until(20_000, () -> "true".equals(broker.first(BASE + "/online", 1_000, clientOptions))),
                "the robot announced itself online; console:\n" + robot.console() + "\nbroker:\n" + broker.log());
    }

    @Test
    void onlineAndStatusAreRetainedAndLoopTelemetryFlowsAtTheConfiguredRate() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        startRobot("brokerUri", broker.uri(), "telemetryRateHz", "5", "statusRateHz", "1");
        awaitOnline();

        String status = broker.first(BASE + "/status", 5_000);
        assertTrue(status != null && status.startsWith("{\"robot\":\"sim-rover\",\"safety\":\""), "retained status: " + status);
        assertTrue(status.contains("\"boards\":[{\"id\":\"sim\",\"model\":\"Armature simulated rover\",\"backend\":\"sim\""), status);
        assertTrue(status.contains("\"commandsEnabled\":false"), status);

        try (Mosquitto.Sub sub = broker.sub(BASE + "/loops/+", BASE + "/streams/+", BASE + "/status")) {
            Poll.until(5_000, () -> !sub.lines().isEmpty());
            long t0 = System.nanoTime();
            Thread.sleep(4_000);
            long t1 = System.nanoTime();
            List<String> left = sub.payloads(BASE + "/loops/left", t0);
            double seconds = (t1 - t0) / 1e9;
            double rate = left.stream().filter(p -> true).count() / seconds;
            System.out.printf(java.util.Locale.ROOT, "loops/left at %.2f Hz (configured 5), status at %.2f Hz (configured 1)%n", rate,
                    sub.payloads(BASE + "/status", t0).size() / seconds);
            assertTrue(rate > 3.5 && rate < 6.5, "loops/left at about 5 Hz: " + rate + " Hz");
            int statusCount = sub.payloads(BASE + "/status", t0).size();
            assertTrue(statusCount >= 3 && statusCount <= 6, "status at about 1 Hz: " + statusCount + " in " + seconds + " s");
            assertTrue(left.get(0).matches("\\{\"setpoint\":0\\.0,\"measurement\":[-0-9.E]+,\"output\":[-0-9.E]+,\"unit\":\"rad/s\","
                    + "\"controller\":\"pid\",\"fault\":null,\"rateHz\":1000\\.0,\"cycles\":\\d+,\"overruns\":\\d+,"
                    + "\"latenessP99Micros\":[0-9.E]+,\"latenessMaxMicros\":[0-9.E]+,\"failure\":null}"), left.get(0));
            assertTrue(!sub.payloads(BASE + "/loops/right", t0).isEmpty(), "the right loop too");
            String imu = sub.payloads(BASE + "/streams/imu", t0).get(0);
            assertTrue(imu.matches("\\{\"rateHz\":1000\\.0,\"published\":\\d+,\"lost\":\\d+,\"invalid\":\\d+,\"readers\":\\d+}"), imu);
            assertTrue(!sub.payloads(BASE + "/streams/encoder.left", t0).isEmpty(), "the encoder streams too");
        }

        // commandsEnabled=false: a setpoint on the command topic changes nothing
        TunableLoop loop = robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
        broker.pub(BASE + "/cmd/setpoint/left", "5");
        broker.pub(BASE + "/cmd/estop", "should be ignored");
        Thread.sleep(1_500);
        assertEquals(0.0, loop.setpoint(), "no command is taken while commands are disabled");
        assertTrue(!robot.console().contains("should be ignored"), robot.console());
        assertTrue(robot.gogo("mqtt:status").contains("commands disabled: accepted 0, refused 0, ignored 0\nclient Eclipse Paho 1.2.5"), robot.gogo("mqtt:status"));
    }

    /**
     * Commands go through the robot's one motion-command path as the source mqtt: a setpoint moves
     * the wheel while it is renewed and lapses to 0 after the lease when it is not; an e-stop puts
     * the motor's PWM to 0; a reset from MQTT is refused (mqtt has no reset rights by default) and
     * the robot stays tripped; bad commands are refused with one line and change nothing.
     */
    @Test
    void commandsGoThroughTheMotionPathLapseWithoutRenewalAndResetFromMqttIsRefused() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        // A retained command waits at the broker and would be replayed at every (re)subscription: refused.
        broker.pub(BASE + "/cmd/setpoint/left", "4", "-r");
        try (Mosquitto.Sub errors = broker.sub(BASE + "/cmd/error")) {
            Thread.sleep(300); // subscribed
            startRobot("brokerUri", broker.uri(), "commandsEnabled", "true");
            awaitOnline();
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
            assertTrue(Poll.until(5_000, () -> !errors.lines().isEmpty()), "the retained command is answered");
            assertEquals(BASE + "/cmd/error {\"topic\":\"" + BASE + "/cmd/setpoint/left\",\"error\":\"retained commands are refused: "
                    + "publish commands without the retain flag\"}", errors.lines().get(0));
            assertEquals(0.0, left.setpoint(), "a retained setpoint is refused");
            broker.pub(BASE + "/cmd/setpoint/left", null, "-r"); // clears it at the broker; as a live command it is empty
            assertTrue(Poll.until(5_000, () -> errors.lines().size() >= 2), errors.lines().toString());
            assertTrue(errors.lines().get(1).endsWith("\"error\":\"setpoint must be a number, was ''\"}"), errors.lines().get(1));

            SafetySupervisor safety = robot.healthySupervisor();
            MotionCommands motion = robot.service(MotionCommands.class, null, 5_000);
            long lease = mqttLeaseMillis(motion);
            PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
            MqttClient fleet = fleetClient();
            try (Renewal renewal = new Renewal(lease / 3, () -> publish(fleet, BASE + "/cmd/setpoint/left", "3"))) {
                assertTrue(Poll.until(10_000, () -> Math.abs(left.measurement() - 3) < 0.5),
                        "the wheel turns at the setpoint given over MQTT, renewed every " + lease / 3 + " ms: " + left.measurement() + " rad/s, "
                                + safety.tripReason());
                assertEquals(3.0, left.setpoint());
                assertEquals(Optional.of("mqtt"), motion.owner("left"), "the MQTT command is in force");

                String[][] bad = {
                        {"left", "abc", "setpoint must be a number, was 'abc'"},
                        {"left", "NaN", "setpoint must be a number, was 'NaN'"},
                        {"left", "1e9", "loop 'left': setpoint must be a number within ±30.0 rad/s, was 1.0E9"},
                        {"nope", "1", "loop 'nope' is not running"}};
                for (int i = 0; i < bad.length; i++) {
                    broker.pub(BASE + "/cmd/setpoint/" + bad[i][0], bad[i][1]);
                    int n = i + 3;
                    assertTrue(Poll.until(5_000, () -> errors.lines().size() >= n), "a refusal for " + bad[i][1] + ": " + errors.lines());
                    assertEquals(BASE + "/cmd/error {\"topic\":\"" + BASE + "/cmd/setpoint/" + bad[i][0] + "\",\"error\":\"" + bad[i][2] + "\"}",
                            errors.lines().get(i + 2));
                    assertEquals(3.0, left.setpoint(), "refused " + bad[i][1] + ": the setpoint stays");
                }
                broker.pub(BASE + "/cmd/fly", "1");
                assertTrue(Poll.until(5_000, () -> robot.gogo("mqtt:status").contains("ignored 1")), robot.gogo("mqtt:status"));
            }

            // not renewed: the last setpoint lapses after the lease, and the wheel stops
            Lapse lapse = lapse(left, 2.5, lease, () -> publish(fleet, BASE + "/cmd/setpoint/left", "2.5"));
            System.out.printf(Locale.ROOT, "an MQTT setpoint not renewed: its lease ended %.1f ms after it was sent (lease %d ms), "
                    + "and it was seen at 0 %.2f ms after that (loop period %.0f ms)%n", lapse.leaseMillis(), lease, lapse.afterLeaseMillis(),
                    LOOP_PERIOD_MILLIS);
            assertEquals(SafetyState.OK, safety.state(), "a lapse is not a trip: " + safety.tripReason());
            lapse.check(lease, LAPSE_SLACK_MILLIS);
            assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement()) < 0.3), "the wheel stopped: " + left.measurement() + " rad/s");
            assertEquals(Optional.empty(), motion.owner("left"), "nobody drives the wheel");

            // an e-stop over MQTT while the wheel is driven: PWM 0 at once
            try (Renewal renewal = new Renewal(lease / 3, () -> publish(fleet, BASE + "/cmd/setpoint/left", "3"))) {
                assertTrue(Poll.until(10_000, () -> pwm.duty() > 0 && Math.abs(left.measurement() - 3) < 0.5), "driven again: " + pwm.duty());
            }
            assertTrue(pwm.duty() > 0, "still driven within the lease of the last renewal");
            long sent = System.nanoTime();
            publish(fleet, BASE + "/cmd/estop", "stopped from the fleet");
            assertTrue(Poll.until(5_000, () -> safety.state() == SafetyState.TRIPPED && pwm.duty() == 0), "the e-stop put PWM to 0: " + pwm.duty());
            System.out.printf(Locale.ROOT, "cmd/estop published -> tripped and PWM 0 within %.1f ms%n", (System.nanoTime() - sent) / 1e6);
            assertEquals("estop:mqtt", safety.tripReason().orElseThrow().source());
            assertEquals("stopped from the fleet", safety.tripReason().orElseThrow().message());
            assertEquals(0.0, left.setpoint(), "the trip cleared the setpoint");
            assertTrue(Poll.until(5_000, () -> {
                String s = broker.first(BASE + "/status", 2_000);
                return s != null && s.contains("\"safety\":\"TRIPPED\",\"trip\":{\"source\":\"estop:mqtt\",\"message\":\"stopped from the fleet\"");
            }), "the retained status tells the fleet why");

            // a reset from MQTT is refused: mqtt has no reset rights, the e-stop stays
            broker.pub(BASE + "/cmd/reset", null);
            assertTrue(Poll.until(5_000, () -> errors.lines().size() >= 7), errors.lines().toString());
            assertTrue(errors.lines().get(6).startsWith(BASE + "/cmd/error {\"topic\":\"" + BASE + "/cmd/reset\",\"error\":\"source 'mqtt' may not reset"),
                    errors.lines().get(6));
            Thread.sleep(500);
            assertEquals(SafetyState.TRIPPED, safety.state(), "still tripped after the refused reset");
            assertEquals("estop:mqtt", safety.tripReason().orElseThrow().source());
            assertEquals(0, pwm.duty());
            // and so is a setpoint while tripped
            broker.pub(BASE + "/cmd/setpoint/left", "3");
            assertTrue(Poll.until(5_000, () -> errors.lines().size() >= 8), errors.lines().toString());
            assertTrue(errors.lines().get(7).contains("tripped"), errors.lines().get(7));
            assertEquals(0.0, left.setpoint());
            assertEquals(0, pwm.duty());

            String status = robot.gogo("mqtt:status");
            assertTrue(status.contains("motion source mqtt: priority 50, a command lapses " + lease + " ms after it arrived unless renewed, "
                    + "may not reset (armature.motion)\ncommands enabled: accepted "), status);
            assertTrue(status.matches("(?s).*commands enabled: accepted \\d+, refused 8, ignored 1\n.*"), status);
            assertEquals(8, errors.lines().size(), "an accepted command gets no error reply: " + errors.lines());

            // the operator resets (here the test, as the Robot page would): nothing moves until a new command
            robot.healthySupervisor();
            Thread.sleep(300);
            assertEquals(0.0, left.setpoint(), "a reset moves nothing");
            assertEquals(0, pwm.duty());
        }
    }

    /** A lost broker connection withdraws every MQTT command at once: the wheel stops without waiting for the lease. */
    @Test
    void whenTheBrokerConnectionIsLostTheWheelStopsAtOnceNotAtTheEndOfTheLease() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        startRobot("brokerUri", broker.uri(), "commandsEnabled", "true");
        awaitOnline();
        TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
        SafetySupervisor safety = robot.healthySupervisor();
        MotionCommands motion = robot.service(MotionCommands.class, null, 5_000);
        long lease = mqttLeaseMillis(motion);
        MqttClient fleet = fleetClient();
        long period = lease / 10;
        long killed;
        long stopped;
        try (Renewal renewal = new Renewal(period, () -> publish(fleet, BASE + "/cmd/setpoint/left", "3"))) {
            assertTrue(Poll.until(10_000, () -> Math.abs(left.measurement() - 3) < 0.5), "driven: " + left.measurement() + ", " + safety.tripReason());
            killed = System.nanoTime();
            broker.kill();
            stopped = waitFor(left, 0.0, killed + (lease + 5_000) * 1_000_000L);
        }
        assertTrue(stopped != 0, "the setpoint went to 0");
        double millis = (stopped - killed) / 1e6;
        System.out.printf(Locale.ROOT, "broker killed -> MQTT setpoint 0 after %.1f ms (lease %d ms, renewed every %d ms)%n", millis, lease, period);
        // the lease of the last renewal would end at the earliest lease - period after the kill
        assertTrue(millis < (lease - period) / 2.0, "withdrawn when the connection dropped, not at the end of the lease: " + millis + " ms");
        assertTrue(Poll.until(5_000, () -> robot.console().contains("WARN  armature.telemetry.mqtt: MQTT broker " + broker.uri()
                + " lost (Connection lost); every command of source 'mqtt' withdrawn; reconnecting")), "the loss is logged with the release: " + robot.console());
        assertEquals(SafetyState.OK, safety.state(), "a lost link is not a trip");
        assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement()) < 0.3), "the wheel stopped: " + left.measurement() + " rad/s");
    }

    @Test
    void theBrokerPasswordComesFromAFileAndAWrongOneIsReportedOnce() throws Exception {
        Path passwd = Mosquitto.passwordFile(dir, "robot", "correct horse");
        broker = new Mosquitto(dir, "allow_anonymous false", "password_file " + passwd);
        Path good = Files.writeString(dir.resolve("good.secret"), "correct horse\n");
        Path wrong = Files.writeString(dir.resolve("wrong.secret"), "battery staple\n");
        startRobot("brokerUri", broker.uri(), "username", "robot", "passwordFile", wrong.toString());

        assertTrue(Poll.until(10_000, () -> robot.console().contains("WARN  armature.telemetry.mqtt: MQTT broker " + broker.uri()
                + " not reachable (Not authorized to connect); retrying until it is, keeping the newest 1000 messages meanwhile")), robot.console());
        assertNull(broker.first(BASE + "/online", 1_500, "-u", "robot", "-P", "correct horse"), "nothing published without the password");

        FeatureRuntime.setConfig(robot.configDir().resolve(CFG), "passwordFile", good.toString());
        awaitOnline("-u", "robot", "-P", "correct horse");
        assertEquals(1, robot.console().split("not reachable", -1).length - 1, "one warning, not one per retry:\n" + robot.console());
        assertTrue(!robot.console().contains("correct horse") && !robot.console().contains("battery staple"), "no password in the log");
    }

    @Test
    void afterTheBrokerRestartsTelemetryFlowsAgainAndTheOfflineBufferStaysBounded() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        startRobot("brokerUri", broker.uri(), "telemetryRateHz", "10", "bufferSize", "25");
        awaitOnline();

        broker.kill();
        assertTrue(Poll.until(10_000, () -> robot.gogo("mqtt:status").contains("buffered 25 of 25")),
                "the buffer fills while the broker is away: " + robot.gogo("mqtt:status"));
        Thread.sleep(2_000); // another ~120 messages offered
        String status = robot.gogo("mqtt:status");
        assertTrue(status.contains("(reconnecting)") && status.contains("buffered 25 of 25"), "and grows no further: " + status);
        assertTrue(status.matches("(?s).*buffered 25 of 25 while offline \\([1-9]\\d+ older ones dropped\\).*"), "the oldest went: " + status);

        broker.start();
        try (Mosquitto.Sub sub = broker.sub(BASE + "/loops/left", BASE + "/online")) {
            assertTrue(Poll.until(20_000, () -> sub.payloads(BASE + "/online", 0).contains("true")
                    && sub.payloads(BASE + "/loops/left", 0).size() >= 20), "online again and telemetry flows: " + sub.lines()
                    + "\n" + robot.gogo("mqtt:status"));
        }
        assertTrue(robot.gogo("mqtt:status").contains("(connected)"), robot.gogo("mqtt:status"));
        assertEquals(1, robot.console().split("MQTT broker " + broker.uri() + " lost", -1).length - 1, robot.console());
        assertTrue(!robot.console().contains("Exception"), "no stack trace: " + robot.console());

        // Turned off while the broker is away: no thread keeps trying to reconnect.
        broker.kill();
        assertTrue(Poll.until(10_000, () -> robot.gogo("mqtt:status").contains("(reconnecting)")), robot.gogo("mqtt:status"));
        Files.delete(robot.configDir().resolve(CFG));
        assertTrue(Poll.until(10_000, () -> robot.gogo("mqtt:status").startsWith("MQTT telemetry is off")), robot.gogo("mqtt:status"));
        assertTrue(Poll.until(10_000, () -> mqttThreads().isEmpty()), "no MQTT thread left: " + mqttThreads());
    }

    /**
     * A broker that stops reading (paused, its connection open) while telemetry runs at 1 kHz: the
     * client's queue, which Paho does not bound at QoS 0, stops at the component's limit; newer
     * messages are dropped and counted instead of filling the heap the loops share; and telemetry
     * flows again when the broker reads again.
     */
    @Test
    void aBrokerThatStopsReadingCostsTheRobotABoundedBacklog() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        startRobot("brokerUri", broker.uri(), "telemetryRateHz", "1000", "keepAliveSeconds", "120");
        awaitOnline();
        try {
            broker.pause();
            // the socket buffers fill first (megabytes at ~7,000 messages/s), then the limit holds
            assertTrue(Poll.until(45_000, () -> behind(robot.gogo("mqtt:status")) > 0), "drops counted: " + robot.gogo("mqtt:status"));
            long published = published(robot.gogo("mqtt:status"));
            Thread.sleep(2_000);
            String status = robot.gogo("mqtt:status");
            assertEquals(published, published(status), "nothing more is handed to the client while it cannot write: " + status);
            assertTrue(behind(status) > 1_000, "2 s of telemetry dropped and counted: " + status);
            assertTrue(status.contains("(connected)"), status);
        } finally {
            broker.resume();
        }
        try (Mosquitto.Sub sub = broker.sub(BASE + "/loops/left")) {
            long resumed = System.nanoTime();
            assertTrue(Poll.until(20_000, () -> sub.payloads(BASE + "/loops/left", resumed).size() >= 50),
                    "telemetry flows again: " + robot.gogo("mqtt:status"));
        }
        long published = published(robot.gogo("mqtt:status"));
        assertTrue(Poll.until(5_000, () -> published(robot.gogo("mqtt:status")) > published + 1_000), robot.gogo("mqtt:status"));
    }

    private static long published(String status) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("published (\\d+),").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long behind(String status) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) dropped while the link was behind").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static List<String> mqttThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("MQTT") || n.startsWith("armature-mqtt")).toList(); // the component's, Paho's and the socket writer
    }

    /**
     * The Last Will: the robot's JVM is killed (SIGKILL, as by a power cut of the computer but not
     * the network), and the broker tells every subscriber that the robot is offline.
     */
    @Test
    void whenTheRobotDiesTheBrokerPublishesItsLastWill() throws Exception {
        broker = new Mosquitto(dir, "allow_anonymous true");
        StringBuffer output = new StringBuffer();
        separateJvm = startSeparateJvm(output, "brokerUri", broker.uri(), "keepAliveSeconds", "60");
        assertTrue(Poll.until(60_000, () -> "true".equals(broker.first(BASE + "/online", 1_000))), "online: " + output);
        try (Mosquitto.Sub sub = broker.sub(BASE + "/online")) {
            assertTrue(Poll.until(5_000, () -> sub.payloads(BASE + "/online", 0).contains("true")));
            long killed = System.nanoTime();
            separateJvm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            // keep-alive is 60 s: a will within 5 s comes from the dropped connection, not a timeout
            assertTrue(Poll.until(5_000, () -> sub.payloads(BASE + "/online", killed).contains("false")),
                    "the Last Will: " + sub.lines() + "\n" + broker.log());
        }
        assertEquals("false", broker.first(BASE + "/online", 2_000), "retained for whoever subscribes later");
    }
}
