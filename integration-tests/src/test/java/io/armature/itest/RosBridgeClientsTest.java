package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.safety.SafetySupervisor;

/**
 * The sim-rover's ROS bridge driven by the real ROS tool clients from npm, run by node: roslib
 * 2.1.0 on the rosbridge v2 server and @foxglove/ws-protocol 0.8.0 (the protocol of Foxglove
 * Studio) on the Foxglove server. The scripts are in {@code ros-clients/}; each prints what it saw
 * as one JSON line, which is checked here against what the robot did. Commands carry the robot's
 * token (generated at the first start into the data directory), in the URL or with rosbridge's
 * {@code auth}; the front doors refuse cross-origin and foreign-Host handshakes before the upgrade.
 */
class RosBridgeClientsTest {

    private static final Path CLIENTS = Path.of("ros-clients");

    private FeatureRuntime robot;

    @AfterEach
    void stop() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    private void startRobot() throws Exception {
        startRobot(configDir -> { });
    }

    private void startRobot(FeatureRuntime.ConfigEdits edits) throws Exception {
        assertTrue(Files.isDirectory(CLIENTS.resolve("node_modules/roslib")) && Files.isDirectory(CLIENTS.resolve("node_modules/@foxglove/ws-protocol")),
                "the ROS clients are not installed: run scripts/install-test-deps.sh (npm ci in integration-tests/ros-clients)");
        robot = FeatureRuntime.startReady("sim-rover", java.util.Map.of(), edits);
    }

    /** @return the robot's token: generated at its first start, printed once and kept in its data directory */
    private String token() throws IOException {
        String token = Files.readString(robot.dataDir().resolve("ros-token")).trim();
        assertTrue(robot.console().contains("ROS bridge token " + token + " (needed to command"), "printed once at the first start");
        return token;
    }

    /** @return the server's URL with the robot's token */
    private String urlWithToken(String portKey) throws IOException {
        return url(portKey) + "/?token=" + token();
    }

    private String url(String portKey) throws IOException {
        for (String line : Files.readAllLines(robot.configDir().resolve("armature.bridge.ros.cfg"))) {
            if (line.startsWith(portKey + "=")) {
                return "ws://127.0.0.1:" + line.substring(portKey.length() + 1).trim();
            }
        }
        throw new IllegalStateException("no " + portKey + " in armature.bridge.ros.cfg");
    }

    private TunableLoop loop(String name) throws Exception {
        return robot.service(TunableLoop.class, "(armature.loop.name=" + name + ")", 5_000);
    }

    /** One run of a client script; while it runs, the test samples the wheel loops. */
    private final class NodeRun {
        final Process process;
        final StringBuffer output = new StringBuffer();
        double maxAbsSetpoint;
        /** the fastest a watched wheel was measured; a look without a measurement (NaN: the encoder stream paused at rest) is no speed */
        double maxAbsMeasurement;
        int withoutMeasurement;
        String tripDuringRun;
        String result;

        final String command;

        NodeRun(String script, String url, String scenario, String... more) throws IOException {
            command = "node " + script + " " + url.replaceAll("token=[^&]*", "token=...") + " " + scenario;
            List<String> args = new ArrayList<>(List.of("node", script, url, scenario));
            args.addAll(List.of(more));
            process = new ProcessBuilder(args).directory(CLIENTS.toFile()).redirectErrorStream(true).start();
            ProcessOutput.collect(process, output, "node-" + scenario);
        }

        /** Waits for the script, sampling the loops every 20 ms; fails the test, showing its output, when node fails. */
        String result(TunableLoop... watched) throws Exception {
            return result(null, watched);
        }

