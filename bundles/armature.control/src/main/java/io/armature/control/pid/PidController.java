package io.armature.control.pid;

import io.armature.control.Controller;
import io.armature.control.PidGains;

/**
 * A PID controller with feed-forward for a fixed-rate loop.
 *
 * <ul>
 * <li>Derivative on measurement, not on error, so a setpoint step gives no derivative kick; the
 * derivative passes a first-order low-pass filter with time constant {@code derivativeFilter}.</li>
 * <li>Anti-windup: the integral stops growing while the output saturates in the direction it
 * would push, and the integral term never exceeds the output limits.</li>
 * <li>Feed-forward: {@code ks·sign(setpoint) + kv·setpoint}.</li>
 * <li>Bumpless: a gain change ({@link #setGains}) or a hand-over from another controller
 * ({@link #reset(double)}) continues from the last output; the difference is absorbed by the
 * integral as far as the output limits allow, and the rest (all of it with {@code ki = 0}) by an
 * offset that ramps out over {@code transferRamp}. The integral is clamped in the hand-over cycle
 * itself, so a hand-over at saturation gives no step one cycle later.</li>
 * <li>Disabling the output ({@link #setEnabled(boolean) setEnabled(false)}) resets the integral.</li>
 * <li>Continuous input (angles): the error is wrapped into half the input range.</li>
 * </ul>
 *
 * <p>Pure and allocation-free: no OSGi, no clock, no threads. Not thread-safe: the loop thread
 * owns it.
 */
public final class PidController implements Controller {

    private PidGains gains;
    private final double minOutput;
    private final double maxOutput;
    private final double derivativeFilterSeconds;
    private final double transferRampSeconds;

    private boolean continuous;
    private double inputMin;
    private double inputMax;
    private boolean enabled = true;

    private double integral;          // the integral term, in output units
    private double filteredDerivative; // d(measurement)/dt, filtered, negated
    private double previousMeasurement;
    private boolean hasPrevious;
    private double offset;            // bumpless transfer offset, ramps to 0
    private double offsetRate;        // output units per second
    private double pendingTransfer = Double.NaN;
    private double lastOutput;
    private double lastError;

    /**
     * @param gains            the gains
     * @param minOutput        lowest output, finite, below maxOutput
     * @param maxOutput        highest output, finite
     * @param derivativeFilter time constant of the derivative filter in seconds, 0 for none
     * @param transferRamp     seconds over which a bumpless-transfer offset ramps out when ki is 0
     */
    public PidController(PidGains gains, double minOutput, double maxOutput, double derivativeFilter, double transferRamp) {
        if (gains == null) {
            throw new IllegalArgumentException("gains are required");
        }
        if (!Double.isFinite(minOutput) || !Double.isFinite(maxOutput) || !(minOutput < maxOutput)) {
            throw new IllegalArgumentException("output limits must be finite with min < max, were " + minOutput + ".." + maxOutput);
        }
        if (!(derivativeFilter >= 0) || Double.isInfinite(derivativeFilter)) {
            throw new IllegalArgumentException("derivative filter time constant must be finite and at least 0 s, was " + derivativeFilter);
        }
        if (!(transferRamp > 0) || Double.isInfinite(transferRamp)) {
            throw new IllegalArgumentException("transfer ramp must be finite and above 0 s, was " + transferRamp);
        }
        this.gains = gains;
        this.minOutput = minOutput;
        this.maxOutput = maxOutput;
        this.derivativeFilterSeconds = derivativeFilter;
        this.transferRampSeconds = transferRamp;
    }

