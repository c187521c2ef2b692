package io.armature.board.mcu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.testing.ComponentConfigs;

/** ENCODERS payloads into encoder samples, without a line. */
class McuStreamsTest {

    private static byte[] encoders(long frameMicros, int... countAndEdgeMicros) {
        int n = countAndEdgeMicros.length / 2;
        byte[] p = new byte[5 + 8 * n];
        put32(p, 0, frameMicros);
        p[4] = (byte) n;
        for (int i = 0; i < n; i++) {
            put32(p, 5 + 8 * i, countAndEdgeMicros[2 * i]);
            put32(p, 9 + 8 * i, countAndEdgeMicros[2 * i + 1]);
        }
        return p;
    }

    private static void put32(byte[] p, int at, long v) {
        for (int k = 0; k < 4; k++) {
            p[at + k] = (byte) (v >>> (24 - 8 * k));
        }
    }

    @Test
    void countsBecomeSamplesWithTheConfiguredScaleAndSpeedLimit() {
        McuStreams streams = new McuStreams(ComponentConfigs.of(McuBoard.Config.class, Map.of("port", "/dev/null", "maxVelocity", 50.0,
                "velocityWindowMillis", 2)), // one sample at 500 Hz
                new String[] {"encoder.left"});
        EncoderSample s = new EncoderSample();
        try (SampleReader<EncoderSample> left = streams.encoderStream(0).openQueue(8)) {
            assertTrue(streams.encoders(encoders(1_000, 0, 0), 0, 13));
            assertTrue(left.poll(s));
            assertEquals(0, s.counts);
            assertTrue(streams.encoders(encoders(11_000, 360, 10_000), 0, 13));
            assertTrue(left.poll(s));
            assertEquals(360, s.counts);
            assertEquals(Math.PI / 2, s.positionRadians, 1e-12, "a quarter of 1440 counts");
            // a quarter turn in at most the 10 ms between the edges (the clock offset only ever creeps up)
            assertTrue(s.velocityRadiansPerSecond >= Math.PI / 2 / 0.0100002, "velocity " + s.velocityRadiansPerSecond);
            assertFalse(s.valid, "beyond the largest speed of 50 rad/s");
            assertTrue(streams.encoders(encoders(21_000, 360, 10_000), 0, 13));
            assertTrue(left.poll(s));
            assertEquals(0.0, s.velocityRadiansPerSecond, "no edge in the window: standing");
            assertTrue(s.valid, "back within range at once: no spike check on the microcontroller's counts");
            assertFalse(streams.encoders(encoders(31_000, 400, 30_000), 0, 12), "a length that does not match the count");
        }
    }
}
