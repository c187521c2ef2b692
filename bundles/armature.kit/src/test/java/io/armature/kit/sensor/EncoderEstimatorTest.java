package io.armature.kit.sensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.armature.sensor.EncoderSample;

class EncoderEstimatorTest {

    private static final long MS = 1_000_000;
    private final EncoderSample sample = new EncoderSample();

    /** One count every 250 us (about 17.5 rad/s at 1440 counts/rev), sampled at 1 kHz. */
    private static long countAt(long t) {
        return t / 250_000;
    }

    @Test
    void aSteadyWheelGivesValidSamplesWithAngleAndSpeed() {
        EncoderEstimator e = new EncoderEstimator(1440, false, 10, 100, Double.POSITIVE_INFINITY); // it starts at speed: no spike check
        for (int k = 1; k <= 20; k++) {
            e.estimate(countAt(k * MS), countAt(k * MS) * 250_000, 0, k * MS, sample);
        }
        assertTrue(sample.valid);
        assertEquals(80, sample.counts);
        assertEquals(80 * 2 * Math.PI / 1440, sample.positionRadians, 1e-12);
        assertEquals(4000 * 2 * Math.PI / 1440, sample.velocityRadiansPerSecond, 1e-9);
        assertEquals(20 * MS, sample.timestampNanos);
        assertEquals(0, e.invalid());
    }

    @Test
    void missedEdgesFlagTheSampleInvalidOnceAndAreCounted() {
        EncoderEstimator e = new EncoderEstimator(1440, false, 10, 100, 5);
        e.estimate(0, Long.MIN_VALUE, 0, MS, sample);
        assertTrue(sample.valid);
        e.estimate(0, Long.MIN_VALUE, 2, 2 * MS, sample);
        assertFalse(sample.valid, "the decoder missed edges since the last sample");
        assertEquals(2, e.errors());
        e.estimate(0, Long.MIN_VALUE, 2, 3 * MS, sample);
        assertTrue(sample.valid, "no new misses: valid again");
        assertEquals(1, e.invalid());
    }

    @Test
    void aSpeedBeyondTheLargestOrAJumpIsInvalid() {
        EncoderEstimator e = new EncoderEstimator(4, false, 1, 10, 5);
        e.estimate(0, 0, 0, MS, sample);
        e.estimate(1, 100 * MS, 0, 2 * MS, sample); // a quarter turn in 100 ms: about 15.7 rad/s
        assertFalse(sample.valid, "beyond the largest speed, and a jump from 0");
        assertEquals(1, e.invalid());
    }

    @Test
    void anInvertedEncoderCountsTheOtherWay() {
        EncoderEstimator e = new EncoderEstimator(1440, true, 1, 100, 5);
        e.estimate(10, 5 * MS, 0, 5 * MS, sample);
        assertEquals(-10, sample.counts);
    }

    @Test
    void aResetCounterIsNoMissedEdge() {
        EncoderEstimator e = new EncoderEstimator(1440, false, 10, 100, 5);
        e.estimate(0, Long.MIN_VALUE, 3, MS, sample); // the old decoder had missed 3
        e.reset(); // a new decoder, counting from 0 with no misses
        e.estimate(0, Long.MIN_VALUE, 0, 2 * MS, sample);
        assertTrue(sample.valid, "a fresh counter's 0 errors are not a change");
        assertEquals(0, e.errors());
    }

    @Test
    void outOfRangeParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new EncoderEstimator(0, false, 10, 100, 5));
        assertThrows(IllegalArgumentException.class, () -> new EncoderEstimator(1440, false, 10, Double.POSITIVE_INFINITY, 5));
        assertThrows(IllegalArgumentException.class, () -> new EncoderEstimator(1440, false, 10, 100, 0));
    }
}