    /** Treats the input as continuous between {@code min} and {@code max} (for angles: -π..π). */
    public void enableContinuousInput(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(min < max)) {
            throw new IllegalArgumentException("continuous input range must be finite with min < max, was " + min + ".." + max);
        }
        continuous = true;
        inputMin = min;
        inputMax = max;
    }

    public PidGains gains() {
        return gains;
    }

    /** Changes the gains; the next output continues from the last one (bumpless). */
    public void setGains(PidGains newGains) {
        if (newGains == null) {
            throw new IllegalArgumentException("gains are required");
        }
        gains = newGains;
        if (hasPrevious && enabled) {
            pendingTransfer = lastOutput;
        }
    }

    /** Disabling drives the output to 0 and resets the integral; enabling starts from 0. */
    public void setEnabled(boolean on) {
        if (!on) {
            clearState();
            lastOutput = 0;
        }
        enabled = on;
    }

    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void reset(double output) {
        clearState();
        if (Double.isFinite(output)) {
            pendingTransfer = clamp(output);
        }
    }

    private void clearState() {
        integral = 0;
        filteredDerivative = 0;
        hasPrevious = false;
        offset = 0;
        offsetRate = 0;
        pendingTransfer = Double.NaN;
    }

    @Override
    public double calculate(double setpoint, double measurement, double dtSeconds) {
        if (!Double.isFinite(setpoint) || !Double.isFinite(measurement)) {
            throw new IllegalArgumentException("setpoint and measurement must be finite, were " + setpoint + " and " + measurement);
        }
        if (!(dtSeconds > 0) || Double.isInfinite(dtSeconds)) {
            throw new IllegalArgumentException("time step must be finite and above 0 s, was " + dtSeconds);
        }
        if (!enabled) {
            return 0.0;
        }
        PidGains g = gains;
        double error = continuous ? wrap(setpoint - measurement) : setpoint - measurement;
        lastError = error;

        if (hasPrevious) {
            double change = measurement - previousMeasurement;
            if (continuous) {
                change = wrap(change);
            }
            double raw = -change / dtSeconds;
            double alpha = dtSeconds / (derivativeFilterSeconds + dtSeconds);
            filteredDerivative += alpha * (raw - filteredDerivative);
        }
        previousMeasurement = measurement;
        hasPrevious = true;

        double p = g.kp() * error;
        double d = g.kd() * filteredDerivative;
        double ff = g.ks() * Math.signum(setpoint) + g.kv() * setpoint;

        double step = g.ki() * error * dtSeconds;
        double unsaturated = p + integral + step + d + ff + offset;
        boolean windingUp = (unsaturated > maxOutput && step > 0) || (unsaturated < minOutput && step < 0);
        if (!windingUp) {
            integral = Math.max(minOutput, Math.min(maxOutput, integral + step));
        }

        double raw = p + integral + d + ff;
        if (!Double.isNaN(pendingTransfer)) {
            double difference = pendingTransfer - raw;
            pendingTransfer = Double.NaN;
            double rest = difference;
            if (g.ki() > 0) {
                // back-calculation: the integral carries the old output, within the output limits
                // now rather than at the next cycle's clamp, which would drop the output by a step
                double carried = Math.max(minOutput, Math.min(maxOutput, integral + difference));
                rest = integral + difference - carried;
                integral = carried;
            }
            // what the integral cannot carry ramps out; it replaces any offset still ramping, which
            // the old output already included
            offset = rest;
            offsetRate = Math.abs(rest) / transferRampSeconds;
            raw = p + integral + d + ff;
        }
        double output = clamp(raw + offset);
        if (offset != 0) {
            double decay = Math.min(Math.abs(offset), offsetRate * dtSeconds);
            offset -= Math.copySign(decay, offset);
        }
        lastOutput = output;
        return output;
    }

    private double clamp(double v) {
        return Math.max(minOutput, Math.min(maxOutput, v));
    }

    private double wrap(double error) {
        double range = inputMax - inputMin;
        double half = range / 2;
        double e = (error + half) % range;
        if (e < 0) {
            e += range;
        }
        return e - half;
    }

    /** @return the last output */
    public double lastOutput() {
        return lastOutput;
    }

    /** @return the last error (setpoint - measurement, wrapped for continuous input) */
    public double lastError() {
        return lastError;
    }

    /** @return the integral term, in output units */
    public double integralTerm() {
        return integral;
    }

    public double minOutput() {
        return minOutput;
    }

    public double maxOutput() {
        return maxOutput;
    }
}
