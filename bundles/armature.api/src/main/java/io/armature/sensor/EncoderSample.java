package io.armature.sensor;

/** An encoder reading: accumulated counts and the estimated angular velocity of the shaft. */
public final class EncoderSample implements Sample<EncoderSample> {
    public long timestampNanos;
    public boolean valid;
    /** accumulated quadrature counts (4 per encoder line), signed */
    public long counts;
    /** angular position of the wheel, rad */
    public double positionRadians;
    /** estimated angular velocity of the wheel, rad/s */
    public double velocityRadiansPerSecond;

    @Override
    public long timestampNanos() {
        return timestampNanos;
    }

    @Override
    public boolean valid() {
        return valid;
    }

    @Override
    public void copyFrom(EncoderSample o) {
        timestampNanos = o.timestampNanos;
        valid = o.valid;
        counts = o.counts;
        positionRadians = o.positionRadians;
        velocityRadiansPerSecond = o.velocityRadiansPerSecond;
    }
}
