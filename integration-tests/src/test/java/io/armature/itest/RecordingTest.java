package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.armature.control.TunableLoop;
import io.armature.mcap.McapReader;
import io.armature.mcap.McapRecord;

/**
 * A recording of the running sim-rover, made from the shell and opened by peers nobody here
 * wrote: Foxglove's {@code @mcap/core} (indexed and streamed, CRCs checked), every schema parsed
 * by {@code @foxglove/rosmsg} and every message decoded by
 * {@code @foxglove/rosmsg2-serialization}, in node ({@code mcap-clients/open-recording.mjs}).
 */
class RecordingTest {

    private static final Path CLIENTS = Path.of("mcap-clients");
    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
    }

    @AfterAll
    static void shutdown() throws Exception {
        robot.close();
    }

    @Test
    void aRecordingOfTheDrivingRoverOpensInFoxglovesOwnLibrariesWithWhatTheRobotDid(@TempDir Path dir) throws Exception {
        assertTrue(Files.isDirectory(CLIENTS.resolve("node_modules/@mcap/core")),
                "the MCAP clients are not installed: run scripts/install-test-deps.sh (npm ci in integration-tests/mcap-clients)");
        robot.healthySupervisor();
        assertEquals("left setpoint 10 rad/s", robot.gogo("robot:setpoint left 10").trim());
        TunableLoop loop = robot.service(TunableLoop.class, "(armature.loop.name=left)", 5_000);
        assertTrue(Poll.until(5_000, () -> Math.abs(loop.measurement() - 10) < 0.5), "at speed: " + loop.measurement());
        Path file = dir.resolve("rover.mcap");
        String started = robot.gogo("robot:record " + file + " all 2").trim();
        assertTrue(started.startsWith("recording to " + file.toAbsolutePath() + ": "), started);
        assertTrue(started.contains("encoder.left") && started.contains("imu") && started.contains("loop.left"), started);
        assertTrue(robot.gogo("robot:setpoint left 99").startsWith("gogo: IllegalArgumentException: "), "refused: beyond the loop's limit");
        assertEquals("left setpoint 10 rad/s", robot.gogo("robot:setpoint left 10").trim());
        assertTrue(Poll.until(10_000, () -> robot.gogo("robot:record status").startsWith("recorded ")), robot.gogo("robot:record status"));
        String done = robot.gogo("robot:record status").trim();
        assertTrue(done.matches("recorded .*: 2\\.\\d s, \\d+ bytes; .*"), done);
        assertTrue(done.contains("imu ") && !done.matches(".*imu \\d+ messages, [1-9]\\d* lost.*"), "no IMU sample lost: " + done);
        assertEquals("gogo: IllegalArgumentException: no stream 'lidar'; streams: encoder.left, encoder.right, imu, loop.left, loop.right, motion.commands",
                robot.gogo("robot:record " + dir.resolve("x.mcap") + " lidar 1").trim());

        Process node = new ProcessBuilder("node", "open-recording.mjs", file.toAbsolutePath().toString()).directory(CLIENTS.toFile())
                .redirectErrorStream(true).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(60, TimeUnit.SECONDS), "node finished");
        assertEquals(0, node.exitValue(), out);
        System.out.println("the recording as Foxglove's libraries read it: " + out.strip());
        JsonNode seen = new ObjectMapper().readTree(out);
        assertEquals("ros2", seen.get("profile").asText());
        JsonNode imu = seen.get("topics").get("/imu");
        assertEquals("sensor_msgs/msg/Imu", imu.get("schema").asText());
        assertTrue(imu.get("count").asInt() > 1500, "2 s of a 1 kHz IMU: " + imu);
        assertTrue(imu.get("inOrder").asBoolean());
        assertEquals(9.81, imu.get("means").get("linear_acceleration.z").asDouble(), 0.3, "gravity on z, the rover upright: " + imu);
        assertEquals(-1.0, imu.get("means").get("orientation_covariance[0]").asDouble(), "no orientation estimate, as the message says");
        assertTrue(imu.get("qos").asText().contains("reliability: 2"), "the IMU offered best effort, as sensor data: " + imu);
        JsonNode left = seen.get("topics").get("/encoder/left");
        assertEquals("sensor_msgs/msg/JointState", left.get("schema").asText());
        assertEquals("encoder.left", left.get("name").asText());
        assertEquals(10.0, left.get("means").get("velocity[0]").asDouble(), 0.5, "the left wheel at its 10 rad/s setpoint: " + left);
        assertTrue(left.get("lastPosition").asDouble() - left.get("firstPosition").asDouble() > 15, "and its angle advancing, 20 rad in 2 s: " + left);
        JsonNode right = seen.get("topics").get("/encoder/right");
        assertEquals(0.0, right.get("means").get("velocity[0]").asDouble(), 0.2, "the right wheel at rest: " + right);
        JsonNode cycles = seen.get("topics").get("/loop/left");
        assertEquals("armature_msgs/msg/LoopCycle", cycles.get("schema").asText(), "every cycle of the left loop: " + cycles);
        assertEquals("left", cycles.get("name").asText());
        assertEquals("pid", cycles.get("controller").asText());
        assertTrue(cycles.get("count").asInt() > 1500, "2 s of a 1 kHz loop, every cycle: " + cycles);
        assertEquals(10.0, cycles.get("means").get("setpoint").asDouble(), 1e-9, "the setpoint it held: " + cycles);
        assertEquals(10.0, cycles.get("means").get("measurement").asDouble(), 0.5, "what it measured: " + cycles);
        assertEquals(0.04, cycles.get("means").get("kp").asDouble(), 1e-9, "the gains in force: " + cycles);
        JsonNode safety = seen.get("topics").get("/armature/safety");
        assertEquals("armature_msgs/msg/SafetyState", safety.get("schema").asText());
        assertEquals("OK", safety.get("states").get(0).asText(), "the safety state as the recording started: " + safety);
        JsonNode owners = seen.get("topics").get("/armature/commands");
        assertTrue(owners.get("owners").toString().contains("\"left:gogo\"") && owners.get("owners").toString().contains("\"right:\""),
                "the shell owns the left loop, nobody the right: " + owners);
        JsonNode commands = seen.get("topics").get("/motion/commands");
        assertEquals("armature_msgs/msg/MotionCommand", commands.get("schema").asText());
        List<String> received = new ArrayList<>();
        commands.get("commands").forEach(c -> received.add(c.asText()));
        assertEquals(2, received.size(), "each command as received: " + received);
        assertTrue(received.get(0).startsWith("SETPOINT gogo left 99 refused: "), "the refused one, with why: " + received);
        assertEquals("SETPOINT gogo left 10 taken in force", received.get(1));
        JsonNode odom = seen.get("topics").get("/odom");
        assertEquals("nav_msgs/msg/Odometry", odom.get("schema").asText(), "odometry from both wheels: " + odom);
        assertEquals("odom>base_link", odom.get("frames").asText());
        assertTrue(odom.get("count").asInt() > 150 && odom.get("count").asInt() <= 201, "at most 100 a second (the default rate) over 2 s: " + odom);
        // the left wheel at 10 rad/s, the right at rest: 0.2 m/s forward and -2 rad/s, on 0.04 m wheels 0.20 m apart
        assertEquals(0.2, odom.get("means").get("twist.linear.x").asDouble(), 0.02, "the body's speed: " + odom);
        assertEquals(-2.0, odom.get("means").get("twist.angular.z").asDouble(), 0.2, "turning right: " + odom);
        assertEquals(-4.0, odom.get("yawTravelled").asDouble(), 0.5, "the heading advancing over the 2 s: " + odom);
        long messages = 0;
        for (JsonNode t : seen.get("topics")) {
            messages += t.get("count").asLong();
        }
        assertEquals(messages, seen.get("statisticsMessages").asLong(), "the statistics count every message");
        assertTrue(seen.get("chunks").asInt() >= 1);
        assertEquals("0", seen.get("metadata").get("armature.recording").get("imu.lost").asText());

        // and this runtime's own reader reads it whole
        long read = McapReader.readAll(Files.readAllBytes(file)).stream().filter(r -> r instanceof McapRecord.Message).count();
        assertEquals(messages, read);

        // and played back into streams of its own, as fast as possible
        String replayed = robot.gogo("robot:replay " + file + " fast").trim();
        assertTrue(replayed.startsWith("replayed " + file.toAbsolutePath() + " as fast as possible ("), replayed);
        assertTrue(replayed.contains(": " + left.get("count").asInt() + " samples into encoder.left.replay, " + right.get("count").asInt()
                + " samples into encoder.right.replay, " + imu.get("count").asInt() + " samples into imu.replay; not played: "), replayed);
        assertTrue(replayed.contains("/loop/left") && replayed.contains("/motion/commands") && replayed.contains("/odom"),
                "what is not played into a running robot: " + replayed);
        robot.gogo("robot:setpoint left 0");
    }

    /** Runs a script of mcap-clients/ under node; @return what it printed, having checked it ended well */
    private static String node(String script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Process node = new ProcessBuilder(command).directory(CLIENTS.toFile()).redirectErrorStream(true).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(60, TimeUnit.SECONDS), "node finished");
        assertEquals(0, node.exitValue(), out);
        return out;
    }

    @Test
    void aRecordingThatFoxglovesWriterCompressedWithZstdAsRos2BagDoesReplaysIntoTheRobot(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("imu-zstd.mcap");
        node("write-compressed.mjs", file.toAbsolutePath().toString(), "500");
        List<McapRecord> records = McapReader.readAll(Files.readAllBytes(file));
        assertTrue(records.stream().anyMatch(r -> r instanceof McapRecord.ChunkIndex ci && ci.compression().equals("zstd")),
                "written as ros2 bag writes MCAP by default: zstd chunks");
        String replayed = robot.gogo("robot:replay " + file + " fast").trim();
        assertTrue(replayed.startsWith("replayed " + file.toAbsolutePath() + " as fast as possible (") && replayed.endsWith(": 500 samples into imu.replay"),
                replayed);
    }

    @Test
    void withLz4ChunksConfiguredARecordingStillOpensInFoxglovesLibraries(@TempDir Path dir) throws Exception {
        Path cfg = robot.configDir().resolve("armature.recording.cfg");
        Files.writeString(cfg, "compression=lz4\n");
        try {
            Path file = null;
            long deadline = System.nanoTime() + 15_000_000_000L;
            for (int i = 0; System.nanoTime() < deadline; i++) { // FileInstall delivers the file within its poll
                Path attempt = dir.resolve("lz4-" + i + ".mcap");
                robot.gogo("robot:record " + attempt + " imu,loop.left 0.3");
                assertTrue(Poll.until(10_000, () -> robot.gogo("robot:record status").startsWith("recorded ")), robot.gogo("robot:record status"));
                if (McapReader.readAll(Files.readAllBytes(attempt)).stream().anyMatch(r -> r instanceof McapRecord.ChunkIndex ci
                        && ci.compression().equals("lz4"))) {
                    file = attempt;
                    break;
                }
            }
            assertTrue(file != null, "a recording with lz4 chunks once the configuration arrived");
            JsonNode seen = new ObjectMapper().readTree(node("open-recording.mjs", file.toAbsolutePath().toString()));
            assertEquals("[\"lz4\"]", seen.get("chunkCompression").toString());
            assertTrue(seen.get("topics").get("/imu").get("count").asInt() > 200, "0.3 s of the IMU, decompressed and decoded: " + seen);
            assertEquals(9.81, seen.get("topics").get("/imu").get("means").get("linear_acceleration.z").asDouble(), 0.3);

            Files.writeString(cfg, "compression=brotli\n");
            assertTrue(Poll.until(10_000, () -> robot.console().contains("armature.recording configuration refused, the previous one stays: "
                    + "chunk compression 'brotli' is not one MCAP names; it has none, lz4 and zstd")), robot.console());
        } finally {
            // back to uncompressed before the file goes, so that the next test's recording is as the robot's own configuration says
            Files.writeString(cfg, "compression=none\n");
            Path probe = dir.resolve("probe.mcap");
            assertTrue(Poll.until(15_000, () -> {
                Files.deleteIfExists(probe);
                robot.gogo("robot:record " + probe + " imu 0.1");
                Poll.until(5_000, () -> robot.gogo("robot:record status").startsWith("recorded "));
                return McapReader.readAll(Files.readAllBytes(probe)).stream().noneMatch(r -> r instanceof McapRecord.ChunkIndex ci
                        && !ci.compression().isEmpty());
            }), "uncompressed again");
            Files.delete(cfg);
        }
    }

    @Test
    void theRestApiStartsAndStopsARecordingByNameAndServesItsFile() throws Exception {
        int port = robot.httpPort();
        String password = robot.consolePassword();
        assertEquals(403, Http.post(port, password, "recording/start", "{\"name\": \"evil.mcap\"}", "http://evil.example").statusCode(),
                "a page of another site cannot start a recording");
        HttpResponse<String> traversal = Http.post(port, password, "recording/start", "{\"name\": \"../../x.mcap\"}", null);
        assertEquals(400, traversal.statusCode(), traversal.body());

        HttpResponse<String> started = Http.post(port, password, "recording/start", "{\"name\": \"rest-1.mcap\", \"streams\": \"imu\"}", null);
        assertEquals(200, started.statusCode(), started.body());
        assertTrue(started.body().startsWith("{\"recording\":{\"name\":\"rest-1.mcap\",\"running\":true,"), started.body());
        HttpResponse<String> second = Http.post(port, password, "recording/start", "{\"name\": \"rest-2.mcap\"}", null);
        assertEquals(409, second.statusCode(), "one recording at a time: " + second.body());
        Thread.sleep(500);
        HttpResponse<String> stopped = Http.post(port, password, "recording/stop", "{}", null);
        assertEquals(200, stopped.statusCode(), stopped.body());
        assertTrue(stopped.body().contains("\"running\":false") && stopped.body().contains("\"lost\":{\"imu\":0}"), stopped.body());

        String list = Http.send(Http.api(port, password, "recordings"), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(list.contains("{\"name\":\"rest-1.mcap\",\"bytes\":"), list);
        HttpResponse<byte[]> file = Http.send(Http.api(port, password, "recordings/rest-1.mcap"), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, file.statusCode());
        assertEquals("attachment; filename=\"rest-1.mcap\"", file.headers().firstValue("Content-Disposition").orElse(null));
        long imu = McapReader.readAll(file.body()).stream().filter(r -> r instanceof McapRecord.Message).count();
        assertTrue(imu > 300, "half a second of the 1 kHz IMU, downloaded whole: " + imu);
        assertEquals(401, Http.get(port, "/armature/api/recordings/rest-1.mcap", null, null), "no credential, no file");
    }
}
