package io.armature.testing;

import java.util.Optional;

import io.armature.control.PidGains;
import io.armature.control.TunableLoop;

/**
 * A tunable loop for tests of what drives loops (REST, bridges, telemetry): it keeps what it is
 * given and refuses what a wheel-speed loop refuses, a setpoint that is not finite or beyond
 * ±{@code maxSetpoint}, and a controller other than {@code pid} or {@code lqr}. It measures
 * nothing ({@link #measurement()} is NaN) and drives nothing.
 */
public final class FakeLoop implements TunableLoop {

    private final String name;
    private final double maxSetpoint;
    /** The setpoint, in rad/s. */
    public volatile double setpoint;
    /** How many setpoints were accepted. */
    public volatile int sets;
    public volatile PidGains gains = PidGains.of(0.1, 0.5, 0);
    public volatile String controller = "pid";

    /**
     * @param name        the loop name
     * @param maxSetpoint the largest setpoint magnitude accepted, in rad/s
     */
    public FakeLoop(String name, double maxSetpoint) {
        this.name = name;
        this.maxSetpoint = maxSetpoint;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String unit() {
        return "rad/s";
    }

    @Override
    public double setpoint() {
        return setpoint;
    }

    @Override
    public double measurement() {
        return Double.NaN;
    }

    @Override
    public double output() {
        return 0;
    }

    @Override
    public void setSetpoint(double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("setpoint must be finite, was " + value);
        }
        if (Math.abs(value) > maxSetpoint) {
            throw new IllegalArgumentException("setpoint " + value + " is beyond the loop's limit of ±" + maxSetpoint);
        }
        setpoint = value;
        leaseExpiryNanos = Long.MAX_VALUE;
        sets++;
    }

    /** The lease of the last setpoint, {@link Long#MAX_VALUE} for none. */
    public volatile long leaseExpiryNanos = Long.MAX_VALUE;

    @Override
    public long leaseExpiryNanos() {
        return leaseExpiryNanos;
    }

    @Override
    public void setSetpoint(double value, long leaseExpiryNanos) {
        setSetpoint(value);
        this.leaseExpiryNanos = leaseExpiryNanos;
    }

    @Override
    public PidGains gains() {
        return gains;
    }

    @Override
    public void setGains(PidGains g) {
        gains = g;
    }

    @Override
    public String controller() {
        return controller;
    }

    @Override
    public void switchController(String n) {
        if (!n.equals("pid") && !n.equals("lqr")) {
            throw new IllegalArgumentException("no controller '" + n + "' for loop '" + name + "'; installed: lqr, pid");
        }
        controller = n;
    }

    @Override
    public Optional<String> fault() {
        return Optional.empty();
    }

    @Override
    public boolean isStandby() {
        return false;
    }

    @Override
    public long undrivenCycles() {
        return 0;
    }
}
