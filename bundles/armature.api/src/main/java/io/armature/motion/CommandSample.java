package io.armature.motion;

import io.armature.sensor.Sample;

/**
 * One motion command as the motion-command service received it, and what became of it: taken
 * (in force now, or held while a source of higher priority owns the loop) or refused, with the
 * refusal's reason. The service publishes one for every call, in the order it decided them, in
 * the stream {@value #STREAM}; a recording keeps them beside the loops they moved.
 */
public final class CommandSample implements Sample<CommandSample> {

    /** The name of the stream of commands. */
    public static final String STREAM = "motion.commands";

    /** What was asked. */
    public enum Kind {
        /** one loop's setpoint: {@link #loop} and {@link #value} */
        SETPOINT,
        /** the body's velocity: {@link #value} m/s and {@link #angular} rad/s */
        TWIST,
        /** every command of the source withdrawn */
        RELEASE,
        /** an e-stop; {@link #detail} is its reason */
        ESTOP,
        /** a trip cleared */
        RESET
    }

    /** When the service decided, on the {@link System#nanoTime()} clock. */
    public long timestampNanos;
    public Kind kind = Kind.SETPOINT;
    /** Who asked, as the caller named its source (also an unknown name, which is refused). */
    public String source = "";
    /** The loop of a setpoint; empty otherwise. */
    public String loop = "";
    /** A setpoint's value in the loop's unit, or a twist's linear speed in m/s; 0 otherwise. */
    public double value;
    /** A twist's angular speed in rad/s; 0 otherwise. */
    public double angular;
    /** True when the command was taken; false when refused (then nothing changed, and {@link #detail} says why). */
    public boolean accepted;
    /** True when the command is in force now: taken, and its source owns the loop (both wheels of a twist). */
    public boolean inForce;
    /** Why it was refused, or an e-stop's reason, or what an e-stop did; empty otherwise. */
    public String detail = "";

    @Override
    public long timestampNanos() {
        return timestampNanos;
    }

    /** @return true: a command is what was asked, never a reading to doubt (a refused one says so in {@link #accepted}) */
    @Override
    public boolean valid() {
        return true;
    }

    @Override
    public void copyFrom(CommandSample o) {
        timestampNanos = o.timestampNanos;
        kind = o.kind;
        source = o.source;
        loop = o.loop;
        value = o.value;
        angular = o.angular;
        accepted = o.accepted;
        inForce = o.inForce;
        detail = o.detail;
    }
}