        /** As {@link #result(TunableLoop...)}, noting in {@link #tripDuringRun} a trip of {@code safety} while the script ran. */
        String result(SafetySupervisor safety, TunableLoop... watched) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (process.isAlive() && System.nanoTime() < end) {
                for (TunableLoop l : watched) {
                    maxAbsSetpoint = Math.max(maxAbsSetpoint, Math.abs(l.setpoint()));
                    double m = l.measurement();
                    if (Double.isNaN(m)) {
                        withoutMeasurement++; // Math.max would make the maximum NaN, and every comparison with it false
                    } else {
                        maxAbsMeasurement = Math.max(maxAbsMeasurement, Math.abs(m));
                    }
                }
                if (safety != null && tripDuringRun == null && !safety.mayMove()) {
                    tripDuringRun = String.valueOf(safety.tripReason().orElse(null));
                }
                Thread.sleep(20);
            }
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                fail("node did not finish within 60 s; its output:\n" + output + "\nrobot console:\n" + robot.console());
            }
            process.waitFor(5, TimeUnit.SECONDS);
            Thread.sleep(100); // the reader thread has the last line
            System.out.println(command + ":\n" + output);
            if (process.exitValue() != 0) {
                fail("node exited with " + process.exitValue() + "; its output:\n" + output + "\nrobot console:\n" + robot.console());
            }
            Matcher m = Pattern.compile("(?m)^RESULT (.*)$").matcher(output);
            if (!m.find()) {
                fail("node printed no RESULT line; its output:\n" + output);
            }
            result = m.group(1);
            return result;
        }
    }

    /**
     * Runs a scenario that drives the rover and checks that the supervisor did not trip
     * meanwhile (a tripped robot rightly does not move, which the driving assertions would
     * misread). The wheel loops' skipped cycles are printed beside the result.
     */
    private NodeRun drive(String script, String portKey, String scenario, TunableLoop... watched) throws Exception {
        return driveAt(script, urlWithToken(portKey), scenario, watched);
    }

    private NodeRun driveAt(String script, String url, String scenario, TunableLoop[] watched) throws Exception {
        List<LoopStatistics> stats = new ArrayList<>();
        for (TunableLoop l : watched) {
            stats.add(robot.service(LoopStatistics.class, "(armature.loop.name=" + l.name() + ")", 5_000));
        }
        SafetySupervisor safety = robot.healthySupervisor();
        long[] overrunsBefore = stats.stream().mapToLong(LoopStatistics::overruns).toArray();
        long[] cyclesBefore = stats.stream().mapToLong(LoopStatistics::cycles).toArray();
        NodeRun run = new NodeRun(script, url, scenario);
        run.result(safety, watched);
        for (int i = 0; i < stats.size(); i++) {
            long skipped = stats.get(i).overruns() - overrunsBefore[i];
            long ran = stats.get(i).cycles() - cyclesBefore[i];
            System.out.println("loop " + stats.get(i).name() + " skipped " + skipped + " of " + (ran + skipped) + " cycles while the rover drove");
        }
        assertNull(run.tripDuringRun, "the supervisor tripped while the rover drove");
        return run;
    }

    private static double number(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?[0-9.eE+-]+)").matcher(json);
        assertTrue(m.find(), "no number " + field + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    private static List<String> strings(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":\\[(.*?)\\]").matcher(json);
        assertTrue(m.find(), "no array " + field + " in " + json);
        List<String> out = new ArrayList<>();
        Matcher s = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m.group(1));
        while (s.find()) {
            out.add(s.group(1).replace("\\\"", "\""));
        }
        return out;
    }

    private static void near(double expected, double actual, double tolerance, String what) {
        assertTrue(Math.abs(expected - actual) <= tolerance, String.format(Locale.ROOT, "%s: %.4f, expected %.4f ± %.4f", what, actual,
                expected, tolerance));
    }

    @Test
    void roslibSeesTheTopicsDrivesTheRoverWithCmdVelAndReadsOdomImuAndJointStates() throws Exception {
        startRobot();
        TunableLoop left = loop("left");
        TunableLoop right = loop("right");
        NodeRun run = drive("rosbridge.mjs", "rosbridgePort", "drive", left, right);
        String r = run.result;

        assertEquals(List.of("/cmd_vel", "/imu", "/joint_states", "/odom"), strings(r, "topics"), "rosapi/topics as roslib asks for it");
        assertEquals(List.of("geometry_msgs/msg/Twist", "sensor_msgs/msg/Imu", "sensor_msgs/msg/JointState", "nav_msgs/msg/Odometry"),
                strings(r, "types"));
        // 0.2 m/s on 0.04 m wheels is 5 rad/s for each wheel: the encoders follow
        near(5.0, run.maxAbsSetpoint, 1e-9, "wheel setpoint from /cmd_vel, rad/s");
        List<String> velocity = List.of(r.replaceAll(".*\"jointVelocity\":\\[([^\\]]*)\\].*", "$1").split(","));
        near(5.0, Double.parseDouble(velocity.get(0)), 0.5, "left wheel velocity in /joint_states median of the last second, rad/s");
        near(5.0, Double.parseDouble(velocity.get(1)), 0.5, "right wheel velocity in /joint_states median of the last second, rad/s");
        assertEquals(List.of("left_wheel_joint", "right_wheel_joint"), strings(r, "jointNames"));
        near(0.2, number(r, "odomLinear"), 0.03, "/odom twist.linear.x median of the last second, m/s");
        // 3 s at 0.2 m/s, less the wheels' spin-up: /odom moves forward
        near(0.55, number(r, "odomX"), 0.15, "/odom pose x after 3 s, m");
        assertTrue(r.contains("\"odomFrame\":\"odom\",\"odomChild\":\"base_link\""), r);
        assertTrue(number(r, "odomCount") >= 30, "/odom at 20 Hz for 3 s: " + r);
        assertTrue(number(r, "imuCount") >= 30, "/imu at 20 Hz for 3 s: " + r);
        near(9.81, number(r, "imuAccelZ"), 1.0, "/imu linear_acceleration.z, m/s²");
        assertEquals(-1.0, number(r, "imuOrientationCovariance0"), "REP 145: no orientation from this IMU");
        near(System.currentTimeMillis() / 1000.0, number(r, "stampSec"), 60, "header stamps are wall-clock seconds");
        assertTrue(r.contains("\"errors\":[]"), r);

        long t0 = System.nanoTime();
        assertTrue(Poll.until(3_000, () -> left.setpoint() == 0 && right.setpoint() == 0), "the wheels stop when the client leaves");
        System.out.printf(Locale.ROOT, "wheels set to 0 %.0f ms after the script's end (its source released; else its lease of 500 ms)%n",
                (System.nanoTime() - t0) / 1e6);
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement()) < 0.5), "and the left wheel comes to rest: " + left.measurement());
    }

    @Test
    void aQosMismatchIsWarnedWithNoDataAndALateTransientLocalJoinerGetsTheKeptHistory() throws Exception {
        startRobot();
        String r = new NodeRun("rosbridge.mjs", url("rosbridgePort"), "qos").result();
        assertEquals(List.of("warning: incompatible QoS: this subscription cannot receive from the robot's /imu publisher on /imu: reliability: "
                + "requested reliable, offered best_effort (offered best_effort, volatile, depth 5; requested reliable, volatile, depth 10); "
                + "by the ROS 2 QoS rules no data flows between them"), strings(r, "imuWarnings"));
        assertTrue(strings(r, "odomWarnings").get(0).startsWith("warning: incompatible QoS: this subscription cannot receive from the robot's "
                + "/odom publisher on /odom: durability: requested transient_local, offered volatile"), r);
        assertEquals(0.0, number(r, "imuMessagesWhileMismatched"), "no data across a mismatched pair");
        assertEquals(0.0, number(r, "odomMessagesWhileMismatched"), "no data across a mismatched pair");
        assertTrue(number(r, "imuMessagesAdapting") >= 10, "an ordinary subscription of /imu gets data: " + r);
        assertTrue(robot.console().contains("the robot's /imu publisher: incompatible QoS: rosbridge client"), robot.console());

        String latched = new NodeRun("rosbridge.mjs", url("rosbridgePort"), "latched").result();
        assertEquals(List.of("message 3", "message 4", "message 5"), strings(latched, "lateJoiner"),
                "depth 3: the last three of five, oldest first");
        assertEquals(List.of(), strings(latched, "volatileJoiner"), "a volatile joiner gets no history");
        assertTrue(latched.contains("\"listed\":true"), "a client's topic is in the topic list");
    }

    @Test
    void afterAnEstopCmdVelMovesNothingAndBadTwistsAreRefused() throws Exception {
        startRobot();
        SafetySupervisor safety = robot.healthySupervisor();
        TunableLoop left = loop("left");
        TunableLoop right = loop("right");
        safety.estop("test", "e-stop pressed in the test");
        // the token with rosbridge's auth operation, not in the URL
        NodeRun run = new NodeRun("rosbridge.mjs", url("rosbridgePort"), "refused", token());
        String r = run.result(left, right);
        List<String> statuses = strings(r, "statuses");
        assertEquals("error: /cmd_vel refused, no motion: the robot is tripped (estop:test: e-stop pressed in the test); reset it, then "
                + "command again", statuses.get(0), r);
        assertEquals("error: /cmd_vel refused, no motion: linear.x must be a finite number, was null", statuses.get(1), "NaN arrives as null");
        assertEquals("error: /cmd_vel refused, no motion: linear.x must be a finite number, was 'fast'", statuses.get(2));
        assertEquals("error: /cmd_vel refused, no motion: linear.x 50.0 m/s is beyond the limit of 1.0 m/s", statuses.get(3));
        assertEquals("error: publish on /cmd_vel needs \"msg\", a JSON object; was 'not a twist'", statuses.get(statuses.size() - 1));
        assertEquals(0.0, run.maxAbsSetpoint, "no setpoint while tripped or for a bad Twist");
        assertTrue(run.maxAbsMeasurement < 0.5, "the wheels stayed still: " + run.maxAbsMeasurement + " rad/s");
    }

    @Test
    void foxgloveSeesChannelsSubscribesAndTurnsTheRoverWithCmdVel() throws Exception {
        startRobot();
        TunableLoop left = loop("left");
        TunableLoop right = loop("right");
        NodeRun run = drive("foxglove.cjs", "foxglovePort", "drive", left, right);
        String r = run.result;
        assertTrue(r.contains("\"serverName\":\"Armature sim-rover\",\"capabilities\":[\"clientPublish\"],\"encodings\":[\"json\"]"), r);
        assertEquals(List.of("/cmd_vel geometry_msgs/msg/Twist json jsonschema", "/imu sensor_msgs/msg/Imu json jsonschema",
                "/joint_states sensor_msgs/msg/JointState json jsonschema", "/odom nav_msgs/msg/Odometry json jsonschema"), strings(r, "channels"));
        // 2 rad/s on a 0.20 m base with 0.04 m wheels: the wheels at -5 and +5 rad/s
        near(5.0, run.maxAbsSetpoint, 1e-9, "wheel setpoint from /cmd_vel, rad/s");
        near(2.0, number(r, "odomYawRate"), 0.3, "/odom twist.angular.z from the encoders median of the last second, rad/s");
        assertTrue(number(r, "odomCount") >= 30 && number(r, "imuCount") >= 30, r);
        assertTrue(r.contains("\"statuses\":[]"), r);
    }

    @Test
    void aBestEffortFoxglovePublisherOfCmdVelIsWarnedAndMovesNothing() throws Exception {
        startRobot();
        robot.healthySupervisor();
        TunableLoop left = loop("left");
        TunableLoop right = loop("right");
        NodeRun run = new NodeRun("foxglove.cjs", urlWithToken("foxglovePort"), "qos");
        String r = run.result(left, right);
        List<String> statuses = strings(r, "statuses");
        assertEquals("1: incompatible QoS: the robot's /cmd_vel subscription cannot receive from this publisher on /cmd_vel: reliability: "
                + "requested reliable, offered best_effort (offered best_effort, volatile, depth 10; requested reliable, volatile, depth 10); "
                + "by the ROS 2 QoS rules no data flows between them", statuses.get(0));
        assertTrue(statuses.get(1).startsWith("2: message on /cmd_vel refused: malformed JSON: Unexpected end-of-input"), r);
        assertEquals(2, statuses.size(), r);
        assertEquals(0.0, run.maxAbsSetpoint, "a best-effort /cmd_vel never reaches the reliable subscription");
    }

    @Test
    void aCrossOriginHandshakeIsRefusedOnBothServersAndTheFoxgloveAppIsTakenOnceAllowed() throws Exception {
        startRobot(configDir -> Files.writeString(configDir.resolve("armature.bridge.ros.cfg"), "allowedOrigins=https://app.foxglove.dev\n",
                java.nio.file.StandardOpenOption.APPEND));
        for (String[] server : new String[][] {{"rosbridge.mjs", "rosbridgePort"}, {"foxglove.cjs", "foxglovePort"}}) {
            String r = new NodeRun(server[0], url(server[1]), "crossorigin").result();
            assertEquals(403.0, number(r, "status"), server[0] + ": a page of another site: " + r);
            assertTrue(r.contains("\"evil\":{\"status\":403,\"body\":\"cross-origin handshake refused: Origin 'https://evil.example' is not in "
                    + "allowedOrigins\"}"), r);
            assertTrue(r.contains("\"foxgloveApp\":{\"status\":101}"), "the one-line opt-in lets the Foxglove web app connect: " + r);
        }
        String console = robot.console();
        for (String label : new String[] {"rosbridge", "Foxglove"}) {
            assertTrue(Pattern.compile(label + " handshake from 127\\.0\\.0\\.1:[0-9]+ refused \\(403\\): cross-origin handshake refused: "
                    + "Origin 'https://evil.example' is not in allowedOrigins").matcher(console).find(), "one log line each:\n" + console);
        }
    }

    @Test
    void aForeignHostIsRefusedOnBothServers() throws Exception {
        startRobot();
        for (String[] server : new String[][] {{"rosbridge.mjs", "rosbridgePort"}, {"foxglove.cjs", "foxglovePort"}}) {
            String r = new NodeRun(server[0], url(server[1]), "foreignhost").result();
            String port = url(server[1]).replaceAll(".*:", "");
            assertTrue(r.contains("\"foreign\":{\"status\":403,\"body\":\"handshake refused: Host 'rebind.evil.example:" + port
                    + "' is not this server (127.0.0.1:" + port + "); a name other than the robot's is DNS rebinding"), server[0] + ": " + r);
            assertTrue(r.contains("\"localhost\":{\"status\":101}"), "bound to loopback, localhost with the port is this server: " + r);
        }
    }

    @Test
    void aCmdVelWithoutTheTokenMovesNothingOnEitherServer() throws Exception {
        startRobot();
        robot.healthySupervisor();
        TunableLoop left = loop("left");
        TunableLoop right = loop("right");
        NodeRun ros = new NodeRun("rosbridge.mjs", url("rosbridgePort"), "notoken");
        String r = ros.result(left, right);
        List<String> statuses = strings(r, "statuses");
        assertEquals(15, statuses.size(), "one line for each /cmd_vel: " + r);
        assertEquals("error: /cmd_vel refused, no motion: this client has no credential: send {\"op\": \"auth\", \"mac\": "
                + "\"<the robot's token>\"} or connect with ?token=<the robot's token> (its operator has it: armature-data/ros-token)",
                statuses.get(0));
        assertTrue(strings(r, "topics").contains("/odom"), "reading over loopback needs no token: " + r);
        assertEquals(0.0, ros.maxAbsSetpoint, "no setpoint without the token");

        NodeRun fox = new NodeRun("foxglove.cjs", url("foxglovePort"), "notoken");
        String f = fox.result(left, right);
        List<String> foxStatuses = strings(f, "statuses");
        assertEquals(15, foxStatuses.size(), f);
        assertEquals("2: /cmd_vel refused, no motion: this client has no credential: connect with ?token=<the robot's token> (its operator "
                + "has it: armature-data/ros-token)", foxStatuses.get(0));
        assertEquals(0.0, fox.maxAbsSetpoint, "no setpoint without the token");
        assertTrue(ros.maxAbsMeasurement < 0.5 && fox.maxAbsMeasurement < 0.5, "the wheels stayed still: " + ros.maxAbsMeasurement + " and "
                + fox.maxAbsMeasurement + " rad/s at most (" + (ros.withoutMeasurement + fox.withoutMeasurement) + " looks without a measurement)");
    }

    @Test
    void withTheTokenTheWheelMovesAndStopsByTheLeaseWhenPublishingStops() throws Exception {
        startRobot();
        SafetySupervisor safety = robot.healthySupervisor();
        TunableLoop left = loop("left");
        NodeRun run = new NodeRun("rosbridge.mjs", urlWithToken("rosbridgePort"), "lease");
        double maxSetpoint = 0;
        double maxMeasurement = 0;
        long stoppedAt = 0;
        long zeroAt = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (run.process.isAlive() && System.nanoTime() < end && zeroAt == 0) {
            double sp = left.setpoint();
            maxSetpoint = Math.max(maxSetpoint, Math.abs(sp));
            double m = left.measurement();
            if (!Double.isNaN(m)) { // a look without a measurement is no speed, and would make the maximum NaN
                maxMeasurement = Math.max(maxMeasurement, Math.abs(m));
            }
            if (stoppedAt == 0 && run.output.indexOf("STOPPED PUBLISHING") >= 0) {
                stoppedAt = System.nanoTime();
            }
            if (stoppedAt != 0 && sp == 0) {
                zeroAt = System.nanoTime();
            }
            Thread.sleep(2);
        }
        String r = run.result(left);
        assertTrue(r.contains("\"errors\":[]"), r);
        assertTrue(safety.mayMove(), "no trip meanwhile");
        near(5.0, maxSetpoint, 1e-9, "0.2 m/s on 0.04 m wheels, rad/s");
        assertTrue(maxMeasurement > 3.0, "the wheel turned: " + maxMeasurement + " rad/s");
        assertTrue(stoppedAt != 0 && zeroAt != 0, "the setpoint went to 0 with the client still connected");
        double afterMillis = (zeroAt - stoppedAt) / 1e6;
        System.out.printf(Locale.ROOT, "left wheel setpoint 0 %.0f ms after the last /cmd_vel (lease 500 ms)%n", afterMillis);
        assertTrue(afterMillis <= 500 + 250, "within the lease and a few periods: " + afterMillis + " ms");
        assertTrue(afterMillis >= 250, "the lease holds through a missed period or two (the output pipe's delay aside): " + afterMillis + " ms");
    }
}
