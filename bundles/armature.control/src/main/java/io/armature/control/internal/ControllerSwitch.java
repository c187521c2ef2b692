package io.armature.control.internal;

import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.PidGains;
import io.armature.control.pid.PidController;

/**
 * The controllers a wheel loop may run and the one it runs: its own PID, or one an installed
 * {@link ControllerFactory} makes. A switch asked for on any thread takes effect at the start of
 * the next cycle, bumpless (the new controller starts from the old one's last output), and is on
 * trial for its first {@link #TRIAL_CYCLES} cycles: a controller that throws or gives no number
 * then is rolled back to the previous one. Loop-thread methods allocate nothing unless a switch
 * or a rollback happens.
 */
final class ControllerSwitch {

    /** Cycles after a controller switch in which a failure rolls back to the previous controller. */
    static final int TRIAL_CYCLES = 100;

    private record Pending(String name, Controller controller) {
    }

    private final String loopName;
    private final PidController pid;
    private final Map<String, ControllerFactory> factories = new ConcurrentHashMap<>();
    private final AtomicReference<Pending> pending = new AtomicReference<>();

    // loop thread
    private Controller controller;
    private Controller previous;
    private String previousName;
    private int trialCyclesLeft;
    private RuntimeException failure;
    private String rolledBack;

    private volatile String name = PidControllerFactory.NAME;

    ControllerSwitch(String loopName, PidGains gains) {
        this.loopName = loopName;
        this.pid = new PidController(gains, -1.0, 1.0, 0.002, 0.2);
        this.controller = pid;
    }

    /** @return the loop's own PID, whose gains follow the loop's settings */
    PidController pid() {
        return pid;
    }

    /** @return the name of the controller in force */
    String name() {
        return name;
    }

    /** A factory that comes, under its {@link ControllerFactory#PROPERTY_NAME} service property (none: ignored). */
    void addFactory(ControllerFactory factory, Map<String, Object> properties) {
        Object name = properties.get(ControllerFactory.PROPERTY_NAME);
        if (name != null) {
            factories.put(name.toString(), factory);
        }
    }

    void removeFactory(ControllerFactory factory, Map<String, Object> properties) {
        Object name = properties.get(ControllerFactory.PROPERTY_NAME);
        if (name != null) {
            factories.remove(name.toString(), factory);
        }
    }

    /**
     * Asks for a switch at the next cycle; any thread.
     *
     * @throws IllegalArgumentException when no controller of the name is installed
     */
    void request(String controllerName, PidGains gains) {
        if (PidControllerFactory.NAME.equals(controllerName) && !factories.containsKey(controllerName)) {
            pending.set(new Pending(controllerName, pid));
            return;
        }
        ControllerFactory f = factories.get(controllerName);
        if (f == null) {
            throw new IllegalArgumentException("no controller '" + controllerName + "' for loop '" + loopName + "'; installed: "
                    + String.join(", ", new TreeSet<>(factories.keySet())));
        }
        Controller c = PidControllerFactory.NAME.equals(controllerName) ? pid : f.create(gains);
        pending.set(new Pending(controllerName, c));
    }

    /** Takes a switch asked for since the last cycle, starting the new controller from {@code lastOutput}. Loop thread. */
    void takePending(double lastOutput) {
        Pending p = pending.getAndSet(null);
        if (p == null) {
            return;
        }
        previous = controller;
        previousName = name;
        p.controller().reset(lastOutput); // bumpless: the new controller starts from the old output
        controller = p.controller();
        name = p.name();
        trialCyclesLeft = TRIAL_CYCLES;
    }

    /**
     * The controller's output for this cycle; a controller on trial that fails is rolled back
     * and the previous one computes instead. Loop thread.
     *
     * @return the output, NaN or infinite when the controller in force failed
     */
    double output(double target, double measurement, double dt, double lastOutput) {
        double output = compute(target, measurement, dt);
        if (!Double.isFinite(output) && trialCyclesLeft > 0) {
            rollBack(output, lastOutput);
            output = compute(target, measurement, dt);
        }
        if (trialCyclesLeft > 0) {
            trialCyclesLeft--;
        }
        return output;
    }

    /** Starts the controller in force again from {@code output}; NaN for a fresh start from rest. */
    void reset(double output) {
        controller.reset(output);
    }

    /** @return what the last rollback was, once, or null: the loop reports it as its fault */
    String takeRollback() {
        String r = rolledBack;
        rolledBack = null;
        return r;
    }

    private double compute(double target, double measurement, double dt) {
        try {
            return controller.calculate(target, measurement, dt);
        } catch (RuntimeException e) {
            failure = e;
            return Double.NaN;
        }
    }

    private void rollBack(double badOutput, double lastOutput) {
        String failed = name;
        String why = failure != null ? "threw " + failure : "output " + badOutput;
        failure = null;
        controller = previous;
        name = previousName;
        controller.reset(lastOutput);
        trialCyclesLeft = 0;
        rolledBack = "controller '" + failed + "' " + why + " in its first cycles; rolled back to '" + name + "'";
    }
}
