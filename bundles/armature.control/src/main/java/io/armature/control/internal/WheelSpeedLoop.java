package io.armature.control.internal;

import java.util.Map;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.control.ControlLoop;
import io.armature.control.ControllerFactory;
import io.armature.control.LoopSample;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;

/**
 * A wheel-speed loop: encoder samples → controller → PWM duty, direction and brake. One factory
 * configuration per wheel; the speed comes from the wheel's encoder stream
 * ({@link WheelMeasurement}). At rest on a zero setpoint the motor is braked and the loop leaves
 * its channels alone; a non-zero setpoint engages it, and it brakes again once the wheel has
 * stopped on a zero setpoint. Setpoint (rad/s), gains and controller changes are immutable
 * snapshots swapped atomically and applied at the start of the next cycle. Motion authority: a
 * trip of the supervisor, or the supervisor going away, clears the setpoint and returns the
 * profile to rest, so that nothing moves after a reset until a new command; a setpoint given
 * before the latest trip never takes effect; a leased setpoint lapses to 0 in the first cycle
 * after its lease. The loop starts at rest: no configuration sets it moving. A measurement or
 * output that is not a finite number never reaches the motor: the loop drives it safe and
 * reports a fault; a controller that fails in its first cycles is rolled back
 * ({@link ControllerSwitch}). A side-by-side update hands the motor over without a gap
 * ({@link SideBySideHandOver}).
 */
@Component(service = {ControlLoop.class, TunableLoop.class}, configurationPid = WheelSpeedLoop.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = WheelSpeedLoop.Config.class, factory = true)
public final class WheelSpeedLoop implements ControlLoop, TunableLoop {

    public static final String FACTORY_PID = "armature.control.wheel";

    @ObjectClassDefinition(name = "Armature wheel-speed loop", description = "PID speed control of one wheel motor from its encoder stream.")
    public @interface Config {
        @AttributeDefinition(name = "Loop name", description = "Name of the loop, for example left. Also the armature.loop.name service property.")
        String armature_loop_name();

        @AttributeDefinition(name = "Rate (Hz)", description = "Cycles per second, 1..10000.")
        double armature_loop_rate() default 1000.0;

        @AttributeDefinition(name = "Board filter", description = "LDAP filter selecting the board, for example (armature.board=sim).")
        String board_target() default "(armature.board=sim)";

        @AttributeDefinition(name = "PWM channel")
        String pwmChannel();

        @AttributeDefinition(name = "Direction channel", description = "Digital output, high = reverse.")
        String directionChannel();

        @AttributeDefinition(name = "Brake channel", description = "Digital output, high = brake on.")
        String brakeChannel();

        @AttributeDefinition(name = "Encoder stream", description = "The encoder sample stream the wheel speed comes from: an encoder "
                + "source's (armature.sensors.encoder) or a microcontroller board's, for example encoder.left.")
        String encoderStream() default "";

        @AttributeDefinition(name = "Encoder stream staleness (ms)", description = "No valid sample newer than this stops the motor and "
                + "reports a fault, 1..1000 ms. An invalid sample counts as none.")
        int encoderStaleMillis() default 20;

        @AttributeDefinition(name = "Encoder counts per revolution", description = "Not read by the loop: the encoder stream's source counts.")
        int countsPerRevolution() default 1440;

        @AttributeDefinition(name = "Inverted", description = "Motor mounted mirrored: positive output turns it backwards.")
        boolean inverted() default false;

        @AttributeDefinition(name = "kp", description = "Proportional gain, duty fraction per rad/s, at least 0.")
        double kp() default 0.04;

        @AttributeDefinition(name = "ki", description = "Integral gain, duty fraction per rad, at least 0.")
        double ki() default 0.1;

        @AttributeDefinition(name = "kd", description = "Derivative gain, duty fraction per rad/s², at least 0.")
        double kd() default 0.0;

        @AttributeDefinition(name = "ks", description = "Static feed-forward, duty fraction toward the setpoint, at least 0.")
        double ks() default 0.0136;

