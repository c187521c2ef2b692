package io.armature.board.sim.internal;

/**
 * A permanent-magnet DC gear motor driving one wheel, seen at the wheel shaft: armature
 * resistance, back-EMF, torque constant, inertia, viscous damping, Coulomb friction with
 * stiction, an external load torque and a short-circuit brake. Inductance is neglected: the
 * electrical time constant of a small gear motor is far below the mechanical one.
 *
 * <p>Pure model: no threads, no clock. {@link #step(double)} advances it by a time step.
 */
public final class DcMotorSim {

    /** armature resistance, ohm */
    private final double resistance;
    /** torque constant at the wheel, N·m/A (equal to the back-EMF constant in V·s/rad) */
    private final double torqueConstant;
    /** inertia seen at the wheel (rotor through the gearbox, wheel, share of the rover), kg·m² */
    private final double inertia;
    /** viscous damping, N·m·s/rad */
    private final double damping;
    /** Coulomb (and static) friction torque, N·m */
    private final double friction;

    private double loadTorque;
    private double voltage;
    private boolean brake;

    private double speed;   // rad/s
    private double angle;   // rad
    private double current; // A

    public DcMotorSim(double resistance, double torqueConstant, double inertia, double damping, double friction) {
        this.resistance = requirePositive(resistance, "resistance");
        this.torqueConstant = requirePositive(torqueConstant, "torqueConstant");
        this.inertia = requirePositive(inertia, "inertia");
        this.damping = requireNonNegative(damping, "damping");
        this.friction = requireNonNegative(friction, "friction");
    }

    /** The rover's wheel motor: 12 V gear motor, about 31 rad/s (300 rpm) at the wheel without load. */
    public static DcMotorSim roverWheel() {
        return new DcMotorSim(2.0, 0.35, 0.003, 0.0005, 0.03);
    }

    /** @param volts terminal voltage, signed: positive turns the wheel forward */
    public void setVoltage(double volts) {
        this.voltage = volts;
    }

    /** @param on true shorts the windings and holds the wheel once stopped */
    public void setBrake(boolean on) {
        this.brake = on;
    }

    /** @param newtonMetres external load torque, at least 0, always opposing motion */
    public void setLoadTorque(double newtonMetres) {
        this.loadTorque = requireNonNegative(newtonMetres, "loadTorque");
    }

    /** Advances the model by {@code dt} seconds (semi-implicit Euler; keep dt at or below 1e-3). */
    public void step(double dt) {
        double appliedVolts = brake ? 0.0 : voltage;
        current = (appliedVolts - torqueConstant * speed) / resistance;
        double driveTorque = torqueConstant * current - damping * speed;
        double resisting = friction + loadTorque;

        if (speed == 0.0) {
            // Stiction: the wheel breaks away only when the drive exceeds friction plus load.
            if (Math.abs(driveTorque) <= resisting || brake) {
                current = brake ? 0.0 : current;
                return;
            }
            speed += (driveTorque - Math.signum(driveTorque) * resisting) / inertia * dt;
        } else {
            double next = speed + (driveTorque - Math.signum(speed) * resisting) / inertia * dt;
            // Friction and load stop the wheel; they never reverse it.
            speed = (Math.signum(next) != Math.signum(speed)) ? 0.0 : next;
        }
        angle += speed * dt;
    }

    /** @return wheel speed, rad/s */
    public double speed() {
        return speed;
    }

    /** @return wheel angle since start, rad */
    public double angle() {
        return angle;
    }

    /** @return armature current, A (negative while regenerating or braking) */
    public double current() {
        return current;
    }

    /** @return terminal voltage last set, V */
    public double voltage() {
        return voltage;
    }

    /** @return the speed the motor settles at with {@code volts} applied and no load, rad/s */
    public double noLoadSpeed(double volts) {
        // Steady state: kt (V - kt w) / R = b w + friction  =>  w = (kt V / R - friction) / (kt² / R + b)
        double drive = torqueConstant * Math.abs(volts) / resistance - friction;
        if (drive <= 0) {
            return 0.0;
        }
        return Math.signum(volts) * drive / (torqueConstant * torqueConstant / resistance + damping);
    }

    /** @return the mechanical time constant, s */
    public double timeConstant() {
        return inertia / (torqueConstant * torqueConstant / resistance + damping);
    }

    private static double requirePositive(double v, String name) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number above 0, was " + v);
        }
        return v;
    }

    static double requireNonNegative(double v, String name) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite number of at least 0, was " + v);
        }
        return v;
    }
}
