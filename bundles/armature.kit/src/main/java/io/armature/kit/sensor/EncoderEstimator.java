package io.armature.kit.sensor;

import io.armature.sensor.EncoderSample;

/**
 * The one path from an encoder's count to an {@link EncoderSample}: wheel angle, velocity from
 * edge times over a window ({@link EncoderVelocity}), and validity. Whoever counts (a
 * {@link QuadratureDecoder} on two inputs, a microcontroller's counter peripheral) hands each
 * reading to {@link #estimate}; a sample is invalid, and counted, when edges were missed since
 * the previous one, when the velocity is not finite or beyond the largest speed, or when it
 * changed by more than the largest step allows in one sample (a spike flags its jump and its
 * return; a real change of level flags one sample).
 *
 * <p>Not thread-safe: one sampler calls {@link #estimate}. Allocates only in its constructor.
 */
public final class EncoderEstimator {

    private final EncoderVelocity velocity;
    private final double radiansPerCount;
    private final int sign;
    private final double maxVelocity;
    private final double maxStep;
    private long errorsSeen;
    private long invalid;
    private double previousVelocity = Double.NaN;

    /**
     * @param countsPerRevolution quadrature counts per wheel revolution, at least 1
     * @param inverted            count the other way round (an encoder mounted mirrored)
     * @param windowSamples       samples in the velocity window, at least 1
     * @param maxVelocity         a faster velocity is out of range, rad/s, above 0
     * @param maxStep             a bigger velocity change from one sample to the next is a spike,
     *                            rad/s, above 0; {@link Double#POSITIVE_INFINITY} for no spike check
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public EncoderEstimator(int countsPerRevolution, boolean inverted, int windowSamples, double maxVelocity, double maxStep) {
        if (countsPerRevolution < 1) {
            throw new IllegalArgumentException("counts per revolution must be at least 1, was " + countsPerRevolution);
        }
        if (!(maxVelocity > 0) || Double.isInfinite(maxVelocity)) {
            throw new IllegalArgumentException("largest speed must be finite and above 0, was " + maxVelocity);
        }
        if (!(maxStep > 0)) {
            throw new IllegalArgumentException("largest velocity step must be above 0, was " + maxStep);
        }
        this.radiansPerCount = 2 * Math.PI / countsPerRevolution;
        this.velocity = new EncoderVelocity(windowSamples, radiansPerCount);
        this.sign = inverted ? -1 : 1;
        this.maxVelocity = maxVelocity;
        this.maxStep = maxStep;
    }

    /**
     * Turns one reading into a sample.
     *
     * @param count          the counter's accumulated count, as the encoder counts it
     * @param edgeTimeNanos  when the edge that made {@code count} happened ({@link System#nanoTime()}
     *                       clock), {@code Long.MIN_VALUE} before any edge
     * @param errors         the counter's accumulated missed-edge count (0 for a counter that
     *                       cannot miss one)
     * @param timestampNanos when the reading was taken
     * @param into           receives every field of the sample
     */
    public void estimate(long count, long edgeTimeNanos, long errors, long timestampNanos, EncoderSample into) {
        double v = sign * velocity.update(count, edgeTimeNanos);
        into.timestampNanos = timestampNanos;
        into.counts = sign * count;
        into.positionRadians = into.counts * radiansPerCount;
        into.velocityRadiansPerSecond = v;
        boolean missedEdges = errors != errorsSeen;
        errorsSeen = errors;
        // against the previous reading, valid or not
        boolean spike = !Double.isNaN(previousVelocity) && Math.abs(v - previousVelocity) > maxStep;
        into.valid = !missedEdges && Double.isFinite(v) && Math.abs(v) <= maxVelocity && !spike;
        previousVelocity = Double.isFinite(v) ? v : Double.NaN;
        if (!into.valid) {
            invalid++;
        }
    }

    /** @return the counter's missed edges as last reported */
    public long errors() {
        return errorsSeen;
    }

    /** @return samples flagged invalid since construction */
    public long invalid() {
        return invalid;
    }

    /**
     * Forgets the velocity window, the previous velocity and the missed edges seen: a counter
     * that starts again from 0 (a replaced board's decoder) is no jump and no missed edge.
     */
    public void reset() {
        velocity.reset();
        previousVelocity = Double.NaN;
        errorsSeen = 0;
    }
}
