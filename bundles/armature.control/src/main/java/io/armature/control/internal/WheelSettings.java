package io.armature.control.internal;

import io.armature.control.PidGains;

/**
 * A wheel loop's settings at one moment: immutable, swapped as a whole, applied at the start of
 * the next cycle. The setpoint carries its lease and the stamp of the supervisor's trips when it
 * was given, so that a setpoint given before the latest trip never takes effect.
 */
record WheelSettings(String name, boolean inverted, double setpoint, long leaseExpiryNanos, long stamp, PidGains gains,
        double maxSetpoint, double maxAcceleration, double maxJerk) {

    /** The stamp of a setpoint given while no supervisor was there: void once one comes. */
    static final long NO_SUPERVISOR = -1;

    /**
     * @return settings from a configuration, at rest (setpoint 0, no lease)
     * @throws IllegalArgumentException naming the loop and the value out of range
     */
    static WheelSettings of(WheelSpeedLoop.Config c) {
        String name = c.armature_loop_name() == null ? "" : c.armature_loop_name().trim();
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("loop name must be letters, digits, '.', '_' or '-', was '" + c.armature_loop_name() + "'");
        }
        double rate = c.armature_loop_rate();
        if (!(rate >= 1 && rate <= 10_000)) {
            throw new IllegalArgumentException("loop '" + name + "': rate must be 1..10000 Hz, was " + rate);
        }
        if (!(c.maxSetpoint() > 0) || Double.isInfinite(c.maxSetpoint())) {
            throw new IllegalArgumentException("loop '" + name + "': maxSetpoint must be finite and above 0, was " + c.maxSetpoint());
        }
        if (!(c.maxAcceleration() >= 0) || !(c.maxJerk() >= 0) || Double.isInfinite(c.maxAcceleration()) || Double.isInfinite(c.maxJerk())
                || (c.maxAcceleration() > 0) != (c.maxJerk() > 0)) {
            throw new IllegalArgumentException("loop '" + name + "': maxAcceleration and maxJerk must both be above 0 (profiled) or both 0 (steps), were "
                    + c.maxAcceleration() + " and " + c.maxJerk());
        }
        if (c.heartbeatTimeoutMillis() < 2 || c.heartbeatTimeoutMillis() > 10_000) {
            throw new IllegalArgumentException("loop '" + name + "': heartbeatTimeoutMillis must be 2..10000, was " + c.heartbeatTimeoutMillis());
        }
        if (c.encoderStream() == null || c.encoderStream().isBlank()) {
            throw new IllegalArgumentException("loop '" + name + "': name the encoder: encoderStream");
        }
        if (c.encoderStaleMillis() < 1 || c.encoderStaleMillis() > 1000) {
            throw new IllegalArgumentException("loop '" + name + "': encoderStaleMillis must be 1..1000, was " + c.encoderStaleMillis());
        }
        PidGains gains;
        try {
            gains = new PidGains(c.kp(), c.ki(), c.kd(), c.ks(), c.kv());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("loop '" + name + "': " + e.getMessage(), e);
        }
        return new WheelSettings(name, c.inverted(), 0.0, Long.MAX_VALUE, NO_SUPERVISOR, gains, c.maxSetpoint(), c.maxAcceleration(),
                c.maxJerk());
    }

    static void checkSetpoint(String name, double value, double max) {
        if (!Double.isFinite(value) || Math.abs(value) > max) {
            throw new IllegalArgumentException("loop '" + name + "': setpoint must be a number within ±" + max + " rad/s, was " + value);
        }
    }

    WheelSettings withSetpoint(double v, long lease, long stampOfCommand) {
        return new WheelSettings(name, inverted, v, lease, stampOfCommand, gains, maxSetpoint, maxAcceleration, maxJerk);
    }

    WheelSettings withGains(PidGains g) {
        return new WheelSettings(name, inverted, setpoint, leaseExpiryNanos, stamp, g, maxSetpoint, maxAcceleration, maxJerk);
    }

    /** @return these settings with {@code setpoint} clamped to the limit: a configuration change or a take-over never exceeds it */
    WheelSettings withClampedSetpoint(double setpoint, long lease, long stampOfCommand) {
        return withSetpoint(Math.max(-maxSetpoint, Math.min(maxSetpoint, setpoint)), lease, stampOfCommand);
    }

    /** @return these settings with the setpoint, lease and stamp of {@code commanded}: a configuration change never moves the wheel */
    WheelSettings withCommandOf(WheelSettings commanded) {
        return withClampedSetpoint(commanded.setpoint, commanded.leaseExpiryNanos, commanded.stamp);
    }

    /** @return the setpoint in force at {@code nowNanos}: 0 once its lease has lapsed */
    double setpointAt(long nowNanos) {
        return leaseExpiryNanos != Long.MAX_VALUE && nowNanos - leaseExpiryNanos >= 0 ? 0.0 : setpoint;
    }
}
