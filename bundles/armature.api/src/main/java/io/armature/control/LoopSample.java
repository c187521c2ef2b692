package io.armature.control;

import io.armature.sensor.Sample;

/**
 * One cycle of a control loop, as the loop engine publishes it in the stream
 * {@code loop.<name>} ({@link #STREAM_PREFIX}): what was commanded, the profiled setpoint, what
 * was measured, the output, the controller and gains in force, and how late the cycle started.
 * The engine fills it on the loop's thread after each cycle, without allocating.
 */
public final class LoopSample implements Sample<LoopSample> {

    /** The name of a loop's cycle stream is this prefix and the loop's name. */
    public static final String STREAM_PREFIX = "loop.";

    /** When the cycle started, on the {@link System#nanoTime()} clock. */
    public long timestampNanos;
    /** The setpoint in force, in the loop's unit. */
    public double setpoint;
    /** The setpoint after the motion profile: what the controller was given. */
    public double profiledSetpoint;
    /** The measurement, in the loop's unit; NaN when there was none. */
    public double measurement;
    /** The output, in the controller's unit (for a motor, a signed duty fraction -1..1). */
    public double output;
    /** The gains in force: PID and the feed-forward (static and velocity) of {@link PidGains}. */
    public double kp;
    public double ki;
    public double kd;
    public double ks;
    public double kv;
    /** How late the cycle started after its deadline, in ns. */
    public long latenessNanos;
    /** The controller in force, by name. */
    public String controller = "";

    @Override
    public long timestampNanos() {
        return timestampNanos;
    }

    /** @return true: a cycle is what happened, never a reading to doubt (a missing measurement is NaN) */
    @Override
    public boolean valid() {
        return true;
    }

    @Override
    public void copyFrom(LoopSample o) {
        timestampNanos = o.timestampNanos;
        setpoint = o.setpoint;
        profiledSetpoint = o.profiledSetpoint;
        measurement = o.measurement;
        output = o.output;
        kp = o.kp;
        ki = o.ki;
        kd = o.kd;
        ks = o.ks;
        kv = o.kv;
        latenessNanos = o.latenessNanos;
        controller = o.controller;
    }
}
