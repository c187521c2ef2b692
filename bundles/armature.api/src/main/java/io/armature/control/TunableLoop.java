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

    /**
     * @param value the new setpoint, within the loop's limits
     * @throws IllegalArgumentException when NaN, infinite or beyond the limits; the previous setpoint stays
     */
    void setSetpoint(double value);

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
}
