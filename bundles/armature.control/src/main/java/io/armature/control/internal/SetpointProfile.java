package io.armature.control.internal;

import io.armature.control.pid.TrapezoidProfile;

/**
 * The motion profile between a wheel loop's setpoint and its controller: a trapezoidal ramp
 * with the configured acceleration and jerk, or steps when none is set. Loop thread only;
 * allocates only when the limits change.
 */
final class SetpointProfile {

    private TrapezoidProfile profile;
    private double maxAcceleration;
    private double maxJerk;
    private final TrapezoidProfile.State state = new TrapezoidProfile.State();

    /** Takes new limits; 0 for steps. A changed ramp starts from {@code current} at rest. */
    void limit(double acceleration, double jerk, double current) {
        if (acceleration <= 0) {
            profile = null;
        } else if (profile == null || acceleration != maxAcceleration || jerk != maxJerk) {
            profile = new TrapezoidProfile(acceleration, jerk);
            startAt(current);
        }
        maxAcceleration = acceleration;
        maxJerk = jerk;
    }

    /** Puts the profile at {@code position} with no velocity: at rest (0), or where a predecessor was. */
    void startAt(double position) {
        state.position = position;
        state.velocity = 0.0;
    }

    /** @return the setpoint after the profile this cycle, on the way to {@code target} */
    double step(double target, double dtSeconds) {
        if (profile == null) {
            return target;
        }
        profile.step(state, target, dtSeconds);
        return state.position;
    }
}
