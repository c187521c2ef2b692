package io.armature.sensor;

/** A 6-axis IMU reading: acceleration in m/s² and angular rate in rad/s, body frame (x forward, z up). */
public final class ImuSample implements Sample<ImuSample> {
    public long timestampNanos;
    public boolean valid;
    /** acceleration, m/s² */
    public double accelX, accelY, accelZ;
    /** angular rate, rad/s */
    public double gyroX, gyroY, gyroZ;

    @Override
    public long timestampNanos() {
        return timestampNanos;
    }

    @Override
    public boolean valid() {
        return valid;
    }

    @Override
    public void copyFrom(ImuSample o) {
        timestampNanos = o.timestampNanos;
        valid = o.valid;
        accelX = o.accelX;
        accelY = o.accelY;
        accelZ = o.accelZ;
        gyroX = o.gyroX;
        gyroY = o.gyroY;
        gyroZ = o.gyroZ;
    }
}
