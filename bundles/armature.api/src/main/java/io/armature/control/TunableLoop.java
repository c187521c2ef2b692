package io.armature.control;

import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A running loop that operators tune: setpoint, gains and controller. Every change is an
 * immutable snapshot swapped atomically and applied at the start of the next cycle, never
 * mid-cycle, and bumplessly: the output does not jump.
 */
@ProviderType
public interface TunableLoop {

    /** @return the loop name */
    String name();

    /** @return the unit of setpoint and measurement, for example {@code rad/s} */
    String unit();

    /** @return the setpoint in force */
    double setpoint();

    /** @return the last measurement */
    double measurement();

    /** @return the last output, in the controller's unit (for a motor, signed duty fraction -1..1) */
    double output();

    /** @return the setpoint the controller was last given, after any motion profile; the setpoint where there is none */
    default double profiledSetpoint() {
        return setpoint();
    }

    /**
     * Fills a cycle's record with what the last cycle used: the setpoint in force for it, the
     * profiled setpoint, the measurement, the output, the gains and the controller (the engine
     * stamps its time and lateness). The engine calls it on the loop's thread right after each
     * cycle and publishes the record in the loop's cycle stream; it must not allocate. The default
     * reads this loop's getters, which show a command that arrives during the cycle one cycle early;
     * a loop that keeps what its cycle used fills that instead, so that a recording replays exactly.
     */
    default void describeCycle(LoopSample into) {
        into.setpoint = setpoint();
        into.profiledSetpoint = profiledSetpoint();
        into.measurement = measurement();
        into.output = output();
        PidGains g = gains();
        into.kp = g.kp();
        into.ki = g.ki();
        into.kd = g.kd();
        into.ks = g.ks();
        into.kv = g.kv();
        into.controller = controller();
    }

    /**
     * Sets a setpoint that holds until it is replaced. Motion commands go through
     * {@code io.armature.motion.MotionCommands}, which calls this loop; a trip of the supervisor
     * clears the setpoint to 0 and returns the motion profile to rest.
     *
     * @param value the new setpoint, within the loop's limits
     * @throws IllegalArgumentException when NaN, infinite or beyond the limits; the previous setpoint stays
     * @throws IllegalStateException    for a non-zero value while the supervisor is tripped; the previous setpoint stays
     */
    void setSetpoint(double value);

    /**
     * Sets a setpoint that holds until {@code leaseExpiryNanos} ({@link System#nanoTime()} clock):
     * when no new setpoint came by then, the loop goes to 0 in its next cycle by itself (a deadman).
     *
     * @param value            the new setpoint, within the loop's limits
     * @param leaseExpiryNanos when the setpoint lapses; {@link Long#MAX_VALUE} for never
     * @throws IllegalArgumentException as {@link #setSetpoint(double)}
     * @throws IllegalStateException    as {@link #setSetpoint(double)}
     */
    void setSetpoint(double value, long leaseExpiryNanos);

    /** @return when the setpoint in force lapses ({@link System#nanoTime()} clock); {@link Long#MAX_VALUE} for never */
    long leaseExpiryNanos();

    /** @return the gains in force */
    PidGains gains();

    /**
     * @throws IllegalArgumentException for gains the loop refuses; the previous gains stay
     */
    void setGains(PidGains gains);

    /** @return the name of the controller in force */
    String controller();

    /**
     * Switches the controller at the next cycle boundary, bumplessly. If the new controller
     * throws or outputs NaN or infinity within its first cycles, the loop rolls back to the
     * previous one by itself and reports why in {@link #fault()}.
     *
     * @throws IllegalArgumentException when no controller of that name is installed
     */
    void switchController(String name);

    /** @return the last fault (a bad measurement, a rolled-back controller), if any */
    Optional<String> fault();

    /**
     * @return true while this instance stands by to take over from another instance of the
     *         same loop, during a side-by-side update of the bundle that provides it: it
     *         measures but does not drive, and takes over (bumplessly) when the other goes away
     */
    boolean isStandby();

    /** @return cycles in which the loop should have driven its outputs but had no channel to drive */
    long undrivenCycles();
}
