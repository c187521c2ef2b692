package io.armature.recording.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.control.LoopSample;
import io.armature.mcap.McapRecord;
import io.armature.mcap.McapWriter;
import io.armature.recording.Player;
import io.armature.recording.read.RecordingFile;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.Sample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;
import io.armature.testing.ComponentConfigs;
import io.armature.testing.RecordingLogger;

/** An MCAP recording read back, and played into streams of its own. */
class McapPlayerTest {

    private final List<String> logged = new ArrayList<>();
    @TempDir
    Path dir;

    /** Streams the player registered, with their properties, and what a reader opened on each as it came read until it went. */
    private final Map<String, Map<String, Object>> registered = new LinkedHashMap<>();
    private final Map<String, List<Sample<?>>> read = new LinkedHashMap<>();
    private final List<String> unregistered = new ArrayList<>();
    private final McapPlayer player = new McapPlayer((stream, properties) -> {
        registered.put(stream.name(), properties);
        SampleReader<?> reader = stream.openQueue(4096);
        return () -> {
            read.put(stream.name(), drain(stream, reader));
            unregistered.add(stream.name());
        };
    }, RecordingLogger.into(logged));

    /** @return what the reader holds, each sample its own */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<Sample<?>> drain(SampleStream<?> stream, SampleReader reader) {
        List<Sample<?>> out = new ArrayList<>();
        try {
            while (true) {
                Sample s = stream.sampleType().getDeclaredConstructor().newInstance();
                if (!reader.poll(s)) {
                    return out;
                }
                out.add(s);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** 50 ms of a robot: IMU and left encoder at 1 kHz, the left loop's cycles, made with the recorder itself. */
    private Path recording() throws Exception {
        McapRecorder recorder = new McapRecorder(dir.resolve("recordings"), ComponentConfigs.of(McapRecorder.Config.class, Map.of()),
                RecordingLogger.into(logged));
        BroadcastStream<ImuSample> imu = new BroadcastStream<>("imu", 1000, 128, ImuSample::new);
        BroadcastStream<EncoderSample> encoder = new BroadcastStream<>("encoder.left", 1000, 128, EncoderSample::new);
        BroadcastStream<LoopSample> loop = new BroadcastStream<>("loop.left", 1000, 128, LoopSample::new);
        recorder.addStream(imu, Map.of());
        recorder.addStream(encoder, Map.of());
        recorder.addStream(loop, Map.of());
        Path file = dir.resolve("robot.mcap");
        recorder.start(file, List.of(), 0);
        long t0 = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            ImuSample s = imu.claim();
            s.timestampNanos = t0 + i * 1_000_000L;
            s.valid = true;
            s.accelZ = 9.81;
            s.gyroZ = i * 0.01;
            imu.publish();
            EncoderSample e = encoder.claim();
            e.timestampNanos = t0 + i * 1_000_000L + 300_000;
            e.valid = true;
            e.positionRadians = i * 0.02;
            e.velocityRadiansPerSecond = 20;
            encoder.publish();
            LoopSample c = loop.claim();
            c.timestampNanos = t0 + i * 1_000_000L + 600_000;
            c.setpoint = 20;
            c.profiledSetpoint = i * 0.4;
            c.measurement = 20;
            c.output = 0.25 + i * 1e-3;
            c.kp = 0.1;
            c.controller = "pid";
            loop.publish();
            Thread.sleep(1);
        }
        Thread.sleep(30);
        recorder.stop();
        return file;
    }

    @Test
    void aRecordingIsReadBackAsTheSamplesThatWereRecorded() throws Exception {
        RecordingFile f = RecordingFile.open(recording());
        assertEquals(List.of("/encoder/left", "/imu", "/loop/left"), f.streams().stream().map(RecordingFile.Stream::topic).toList());
        assertEquals(List.of("encoder.left", "imu", "loop.left"), f.streams().stream().map(RecordingFile.Stream::name).toList());
        assertEquals(1000, f.streams().get(1).rateHz(), 1e-6, "the rate the messages came at");
        assertEquals(List.of("/armature/safety", "/armature/commands"), f.otherTopics());
        assertEquals(0, f.lost("imu"));
        List<LoopSample> cycles = f.loopCycles("left");
        assertEquals(50, cycles.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(i * 0.4, cycles.get(i).profiledSetpoint, "bit for bit");
            assertEquals(0.25 + i * 1e-3, cycles.get(i).output);
            assertEquals("pid", cycles.get(i).controller);
        }
        for (int i = 1; i < 50; i++) {
            assertEquals(1_000_000L, cycles.get(i).timestampNanos - cycles.get(i - 1).timestampNanos, "the cycles' spacing, to the nanosecond");
        }
        assertEquals("recording.mcap has no cycles of loop 'right'; it has loops [left]".replace("recording", "robot"),
                assertThrows(IllegalArgumentException.class, () -> f.loopCycles("right")).getMessage());
    }

    @Test
    void theSensorStreamsArePlayedInTimeOrderIntoStreamsOfTheirOwnAndGoWhenItEnds() throws Exception {
        Path file = recording();
        Player.Replay r = player.play(file, false, false);
        assertEquals(Map.of("imu.replay", 50L, "encoder.left.replay", 50L), r.played());
        assertEquals(List.of("/armature/safety", "/armature/commands", "/loop/left"), r.notPlayed(), "loops and the robot's state are never played");
        assertEquals(List.of("encoder.left.replay", "imu.replay"), List.copyOf(registered.keySet()));
        assertEquals("robot.mcap", registered.get("imu.replay").get("armature.replay"));
        assertEquals(null, registered.get("imu.replay").get(org.osgi.framework.Constants.SERVICE_RANKING), "beside the live stream, not above it");
        assertEquals(List.of("encoder.left.replay", "imu.replay"), unregistered, "the streams go when the replay ends");

        List<Sample<?>> imu = read.get("imu.replay");
        List<Sample<?>> encoder = read.get("encoder.left.replay");
        assertEquals(50, imu.size());
        assertEquals(50, encoder.size());
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < 50; i++) {
            ImuSample s = (ImuSample) imu.get(i);
            EncoderSample e = (EncoderSample) encoder.get(i);
            assertEquals(i * 0.01, s.gyroZ, "the recorded values, bit for bit");
            assertEquals(9.81, s.accelZ);
            assertEquals(i * 0.02, e.positionRadians);
            assertEquals(20.0, e.velocityRadiansPerSecond);
            assertTrue(e.valid);
            assertEquals(300_000L, e.timestampNanos - s.timestampNanos, "the streams' relative timing, on this robot's clock");
            assertTrue(s.timestampNanos > previous);
            previous = s.timestampNanos;
        }
    }

    @Test
    void replacingRanksTheReplayAboveTheLiveStreamUnderItsRecordedName() throws Exception {
        player.play(recording(), false, true);
        assertEquals(McapPlayer.REPLACING_RANK, registered.get("imu").get(org.osgi.framework.Constants.SERVICE_RANKING));
        assertEquals("imu", registered.get("imu").get(SampleStream.PROPERTY_STREAM));
    }

    @Test
    void aDamagedRecordingIsRefusedBeforeAnyStreamIsRegistered() throws Exception {
        byte[] good = Files.readAllBytes(recording());
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x5a; // inside the data section: a chunk's CRC no longer matches
        Path damaged = Files.write(dir.resolve("damaged.mcap"), bad);
        IOException e = assertThrows(IOException.class, () -> player.play(damaged, false, false));
        assertTrue(e.getMessage().startsWith("MCAP at byte "), e.getMessage());
        assertEquals(Map.of(), registered, "nothing played");

        // a message whose CRCs are fine but which is no JointState: refused, naming it
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (McapWriter w = new McapWriter(out, McapWriter.Options.indexed())) {
            w.start(new McapRecord.Header("ros2", "test"));
            w.add(new McapRecord.Schema(1, "sensor_msgs/msg/JointState", "ros2msg", new byte[0]));
            w.add(new McapRecord.Channel(1, 1, "/encoder/left", "cdr", Map.of()));
            byte[] cut = {0, 1, 0, 0, 1, 0, 0, 0};
            w.addMessage(1, 0, 5, 5, cut, 0, cut.length);
        }
        Path odd = Files.write(dir.resolve("odd.mcap"), out.toByteArray());
        assertEquals("odd.mcap: message 0 on /encoder/left (log time 5) is not a sensor_msgs/msg/JointState: CDR message cut short: "
                + "an int32 at byte 8 needs 4 of 0 left", assertThrows(IOException.class, () -> player.play(odd, false, false)).getMessage());
        assertEquals(Map.of(), registered);
    }

    @Test
    void aRecordingWithoutSensorStreamsSaysWhatItHas() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (McapWriter w = new McapWriter(out, McapWriter.Options.indexed())) {
            w.start(new McapRecord.Header("ros2", "test"));
            w.add(new McapRecord.Schema(1, "std_msgs/msg/String", "ros2msg", "string data".getBytes()));
            w.add(new McapRecord.Channel(1, 1, "/chatter", "cdr", Map.of()));
        }
        Path chatter = Files.write(dir.resolve("chatter.mcap"), out.toByteArray());
        assertEquals("chatter.mcap holds no IMU or encoder stream to replay; its topics: [/chatter]",
                assertThrows(IllegalArgumentException.class, () -> player.play(chatter, false, false)).getMessage());
    }
}
