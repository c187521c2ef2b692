package io.armature.kit.sensor;

import io.armature.hal.Edge;

import java.util.Arrays;

/**
 * Estimates a shaft's angular velocity from an encoder's count and the time of the edge that made
 * it, sampled at a fixed rate: counts moved over a window of samples divided by the time between
 * the edges at the window's ends. Edge times, not sampling times, so the estimate does not jitter
 * with the sampler; a window, so one count of quantization is a small part of it at speed. With no
 * edge in the whole window the shaft turns slower than one count per window: the estimate is 0.
 *
 * <p>Not thread-safe: one sampler calls {@link #update}. Allocates only in its constructor.
 */
public final class EncoderVelocity {

    private final long[] counts;
    private final long[] times;
    private final double radiansPerCount;
    private int index;
    private boolean primed;

    /**
     * @param windowSamples   samples in the window, at least 1: at 1 kHz, 10 is a 10 ms window
     * @param radiansPerCount shaft angle per count, above 0: 2π over the counts per revolution
     */
    public EncoderVelocity(int windowSamples, double radiansPerCount) {
        if (windowSamples < 1) {
            throw new IllegalArgumentException("velocity window must be at least 1 sample, was " + windowSamples);
        }
        if (!(radiansPerCount > 0) || Double.isInfinite(radiansPerCount)) {
            throw new IllegalArgumentException("radians per count must be finite and above 0, was " + radiansPerCount);
        }
        this.counts = new long[windowSamples];
        this.times = new long[windowSamples];
        this.radiansPerCount = radiansPerCount;
    }

    /** @return the window length in samples */
    public int windowSamples() {
        return counts.length;
    }

    /**
     * Takes the next sample.
     *
     * @param count         the accumulated count
     * @param edgeTimeNanos when the edge that made {@code count} happened ({@link System#nanoTime()}
     *                      clock), {@code Long.MIN_VALUE} before any edge
     * @return the velocity in rad/s, signed as the count
     */
    public double update(long count, long edgeTimeNanos) {
        if (!primed) {
            Arrays.fill(counts, count);
            Arrays.fill(times, edgeTimeNanos);
            primed = true;
        }
        long oldCount = counts[index];
        long oldTime = times[index];
        counts[index] = count;
        times[index] = edgeTimeNanos;
        index = index + 1 == counts.length ? 0 : index + 1;
        long moved = count - oldCount;
        if (moved == 0 || oldTime == Long.MIN_VALUE || edgeTimeNanos <= oldTime) {
            return 0.0;
        }
        return moved * radiansPerCount / ((edgeTimeNanos - oldTime) * 1e-9);
    }

    /** Forgets the window: the next {@link #update} starts it again from its sample. */
    public void reset() {
        primed = false;
        index = 0;
    }
}
