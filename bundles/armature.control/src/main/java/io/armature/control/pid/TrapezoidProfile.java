package io.armature.control.pid;

/**
 * A trapezoidal motion profile: moves a value toward a goal with at most {@code maxVelocity}
 * and {@code maxAcceleration}, arriving at rest. For a wheel-speed loop the value is the speed
 * setpoint, so the limits are the largest wheel acceleration (rad/s²) and jerk (rad/s³).
 *
 * <p>Pure and allocation-free: the caller keeps the state in its own {@link State}.
 */
public final class TrapezoidProfile {

    /** The profile's state: value and its rate of change. Mutable, reused by the caller. */
    public static final class State {
        public double position;
        public double velocity;

        public State() {
        }

        public State(double position, double velocity) {
            this.position = position;
            this.velocity = velocity;
        }
    }

    private final double maxVelocity;
    private final double maxAcceleration;

    public TrapezoidProfile(double maxVelocity, double maxAcceleration) {
        if (!(maxVelocity > 0) || !(maxAcceleration > 0) || Double.isInfinite(maxVelocity) || Double.isInfinite(maxAcceleration)) {
            throw new IllegalArgumentException("profile limits must be finite and above 0, were velocity " + maxVelocity
                    + " and acceleration " + maxAcceleration);
        }
        this.maxVelocity = maxVelocity;
        this.maxAcceleration = maxAcceleration;
    }

    /**
     * Advances {@code state} by {@code dt} seconds toward {@code goal}.
     */
    public void step(State state, double goal, double dt) {
        double remaining = goal - state.position;
        double v = state.velocity;
        if (remaining == 0 && v == 0) {
            return;
        }
        double direction = Math.signum(remaining);
        // The fastest speed from which the goal can still be reached at rest, looking one step
        // ahead so that the last step arrives slowly: v = sqrt(2·a·d).
        double ahead = Math.max(0.0, Math.abs(remaining) - Math.abs(v) * dt);
        double desired = direction * Math.min(maxVelocity, Math.sqrt(2 * maxAcceleration * ahead));
        double change = Math.max(-maxAcceleration * dt, Math.min(maxAcceleration * dt, desired - v));
        double next = v + change;
        double moved = (v + next) / 2 * dt;
        boolean arrives = Math.signum(moved) == direction && Math.abs(moved) >= Math.abs(remaining);
        if (arrives && Math.abs(next) <= maxAcceleration * dt) {
            state.position = goal;
            state.velocity = 0;
            return;
        }
        state.position += moved;
        state.velocity = next;
    }

    public double maxVelocity() {
        return maxVelocity;
    }

    public double maxAcceleration() {
        return maxAcceleration;
    }
}