        @AttributeDefinition(name = "kv", description = "Velocity feed-forward, duty fraction per rad/s, at least 0.")
        double kv() default 0.028;

        @AttributeDefinition(name = "Largest setpoint (rad/s)", description = "Setpoints beyond ± this are refused, above 0.")
        double maxSetpoint() default 30.0;

        @AttributeDefinition(name = "Largest acceleration (rad/s²)", description = "Setpoint changes follow a trapezoidal profile with this acceleration; 0 for steps.")
        double maxAcceleration() default 0.0;

        @AttributeDefinition(name = "Largest jerk (rad/s³)", description = "Rate of change of acceleration in the profile; needed when an acceleration is set.")
        double maxJerk() default 0.0;

        @AttributeDefinition(name = "Heartbeat timeout (ms)", description = "The safety supervisor trips if the loop does not run for this long, 2..10000 ms.")
        int heartbeatTimeoutMillis() default 100;

        @AttributeDefinition(name = "Velocity window (ms)", description = "Not read by the loop: the encoder stream's source sets its velocity window.")
        int velocityWindowMillis() default 10;
    }

    private Config config;
    private final Bundle ownBundle;
    private final SupervisorLink link;
    private final CommandedSetpoint commands;
    private final WheelMeasurement measurement;
    private final SetpointProfile profile = new SetpointProfile();
    private final ControllerSwitch controllers;
    private final MotorDrive motor;
    private final SideBySideHandOver handOver;
    private final WheelEngagement engagement;

    // loop-thread state
    private WheelSettings applied;

    // published for readers
    private volatile double lastMeasurement;
    private volatile double profiledSetpoint;
    /** The setpoint in force for the last cycle; loop thread only */
    private double cycleSetpoint;
    // loop thread only: this tick's reading, taken in the read phase with the other loops' sensors
    private double measured = Double.NaN;
    private long measuredAt = Long.MIN_VALUE;
    private volatile long undriven;

    @Activate
    public WheelSpeedLoop(Config config, BundleContext context) {
        WheelSettings s = WheelSettings.of(config);
        this.config = config;
        ownBundle = context == null ? null : context.getBundle();
        link = new SupervisorLink(s.name(), config.heartbeatTimeoutMillis());
        commands = new CommandedSetpoint(s, link);
        measurement = new WheelMeasurement(config.encoderStream().trim(), config.encoderStaleMillis(), config.armature_loop_rate());
        controllers = new ControllerSwitch(s.name(), s.gains());
        motor = new MotorDrive(config);
        handOver = new SideBySideHandOver(context, this);
        engagement = new WheelEngagement(controllers, motor, link, measurement::whyNot);
    }

    @Modified
    void modified(Config next) {
        WheelSettings s = WheelSettings.of(next);
        if (!s.name().equals(name()) || !next.board_target().equals(config.board_target()) || !sameChannels(next, config)) {
            throw new IllegalArgumentException("loop '" + name()
                    + "': name, board and channels cannot change while the loop runs; delete the configuration and create a new one");
        }
        config = next;
        link.heartbeatTimeout(next.heartbeatTimeoutMillis()); // for the next heartbeat taken
        measurement.limits(next.encoderStaleMillis(), next.armature_loop_rate());
        commands.reconfigure(s);
    }

    private static boolean sameChannels(Config a, Config b) {
        return a.pwmChannel().equals(b.pwmChannel()) && a.directionChannel().equals(b.directionChannel())
                && a.brakeChannel().equals(b.brakeChannel()) && a.encoderStream().equals(b.encoderStream())
                && a.encoderStaleMillis() == b.encoderStaleMillis();
    }

