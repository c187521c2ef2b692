package io.armature.control.internal;

import java.util.function.Supplier;

/**
 * Whether a wheel loop drives its motor, cycle by cycle, and with what duty. At rest (setpoint
 * 0, wheel stopped) the motor stays braked and its channels are left alone; a non-zero target
 * engages it from rest, and a wheel stopped on a zero setpoint is braked again. Nothing that is
 * not a finite number reaches the motor: no measurement, or a controller output that is none,
 * drives it safe and reports a fault. Loop thread only, except the published output; allocates
 * nothing unless a controller is rolled back.
 */
final class WheelEngagement {

    /** Below this speed (rad/s) with a zero setpoint the wheel counts as stopped and the loop brakes it. */
    static final double REST_SPEED = 0.2;
    private static final String FAULT_OUTPUT = "controller output is not a number; motor stopped";

    private final ControllerSwitch controllers;
    private final MotorDrive motor;
    private final SupervisorLink link; // where faults go
    private final Supplier<String> whyNoMeasurement;
    private boolean inverted;
    private boolean engaged;
    private volatile double lastOutput;

    /** @param whyNoMeasurement why the measurement is missing, one phrase, asked only when a fault is reported */
    WheelEngagement(ControllerSwitch controllers, MotorDrive motor, SupervisorLink link, Supplier<String> whyNoMeasurement) {
        this.link = link;
        this.whyNoMeasurement = whyNoMeasurement;
        this.motor = motor;
        this.controllers = controllers;
    }

    /** A motor mounted mirrored: positive output turns it backwards. Loop thread, as settings are applied. */
    void inverted(boolean mirrored) {
        inverted = mirrored;
    }

    /** @return true while the loop drives its motor (or has stopped it on a fault and not yet reached rest) */
    boolean engaged() {
        return engaged;
    }

    /** @return the last output, -1..1 before inversion; 0 at rest. Any thread. */
    double output() {
        return lastOutput;
    }

    /** No usable measurement this cycle: a driven motor is stopped and the fault reported; at rest nothing is driven, so nothing to stop. */
    void noMeasurement(double commanded) {
        if (!engaged && commanded == 0.0) {
            // at rest: an encoder stream not there yet, or pausing; a setpoint finds the fault at once
            return;
        }
        if (!link.faultReported()) { // once per episode: the reason's text is built only then
            link.reportFault("measurement is not a number (" + whyNoMeasurement.get() + "); motor stopped");
        }
        if (engaged) {
            disengage();
        }
    }

    /**
     * One cycle with a measurement: engages, brakes a stopped wheel, or drives the controller's
     * output for {@code target}.
     *
     * @param commanded the setpoint in force, before the profile
     */
    void cycle(boolean tripped, double target, double commanded, double speed, double dtSeconds) {
        if (tripped) {
            if (engaged) {
                disengage(); // tripped: the board already refuses to move; start from rest after a reset
            }
            return;
        }
        if (!engaged) {
            if (target == 0.0) {
                return; // at rest: the motor stays braked and the loop leaves the channels alone
            }
            engaged = true;
            link.newEpisode();
            controllers.reset(Double.NaN); // a fresh start from rest, not a hand-over
        } else if (target == 0.0 && commanded == 0.0 && Math.abs(speed) < REST_SPEED) {
            disengage(); // stopped on a zero setpoint: brake on, controller reset
            return;
        }
        double output = controllers.output(target, speed, dtSeconds, lastOutput);
        String rolledBack = controllers.takeRollback();
        if (rolledBack != null) {
            link.noteFault(rolledBack);
        }
        if (!Double.isFinite(output)) {
            link.reportFault(FAULT_OUTPUT);
            disengage();
            return;
        }
        output = Math.max(-1.0, Math.min(1.0, output));
        motor.drive(inverted ? -output : output);
        lastOutput = output;
    }

    /** Continues from a predecessor's last output (a side-by-side update). */
    void continueFrom(double output) {
        engaged = true;
        controllers.reset(output);
    }

    /** Brake on, controller reset: back at rest. */
    void disengage() {
        motor.safe();
        controllers.reset(Double.NaN);
        stopped();
    }

    /** The motor was driven safe from outside the cycle: the loop starts from rest. */
    void stopped() {
        lastOutput = 0.0;
        engaged = false;
    }
}
