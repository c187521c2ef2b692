package io.armature.kit.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EncoderVelocityTest {

    private static final double RAD_PER_COUNT = 2 * Math.PI / 1440;

    @Test
    void velocityComesFromEdgeTimesNotFromWhenTheSamplerRan() {
        EncoderVelocity v = new EncoderVelocity(10, RAD_PER_COUNT);
        // one count every 250 us (4000 counts/s), sampled at 1 kHz, the last edge between samples
        double last = 0;
        for (int k = 0; k <= 20; k++) {
            long sampleTime = k * 1_000_000L;
            long count = (sampleTime - 100_000) / 250_000;
            last = v.update(count, k == 0 ? Long.MIN_VALUE : count * 250_000);
        }
        assertEquals(4000 * RAD_PER_COUNT, last, 1e-9);
    }

    @Test
    void noEdgeInTheWindowIsStandingStill() {
        EncoderVelocity v = new EncoderVelocity(5, RAD_PER_COUNT);
        for (int k = 0; k < 10; k++) {
            assertEquals(0.0, v.update(17, 3_000_000L));
        }
        EncoderVelocity fresh = new EncoderVelocity(5, RAD_PER_COUNT);
        assertEquals(0.0, fresh.update(0, Long.MIN_VALUE), "no edge yet at all");
    }

    @Test
    void backwardsIsNegative() {
        EncoderVelocity v = new EncoderVelocity(2, RAD_PER_COUNT);
        v.update(0, 0);
        v.update(-10, 1_000_000);
        assertEquals(-20 / 0.002 * RAD_PER_COUNT, v.update(-20, 2_000_000), 1e-9);
    }

    @Test
    void resetStartsTheWindowAgainSoADecoderThatCountsFromZeroMakesNoSpike() {
        EncoderVelocity v = new EncoderVelocity(3, RAD_PER_COUNT);
        for (int k = 0; k < 5; k++) {
            v.update(100_000 + k, k * 1_000_000L);
        }
        v.reset();
        assertEquals(0.0, v.update(0, Long.MIN_VALUE));
        assertEquals(0.0, v.update(1, 9_000_000L), "one edge after the reset: no span yet to divide by");
    }

    @Test
    void badArgumentsAreRefused() {
        assertEquals("velocity window must be at least 1 sample, was 0",
                assertThrows(IllegalArgumentException.class, () -> new EncoderVelocity(0, RAD_PER_COUNT)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EncoderVelocity(4, 0));
        assertThrows(IllegalArgumentException.class, () -> new EncoderVelocity(4, Double.NaN));
    }
}