    @Reference(name = "board", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    public void bindBoard(Board board) {
        motor.bind(board); // the loop thread drives the new board from its next cycle on
    }

    void unbindBoard(Board board) {
        motor.unbind(board, handOver.handsOver());
    }

    /** Every sample stream: the loop reads its encoder stream (see {@link WheelMeasurement}). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindEncoderStream(SampleStream<?> stream, Map<String, Object> properties) {
        measurement.add(stream, properties);
    }

    void unbindEncoderStream(SampleStream<?> stream) {
        measurement.remove(stream);
    }

    /** The supervisor, when one is installed: the loop beats its heartbeat and obeys its trips. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindSupervisor(SafetySupervisor s) {
        link.bind(s);
        commands.clear(null); // what was commanded under another supervisor (or none) is not this one's to allow
    }

    void unbindSupervisor(SafetySupervisor s) {
        if (link.unbind(s)) {
            commands.clear(null); // nobody owns the right to move now: stop, and move again only on a new command
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFactory(ControllerFactory factory, Map<String, Object> properties) {
        controllers.addFactory(factory, properties);
    }

    void removeFactory(ControllerFactory factory, Map<String, Object> properties) {
        controllers.removeFactory(factory, properties);
    }

    /** Other instances of loops: see {@link SideBySideHandOver}. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = TunableLoop.class)
    void addPeer(ServiceReference<TunableLoop> reference) {
        handOver.addPeer(reference);
    }

    void removePeer(ServiceReference<TunableLoop> reference) {
        handOver.removePeer(reference);
    }

    @Deactivate
    void deactivate() {
        link.closeHeartbeat(); // an orderly stop, not a missed beat
        if (!handOver.handsOver()) {
            motor.safe();
        }
        measurement.close();
    }

    /** For tests: read the measurement from here instead of the encoder stream. */
    void setMeasurementForTest(WheelMeasurement.Override m) {
        measurement.setOverride(m);
    }

    // ---- the cycle: runs on the loop thread, allocation-free in the steady state ----

    @Override
    public void read(long nowNanos, double dtSeconds) {
        measured = measurement.read(nowNanos, dtSeconds);
        measuredAt = nowNanos;
    }

    @Override
    public void cycle(long nowNanos, double dtSeconds) {
        link.beat();
        if (!ready()) {
            return;
        }
        boolean tripped = link.tripped();
        double commanded = settingsFor(tripped).setpointAt(nowNanos);
        cycleSetpoint = commanded;
        // measured in this tick's read phase; read now when called without one (a test driving cycles)
        if (measuredAt != nowNanos) {
            read(nowNanos, dtSeconds);
        }
        double speed = measured;
        lastMeasurement = speed;
        if (!Double.isFinite(speed) || !(dtSeconds > 0)) {
            engagement.noMeasurement(commanded);
            return;
        }
        // decide and drive
        double target = profile.step(commanded, dtSeconds);
        profiledSetpoint = target;
        if (!handOver.isStandby()) { // a stand-by measures only: the instance it replaces drives until it goes
            engagement.cycle(tripped, target, commanded, speed, dtSeconds);
        }
    }

    /** @return false when this cycle drives nothing: no board, or its bundle stopping with nobody to take over */
    private boolean ready() {
        SideBySideHandOver.Takeover takeover = handOver.takeOver();
        if (takeover != null) {
            takeOver(takeover);
        }
        if (!motor.bound()) {
            if (engagement.engaged()) {
                undriven++;
            }
            return false;
        }
        if (bundleStopping() && !handOver.handsOver()) {
            // This bundle is stopping and nobody takes over: stop the motor now, in this cycle,
            // rather than when the framework gets round to deactivating this component.
            if (engagement.engaged()) {
                engagement.disengage();
            }
            return false;
        }
        return true;
    }

    /** @return the settings for this cycle, applied: a trip voids the setpoint and rests the profile; a switch of controller takes effect */
    private WheelSettings settingsFor(boolean tripped) {
        WheelSettings s = commands.forCycle(tripped);
        if (tripped || commands.takeRestRequest()) {
            profile.startAt(0.0); // the profile is at rest: after a reset it starts from 0
        }
        if (s != applied) {
            apply(s);
        }
        controllers.takePending(engagement.output());
        return s;
    }

    private void takeOver(SideBySideHandOver.Takeover t) {
        apply(commands.takeOver(t.setpoint(), t.leaseExpiryNanos(), t.gains()));
        if (t.output() != 0.0 || t.setpoint() != 0.0) {
            engagement.continueFrom(t.output()); // bumpless: from the predecessor's last output
            profile.startAt(t.setpoint());
        }
    }

    private void apply(WheelSettings s) {
        WheelSettings old = applied;
        applied = s;
        handOver.running();
        if (old == null || !old.gains().equals(s.gains())) {
            controllers.pid().setGains(s.gains()); // bumpless inside the controller
        }
        profile.limit(s.maxAcceleration(), s.maxJerk(), profiledSetpoint);
        engagement.inverted(s.inverted());
    }

    private boolean bundleStopping() {
        return ownBundle != null && ownBundle.getState() == Bundle.STOPPING;
    }

    @Override
    public void stopOutputs() {
        if (bundleStopping()) {
            // The engine of a stopping bundle stops for good: no cycle will beat again. Closing
            // the heartbeat now, not when the framework gets round to deactivating this component,
            // keeps that delay from reading as a stalled loop (during a side-by-side update, a
            // trip that would stop the motor the successor is driving).
            link.closeHeartbeat();
        } else {
            // The engine stops this loop and may start it again (it restarts its component when
            // its configuration arrives, or restarts a loop whose cycle threw, having tripped the
            // supervisor itself); an engine that never comes back still trips the supervisor
            // when the fresh heartbeat's slack is over.
            link.renewHeartbeat();
        }
        if (handOver.isStandby() || handOver.handsOver()) {
            return; // the successor continues from this loop's last output
        }
        motor.safe();
        engagement.stopped();
    }

    // ---- TunableLoop: any thread ----

    @Override
    public String name() {
        return commands.get().name();
    }

    @Override
    public String unit() {
        return "rad/s";
    }

    @Override
    public double setpoint() {
        return commands.get().setpoint();
    }

    /** @return the setpoint after the motion profile, rad/s */
    @Override
    public double profiledSetpoint() {
        return profiledSetpoint;
    }

    @Override
    public double measurement() {
        return lastMeasurement;
    }

    /** What the last cycle used: its setpoint and the gains it applied, not a command or gains that came during it. Loop thread. */
    @Override
    public void describeCycle(LoopSample into) {
        into.setpoint = cycleSetpoint;
        into.profiledSetpoint = profiledSetpoint;
        into.measurement = lastMeasurement;
        into.output = engagement.output();
        PidGains g = applied != null ? applied.gains() : gains();
        into.kp = g.kp();
        into.ki = g.ki();
        into.kd = g.kd();
        into.ks = g.ks();
        into.kv = g.kv();
        into.controller = controllers.name();
    }

    @Override
    public double output() {
        return engagement.output();
    }

    @Override
    public void setSetpoint(double value) {
        setSetpoint(value, Long.MAX_VALUE);
    }

    @Override
    public void setSetpoint(double value, long leaseExpiryNanos) {
        commands.set(value, leaseExpiryNanos);
    }

    @Override
    public long leaseExpiryNanos() {
        return commands.get().leaseExpiryNanos();
    }

    @Override
    public PidGains gains() {
        return commands.get().gains();
    }

    @Override
    public void setGains(PidGains gains) {
        if (gains == null) {
            throw new IllegalArgumentException("gains are required");
        }
        commands.setGains(gains);
    }

    @Override
    public String controller() {
        return controllers.name();
    }

    @Override
    public void switchController(String name) {
        controllers.request(name, gains());
    }

    @Override
    public Optional<String> fault() {
        return Optional.ofNullable(link.fault());
    }

    @Override
    public boolean isStandby() {
        return handOver.isStandby();
    }

    @Override
    public long undrivenCycles() {
        return undriven;
    }
}
