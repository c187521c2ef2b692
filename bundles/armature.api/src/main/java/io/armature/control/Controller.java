package io.armature.control;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A controller: turns a setpoint and a measurement into an output. Switched by the controller
 * manager at a cycle boundary, starting from the previous controller's output (bumpless).
 */
@ConsumerType
public interface Controller {

    /**
     * @param setpoint    the target, in the loop's unit (for a wheel-speed loop, rad/s)
     * @param measurement the measured value, same unit
     * @param dtSeconds   time step, seconds, greater than 0
     * @return the output, within the controller's limits; never NaN
     */
    double calculate(double setpoint, double measurement, double dtSeconds);

    /**
     * Resets internal state so that the next output continues from {@code output} (a bumpless
     * hand-over). With {@code NaN}, clears the state for a fresh start from rest.
     */
    void reset(double output);
}
