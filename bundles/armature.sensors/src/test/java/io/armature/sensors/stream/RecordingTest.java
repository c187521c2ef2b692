package io.armature.sensors.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.sensor.EncoderSample;
import io.armature.kit.stream.BroadcastStream;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;

class RecordingTest {

    @TempDir
    Path dir;

    private static void publish(BroadcastStream<ImuSample> s, int n) {
        ImuSample slot = s.claim();
        slot.timestampNanos = 1_000_000L * n;
        slot.valid = n % 7 != 0;
        slot.accelX = n * 0.5;
        slot.accelY = -n;
        slot.accelZ = 9.80665;
        slot.gyroX = Math.sin(n);
        slot.gyroY = Math.cos(n);
        slot.gyroZ = n * 1e-3;
        s.publish();
    }

    private Path recordThousand() throws IOException {
        BroadcastStream<ImuSample> live = new BroadcastStream<>("imu", 1000, 4096, ImuSample::new);
        SampleReader<ImuSample> reader = live.openQueue(4096);
        for (int n = 0; n < 1000; n++) {
            publish(live, n);
        }
        Path file = dir.resolve("imu.arms");
        assertEquals(1000, Recording.record(reader, SampleCodec.IMU, "imu", 1000, file, 200_000_000L));
        return file;
    }

    @Test
    void aRecordingReplaysTheSameSamplesInTheSameOrder() throws Exception {
        Path file = recordThousand();
        assertEquals(new Recording.Header("imu", "imu", 1000.0), Recording.header(file));
        assertEquals(1000L * SampleCodec.IMU.size() + 4 + 1 + 5 + 5 + 8, Files.size(file), "compact: a 57-byte record per sample");
        for (int pass = 0; pass < 2; pass++) { // deterministic: every replay gives the same
            BroadcastStream<ImuSample> replay = new BroadcastStream<>("imu.replay", 1000, 4096, ImuSample::new);
            SampleReader<ImuSample> reader = replay.openQueue(4096);
            assertEquals(1000, Recording.replay(file, SampleCodec.IMU, replay::publish, false));
            ImuSample s = new ImuSample();
            for (int n = 0; n < 1000; n++) {
                assertTrue(reader.poll(s));
                assertEquals(1_000_000L * n, s.timestampNanos, "original timestamps");
                assertEquals(n % 7 != 0, s.valid, "validity flags kept");
                assertEquals(Math.sin(n), s.gyroX);
                assertEquals(-n, s.accelY);
            }
            assertFalse(reader.poll(s));
            assertEquals(1000 / 7 + 1, replay.invalidCount());
        }
    }

    @Test
    void realTimeReplayKeepsTheRecordedSpacing() throws Exception {
        Path file = recordThousand();
        BroadcastStream<ImuSample> replay = new BroadcastStream<>("imu.replay", 1000, 4096, ImuSample::new);
        long t0 = System.nanoTime();
        Recording.replay(file, SampleCodec.IMU, replay::publish, true);
        long took = System.nanoTime() - t0;
        assertTrue(took >= 990_000_000L, "1000 samples 1 ms apart take at least 0.99 s, took " + took / 1e6 + " ms");
    }

    @Test
    void aFileThatIsNoRecordingIsRefusedClearly() throws Exception {
        Path junk = Files.write(dir.resolve("junk.arms"), "hello, not a recording".getBytes());
        BroadcastStream<ImuSample> replay = new BroadcastStream<>("x", 1000, 16, ImuSample::new);
        IOException e = assertThrows(IOException.class, () -> Recording.replay(junk, SampleCodec.IMU, replay::publish, false));
        assertEquals(junk + " is not an Armature recording (no ARMS header)", e.getMessage());
        assertEquals(0, replay.published(), "nothing from a bad file reaches a stream");
        Path empty = Files.write(dir.resolve("empty.arms"), new byte[2]);
        assertTrue(assertThrows(IOException.class, () -> Recording.header(empty)).getMessage().contains("too short for a header"));
    }

    @Test
    void aTruncatedRecordingReplaysItsCompleteRecordsThenSaysWhere() throws Exception {
        Path file = recordThousand();
        byte[] bytes = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.arms"), Arrays.copyOf(bytes, bytes.length - 20));
        BroadcastStream<ImuSample> replay = new BroadcastStream<>("imu.replay", 1000, 4096, ImuSample::new);
        IOException e = assertThrows(IOException.class, () -> Recording.replay(cut, SampleCodec.IMU, replay::publish, false));
        assertTrue(e.getMessage().contains("truncated: record 1000 has 37 of 57 bytes; the 999 complete records before it were replayed"),
                e.getMessage());
        assertEquals(999, replay.published());
    }

    @Test
    void aRecordingOfAnotherSampleTypeIsRefused() throws Exception {
        Path file = recordThousand();
        BroadcastStream<EncoderSample> wrong = new BroadcastStream<>("enc", 1000, 16, EncoderSample::new);
        assertEquals(file + " holds 'imu' samples, not 'encoder'",
                assertThrows(IOException.class, () -> Recording.replay(file, SampleCodec.ENCODER, wrong::publish, false)).getMessage());
    }
}
