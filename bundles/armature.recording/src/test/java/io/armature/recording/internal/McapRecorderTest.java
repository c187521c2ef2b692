package io.armature.recording.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.mcap.McapReader;
import io.armature.mcap.McapRecord;
import io.armature.recording.RecordingStatus;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.kit.stream.BroadcastStream;
import io.armature.testing.ComponentConfigs;
import io.armature.testing.RecordingLogger;

class McapRecorderTest {

    private final List<String> logged = new ArrayList<>();
    @TempDir
    Path home;
    private McapRecorder recorder;

    @org.junit.jupiter.api.BeforeEach
    void recorder() {
        recorder = new McapRecorder(home.resolve("recordings"), ComponentConfigs.of(McapRecorder.Config.class, java.util.Map.of()), RecordingLogger.into(logged));
    }
    private final BroadcastStream<ImuSample> imu = new BroadcastStream<>("imu", 1000, 64, ImuSample::new);
    private final BroadcastStream<EncoderSample> encoder = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);

    @Test
    void streamsAreRecordedAsRos2MessagesOnTheirTopicsWithTheirDefinitionsAndQos(@TempDir Path dir) throws Exception {
        recorder.addStream(imu, java.util.Map.of());
        recorder.addStream(encoder, java.util.Map.of());
        Path file = dir.resolve("run.mcap");
        recorder.start(file, List.of(), 0);
        long t0 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            ImuSample s = imu.claim();
            s.timestampNanos = t0 + i * 1_000_000L;
            s.valid = true;
            s.accelZ = 9.81;
            s.gyroZ = 0.5;
            imu.publish();
            EncoderSample e = encoder.claim();
            e.timestampNanos = t0 + i * 1_000_000L;
            e.valid = i != 7; // one invalid sample: left out, counted
            e.positionRadians = i * 0.01;
            e.velocityRadiansPerSecond = 10;
            encoder.publish();
            if (i % 20 == 0) {
                Thread.sleep(5); // the recorder keeps up with its queues
            }
        }
        Thread.sleep(50);
        RecordingStatus done = recorder.stop().orElseThrow();
        assertFalse(done.running());
        assertEquals(200L, done.messages().get("imu"));
        assertEquals(199L, done.messages().get("encoder.left"));
        assertEquals(0L, done.lost().get("imu"));
        assertEquals(Files.size(file), done.bytes());

        List<McapRecord> records = McapReader.readAll(Files.readAllBytes(file));
        assertEquals(new McapRecord.Header("ros2", "armature"), records.get(0));
        List<McapRecord.Schema> schemas = records.stream().filter(r -> r instanceof McapRecord.Schema).map(r -> (McapRecord.Schema) r).toList();
        assertEquals(List.of("sensor_msgs/msg/JointState", "sensor_msgs/msg/Imu", "armature_msgs/msg/SafetyState", "armature_msgs/msg/LoopOwner"),
                schemas.stream().map(McapRecord.Schema::name).distinct().toList());
        assertTrue(new String(schemas.get(1).data(), StandardCharsets.UTF_8).contains("\nMSG: geometry_msgs/Vector3\n"), "the definition with its dependencies");
        List<McapRecord.Channel> channels = records.stream().filter(r -> r instanceof McapRecord.Channel).map(r -> (McapRecord.Channel) r).distinct().toList();
        assertEquals(List.of("/encoder/left", "/imu", "/armature/safety", "/armature/commands"), channels.stream().map(McapRecord.Channel::topic).toList());
        assertTrue(channels.get(1).metadata().get("offered_qos_profiles").contains("reliability: 2"), "sensor data is best effort");
        McapRecord.Metadata meta = records.stream().filter(r -> r instanceof McapRecord.Metadata).map(r -> (McapRecord.Metadata) r).findFirst().orElseThrow();
        assertEquals("1", meta.metadata().get("encoder.left.invalid"));
        assertEquals("0", meta.metadata().get("imu.lost"));

        McapRecord.Message first = records.stream().filter(r -> r instanceof McapRecord.Message m && m.channelId() == channels.get(1).id())
                .map(r -> (McapRecord.Message) r).findFirst().orElseThrow();
        // sensor_msgs/msg/Imu in CDR: header (stamp, frame_id "imu"), orientation, 9 covariances, angular velocity, 9, linear acceleration
        ByteBuffer b = ByteBuffer.wrap(first.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x00010000, Integer.reverseBytes(b.getInt(0)), "CDR little-endian encapsulation");
        long stamp = b.getInt(4) * 1_000_000_000L + Integer.toUnsignedLong(b.getInt(8));
        assertEquals(first.logTime(), stamp, "the header's stamp is the log time");
        assertEquals(4, b.getInt(12), "frame_id 'imu' with its NUL");
        int orientation = 4 + align8(8 + 4 + 4);
        assertEquals(-1.0, b.getDouble(orientation + 32), "orientation unknown, as sensor_msgs/Imu says");
        int gyro = orientation + 32 + 72;
        assertEquals(0.5, b.getDouble(gyro + 16));
        assertEquals(9.81, b.getDouble(gyro + 24 + 72 + 16));
        assertEquals(gyro + 24 + 72 + 24 + 72, first.data().length);
    }

    private static int align8(int n) {
        return (n + 7) / 8 * 8;
    }

    @Test
    void anExistingFileAStreamNotThereAndASecondRecordingAreRefused(@TempDir Path dir) throws Exception {
        recorder.addStream(imu, java.util.Map.of());
        Path exists = Files.writeString(dir.resolve("old.mcap"), "keep me");
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> recorder.start(exists, List.of(), 0));
        assertEquals("keep me", Files.readString(exists), "nothing overwritten");
        assertEquals("no stream 'lidar'; streams: imu",
                assertThrows(IllegalArgumentException.class, () -> recorder.start(dir.resolve("a.mcap"), List.of("lidar"), 0)).getMessage());
        recorder.start(dir.resolve("b.mcap"), List.of("imu"), 0);
        assertThrows(IllegalStateException.class, () -> recorder.start(dir.resolve("c.mcap"), List.of("imu"), 0));
        assertTrue(recorder.status().orElseThrow().running());
        recorder.stop();
        assertFalse(Files.exists(dir.resolve("a.mcap")), "a refused start leaves no file");
        assertTrue(McapReader.readAll(Files.readAllBytes(dir.resolve("b.mcap"))).size() > 3, "the stopped recording is a whole file");
    }

    @Test
    void theSafetyStateIsRecordedAsItStandsAndWhenItChanges(@TempDir Path dir) throws Exception {
        io.armature.testing.FakeSupervisor supervisor = new io.armature.testing.FakeSupervisor();
        recorder.setSupervisor(supervisor);
        recorder.addStream(imu, java.util.Map.of());
        Path file = dir.resolve("trip.mcap");
        recorder.start(file, List.of("imu"), 0);
        Thread.sleep(50);
        supervisor.estop("estop:gogo", "test");
        Thread.sleep(50);
        recorder.stop();
        List<McapRecord> records = McapReader.readAll(Files.readAllBytes(file));
        int safety = records.stream().filter(r -> r instanceof McapRecord.Channel c && c.topic().equals("/armature/safety"))
                .map(r -> ((McapRecord.Channel) r).id()).findFirst().orElseThrow();
        List<byte[]> states = records.stream().filter(r -> r instanceof McapRecord.Message m && m.channelId() == safety)
                .map(r -> ((McapRecord.Message) r).data()).toList();
        assertEquals(2, states.size(), "the state at the start, then the trip");
        assertTrue(new String(states.get(0), StandardCharsets.UTF_8).contains("OK"), "first OK");
        String tripped = new String(states.get(1), StandardCharsets.UTF_8);
        assertTrue(tripped.contains("TRIPPED") && tripped.contains("estop:gogo") && tripped.contains("test"), "then the trip, its source and reason");
    }

    @Test
    void aTimedRecordingEndsByItself(@TempDir Path dir) throws Exception {
        recorder.addStream(imu, java.util.Map.of());
        recorder.start(dir.resolve("t.mcap"), List.of("imu"), 0.2);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (recorder.status().orElseThrow().running() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        RecordingStatus s = recorder.status().orElseThrow();
        assertFalse(s.running(), "ended after its 0.2 s");
        assertTrue(s.seconds() >= 0.2 && s.seconds() < 3, "ran " + s.seconds() + " s");
    }

    @Test
    void bothWheelsGiveOdometryOnOdomAndEveryCommandIsRecordedAsReceived(@TempDir Path dir) throws Exception {
        BroadcastStream<EncoderSample> right = new BroadcastStream<>("encoder.right", 1000, 64, EncoderSample::new);
        BroadcastStream<io.armature.motion.CommandSample> journal = new BroadcastStream<>(io.armature.motion.CommandSample.STREAM, 0, 64,
                io.armature.motion.CommandSample::new);
        recorder.setCommands(new io.armature.testing.FakeMotionCommands(new io.armature.testing.FakeSupervisor())); // radius 0.04 m, base 0.20 m
        recorder.addStream(encoder, java.util.Map.of());
        recorder.addStream(right, java.util.Map.of());
        recorder.addStream(journal, java.util.Map.of());
        Path file = dir.resolve("drive.mcap");
        recorder.start(file, List.of(), 0);
        io.armature.motion.CommandSample c = journal.claim();
        c.timestampNanos = System.nanoTime();
        c.kind = io.armature.motion.CommandSample.Kind.TWIST;
        c.source = "rosbridge";
        c.value = 0.2;
        c.accepted = false;
        c.detail = "the robot is tripped";
        journal.publish();
        long t0 = System.nanoTime();
        // Both wheels at 0.25 rad per ms (25 rad on 0.04 m wheels is 1 m); the right encoder sampled 0.5 ms
        // after the left. A wheel's sample is taken once the other wheel's next one shows that nothing
        // earlier is to come: the left wheel's sample after the last step lets the right wheel's last one
        // be taken.
        for (int i = 0; i <= 101; i++) {
            for (BroadcastStream<EncoderSample> wheel : i <= 100 ? List.of(encoder, right) : List.of(encoder)) {
                double ms = i + (wheel == right ? 0.5 : 0);
                EncoderSample e = wheel.claim();
                e.timestampNanos = t0 + (long) (ms * 1_000_000L);
                e.valid = true;
                e.positionRadians = ms * 0.25;
                e.velocityRadiansPerSecond = 250;
                wheel.publish();
            }
            if (i % 20 == 0) {
                Thread.sleep(5);
            }
        }
        Thread.sleep(50);
        RecordingStatus done = recorder.stop().orElseThrow();
        // the pose integrated at every sample taken in time order once both wheels have one (the first at 0.5 ms),
        // written at most 100 times a second: at 0.5, 10.5, ... 100.5 ms
        assertEquals(11L, done.messages().get("odom"), "at the configured 100 Hz at most");
        assertEquals(0L, done.lost().get("odom"));

        List<McapRecord> records = McapReader.readAll(Files.readAllBytes(file));
        java.util.Map<String, Integer> topics = new java.util.HashMap<>();
        records.stream().filter(r -> r instanceof McapRecord.Channel).forEach(r -> topics.put(((McapRecord.Channel) r).topic(), ((McapRecord.Channel) r).id()));
        assertTrue(records.stream().anyMatch(r -> r instanceof McapRecord.Schema sc && sc.name().equals("nav_msgs/msg/Odometry")
                && new String(sc.data(), StandardCharsets.UTF_8).contains("MSG: geometry_msgs/TwistWithCovariance\n")));
        List<McapRecord.Message> odom = records.stream().filter(r -> r instanceof McapRecord.Message m && m.channelId() == topics.get("/odom"))
                .map(r -> (McapRecord.Message) r).toList();
        McapRecord.Message last = odom.get(odom.size() - 1);
        ByteBuffer b = ByteBuffer.wrap(last.data()).order(ByteOrder.LITTLE_ENDIAN);
        int x = last.data().length - 85 * 8; // position, orientation, 36 covariances, then the twist: 6 and 36
        assertEquals(1.0, b.getDouble(x), 1e-9, "from where both wheels first had a sample (0.5 ms in) to the last (100.5 ms in): 25 rad");
        assertEquals(0.0, b.getDouble(x + 8), 1e-12, "straight ahead: the wheels sampled apart are brought to the same instant, not read as a turn");
        assertEquals(1.0, b.getDouble(x + 48), 1e-12, "orientation w: heading 0");
        assertEquals(10.0, b.getDouble(x + 43 * 8), 1e-9, "the body's speed: 250 rad/s * 0.04 m");
        for (int i = 1; i < odom.size(); i++) {
            assertTrue(odom.get(i).logTime() >= odom.get(i - 1).logTime(), "in time order");
        }

        List<McapRecord.Message> commands = records.stream()
                .filter(r -> r instanceof McapRecord.Message m && m.channelId() == topics.get("/motion/commands")).map(r -> (McapRecord.Message) r).toList();
        assertEquals(1, commands.size());
        String text = new String(commands.get(0).data(), StandardCharsets.UTF_8);
        assertTrue(text.contains("TWIST") && text.contains("rosbridge") && text.contains("the robot is tripped"), text);
        assertTrue(records.stream().anyMatch(r -> r instanceof McapRecord.Schema sc && sc.name().equals("armature_msgs/msg/MotionCommand")));
    }

    @Test
    void aConfigurationItCannotUseIsReportedAndRecordsNothingUntilMended(@TempDir Path dir) throws Exception {
        McapRecorder bad = new McapRecorder(dir.resolve("recordings"), ComponentConfigs.of(McapRecorder.Config.class,
                java.util.Map.of("compression", "brotli")), RecordingLogger.into(logged));
        assertTrue(logged.stream().anyMatch(l -> l.contains("armature.recording configuration is not usable: chunk compression 'brotli' is not one "
                + "MCAP names; it has none, lz4 and zstd")), logged.toString());
        bad.addStream(imu, java.util.Map.of());
        assertEquals("the recorder's configuration (armature.recording): chunk compression 'brotli' is not one MCAP names; it has none, lz4 and zstd; "
                + "nothing recorded", assertThrows(IllegalArgumentException.class, () -> bad.start(dir.resolve("x.mcap"), List.of(), 0)).getMessage());
        assertFalse(Files.exists(dir.resolve("x.mcap")));
        bad.modified(ComponentConfigs.of(McapRecorder.Config.class, java.util.Map.of("odomRateHz", 0.0)));
        assertTrue(logged.stream().anyMatch(l -> l.contains("odomRateHz must be 1..1000, was 0.0")), "refused, the previous stays: " + logged);
        bad.modified(ComponentConfigs.of(McapRecorder.Config.class, java.util.Map.of("compression", "lz4")));
        bad.start(dir.resolve("y.mcap"), List.of(), 0);
        bad.stop();
        assertTrue(McapReader.readAll(Files.readAllBytes(dir.resolve("y.mcap"))).size() > 3, "mended: it records");
    }
}
