package io.armature.control.internal;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

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
import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.control.pid.PidController;
import io.armature.control.pid.TrapezoidProfile;
import io.armature.hal.Board;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.safety.Heartbeat;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.EncoderSample;
import io.armature.kit.sensor.EncoderVelocity;
import io.armature.kit.sensor.QuadratureDecoder;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;
import io.armature.kit.sensor.StreamChoice;

/**
 * A wheel-speed loop: encoder → velocity → controller → PWM duty, direction and brake. One
 * factory configuration per wheel. At rest on a zero setpoint the motor is braked and the loop
 * leaves its channels alone; a non-zero setpoint engages it, and it brakes again once the wheel
 * has stopped on a zero setpoint. Setpoint (rad/s), gains and controller changes are
 * immutable snapshots swapped atomically and applied at the start of the next cycle. Motion
 * authority: a trip of the supervisor, or the supervisor going away, clears the setpoint and
 * returns the profile to rest, so that nothing moves after a reset until a new command; a
 * setpoint given before the latest trip never takes effect; a leased setpoint lapses to 0 in
 * the first cycle after its lease. The loop starts at rest: no configuration sets it moving. A
 * measurement or output that is not a finite number never reaches the motor: the loop drives
 * it safe and reports a fault; a controller that fails in its first cycles is rolled back.
 */
@Component(service = {ControlLoop.class, TunableLoop.class}, configurationPid = WheelSpeedLoop.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = WheelSpeedLoop.Config.class, factory = true)
public final class WheelSpeedLoop implements ControlLoop, TunableLoop {

    public static final String FACTORY_PID = "armature.control.wheel";
    /** Below this speed (rad/s) with a zero setpoint the wheel counts as stopped and the loop brakes it. */
    static final double REST_SPEED = 0.2;
    /** Cycles after a controller switch in which a failure rolls back to the previous controller. */
    static final int TRIAL_CYCLES = 100;

    @ObjectClassDefinition(name = "Armature wheel-speed loop", description = "PID speed control of one wheel motor from its encoder.")
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

        @AttributeDefinition(name = "Encoder A channel", description = "Digital input of the encoder's signal A; unused with an encoder stream.")
        String encoderA() default "";

        @AttributeDefinition(name = "Encoder B channel", description = "Digital input of the encoder's signal B; unused with an encoder stream.")
        String encoderB() default "";

        @AttributeDefinition(name = "Encoder stream", description = "Take the wheel speed from this encoder sample stream (for example one a "
                + "microcontroller board publishes) instead of counting encoderA/encoderB edges; empty to count edges.")
        String encoderStream() default "";

        @AttributeDefinition(name = "Encoder stream staleness (ms)", description = "With an encoder stream: no valid sample newer than this "
                + "stops the motor and reports a fault, 1..1000 ms.")
        int encoderStaleMillis() default 20;

        @AttributeDefinition(name = "Encoder counts per revolution", description = "Quadrature counts per wheel revolution.")
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

        @AttributeDefinition(name = "Velocity window (ms)", description = "Speed is the encoder counts over this window divided by the time between their edges, 1..100 ms.")
        int velocityWindowMillis() default 10;
    }

    /** The loop's settings at one moment: immutable, swapped as a whole. */
    record Settings(String name, double rateHz, int countsPerRevolution, boolean inverted, double setpoint, long leaseExpiryNanos,
            long stamp, PidGains gains, double maxSetpoint, double maxAcceleration, double maxJerk, int windowCycles) {

        /** The stamp of a setpoint given while no supervisor was there: void once one comes. */
        static final long NO_SUPERVISOR = -1;

        /** @return settings from a configuration, at rest (setpoint 0, no lease) */
        static Settings of(Config c) {
            String name = c.armature_loop_name() == null ? "" : c.armature_loop_name().trim();
            if (!name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("loop name must be letters, digits, '.', '_' or '-', was '" + c.armature_loop_name() + "'");
            }
            double rate = c.armature_loop_rate();
            if (!(rate >= 1 && rate <= 10_000)) {
                throw new IllegalArgumentException("loop '" + name + "': rate must be 1..10000 Hz, was " + rate);
            }
            if (c.countsPerRevolution() < 4) {
                throw new IllegalArgumentException("loop '" + name + "': countsPerRevolution must be at least 4, was " + c.countsPerRevolution());
            }
            if (!(c.maxSetpoint() > 0) || Double.isInfinite(c.maxSetpoint())) {
                throw new IllegalArgumentException("loop '" + name + "': maxSetpoint must be finite and above 0, was " + c.maxSetpoint());
            }
            if (!(c.maxAcceleration() >= 0) || !(c.maxJerk() >= 0) || Double.isInfinite(c.maxAcceleration()) || Double.isInfinite(c.maxJerk())
                    || (c.maxAcceleration() > 0) != (c.maxJerk() > 0)) {
                throw new IllegalArgumentException("loop '" + name + "': maxAcceleration and maxJerk must both be above 0 (profiled) or both 0 (steps), were "
                        + c.maxAcceleration() + " and " + c.maxJerk());
            }
            if (c.heartbeatTimeoutMillis() < 2 || c.heartbeatTimeoutMillis() > 10_000) {
                throw new IllegalArgumentException("loop '" + name + "': heartbeatTimeoutMillis must be 2..10000, was " + c.heartbeatTimeoutMillis());
            }
            if (c.velocityWindowMillis() < 1 || c.velocityWindowMillis() > 100) {
                throw new IllegalArgumentException("loop '" + name + "': velocityWindowMillis must be 1..100, was " + c.velocityWindowMillis());
            }
            if (c.encoderStream().isBlank() && (c.encoderA().isBlank() || c.encoderB().isBlank())) {
                throw new IllegalArgumentException("loop '" + name + "': name the encoder: encoderA and encoderB, or encoderStream");
            }
            if (c.encoderStaleMillis() < 1 || c.encoderStaleMillis() > 1000) {
                throw new IllegalArgumentException("loop '" + name + "': encoderStaleMillis must be 1..1000, was " + c.encoderStaleMillis());
            }
            PidGains gains;
            try {
                gains = new PidGains(c.kp(), c.ki(), c.kd(), c.ks(), c.kv());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("loop '" + name + "': " + e.getMessage(), e);
            }
            int window = (int) Math.max(1, Math.round(c.velocityWindowMillis() * rate / 1000.0));
            return new Settings(name, rate, c.countsPerRevolution(), c.inverted(), 0.0, Long.MAX_VALUE, NO_SUPERVISOR, gains, c.maxSetpoint(),
                    c.maxAcceleration(), c.maxJerk(), window);
        }

        static void checkSetpoint(String name, double value, double max) {
            if (!Double.isFinite(value) || Math.abs(value) > max) {
                throw new IllegalArgumentException("loop '" + name + "': setpoint must be a number within ±" + max + " rad/s, was " + value);
            }
        }

        Settings withSetpoint(double v, long lease, long stampOfCommand) {
            return new Settings(name, rateHz, countsPerRevolution, inverted, v, lease, stampOfCommand, gains, maxSetpoint, maxAcceleration, maxJerk,
                    windowCycles);
        }

        Settings withGains(PidGains g) {
            return new Settings(name, rateHz, countsPerRevolution, inverted, setpoint, leaseExpiryNanos, stamp, g, maxSetpoint, maxAcceleration,
                    maxJerk, windowCycles);
        }

        /** @return these settings with the setpoint, lease and stamp of {@code commanded}: a configuration change never moves the wheel */
        Settings withCommandOf(Settings commanded) {
            double v = Math.max(-maxSetpoint, Math.min(maxSetpoint, commanded.setpoint));
            return withSetpoint(v, commanded.leaseExpiryNanos, commanded.stamp);
        }

        /** @return the setpoint in force at {@code nowNanos}: 0 once its lease has lapsed */
        double setpointAt(long nowNanos) {
            return leaseExpiryNanos != Long.MAX_VALUE && nowNanos - leaseExpiryNanos >= 0 ? 0.0 : setpoint;
        }
    }

    /** Where the loop reads its measurement; the encoder in production, anything in tests. */
    interface Measurement {
        /** @return rad/s, or NaN / infinity when the reading is bad */
        double read(long nowNanos, double dtSeconds);
    }

    /** The board channels the loop drives; replaced as a whole when the board is swapped. */
    record Binding(Board board, PwmOutput pwm, DigitalOutput direction, DigitalOutput brake, QuadratureDecoder decoder) {
    }

    private record Switch(String name, Controller controller) {
    }

    /** What a predecessor was doing when it went away, for a bumpless take-over. */
    private record Takeover(double setpoint, long leaseExpiryNanos, PidGains gains, double output) {
    }

    private final AtomicReference<Settings> settings = new AtomicReference<>();
    private final AtomicReference<Switch> pendingSwitch = new AtomicReference<>();
    private final Map<String, ControllerFactory> factories = new ConcurrentHashMap<>();
    private final MotorStateWord motor = new MotorStateWord();
    private volatile Binding binding;
    private Config config;

    // loop-thread state
    private Settings applied;
    private final PidController pid;
    private Controller controller;
    private Controller previousController;
    private String previousName;
    private int trialCyclesLeft;
    private TrapezoidProfile profile;
    private final TrapezoidProfile.State profileState = new TrapezoidProfile.State();
    private EncoderVelocity velocity;
    private QuadratureDecoder measuredDecoder;
    private final long[] edge = new long[2];
    private Measurement measurementOverride;
    private boolean engaged;

    // published for readers
    private volatile double lastMeasurement;
    private volatile double lastOutput;
    private volatile double profiledSetpoint;
    private volatile String controllerName = PidControllerFactory.NAME;
    private volatile String fault;
    private volatile long faults;
    // the loop reports a fault once per episode, with strings made before the cycle runs
    private boolean faultReported;
    private final String safetyName; // loop:<name>, its heartbeat's and its faults' name
    private final String faultNotANumber;
    private final String faultOutput;
    // set when the supervisor goes away or changes: the loop thread returns its profile to rest
    private volatile boolean restRequested;
    private volatile long undriven;

    private volatile SafetySupervisor supervisor;
    private volatile Heartbeat heartbeat;

    // side-by-side update of this bundle: the new instance stands by until the old one goes
    private volatile boolean standby;
    private volatile TunableLoop predecessor;
    private volatile TunableLoop successor;
    private final AtomicReference<Takeover> pendingTakeover = new AtomicReference<>();
    private final Map<ServiceReference<TunableLoop>, TunableLoop> peers = new ConcurrentHashMap<>();
    private final BundleContext context;
    private final org.osgi.framework.Bundle ownBundle;

    @Activate
    public WheelSpeedLoop(Config config, BundleContext context) {
        this.context = context;
        this.ownBundle = context == null ? null : context.getBundle();
        Settings s = Settings.of(config);
        this.config = config;
        settings.set(s);
        pid = new PidController(s.gains(), -1.0, 1.0, 0.002, 0.2);
        controller = pid;
        safetyName = "loop:" + s.name();
        faultNotANumber = "measurement is not a number; motor stopped";
        faultOutput = "controller output is not a number; motor stopped";
    }

    @Modified
    void modified(Config next) {
        Settings s = Settings.of(next);
        Settings current = settings.get();
        if (!s.name().equals(current.name()) || s.countsPerRevolution() != current.countsPerRevolution()
                || !next.board_target().equals(config.board_target()) || !sameChannels(next, config)) {
            throw new IllegalArgumentException("loop '" + current.name()
                    + "': name, board and channels cannot change while the loop runs; delete the configuration and create a new one");
        }
        config = next;
        Settings was;
        do {
            was = settings.get();
        } while (!settings.compareAndSet(was, s.withCommandOf(was))); // picked up at the next cycle boundary
    }

    private static boolean sameChannels(Config a, Config b) {
        return a.pwmChannel().equals(b.pwmChannel()) && a.directionChannel().equals(b.directionChannel())
                && a.brakeChannel().equals(b.brakeChannel()) && a.encoderA().equals(b.encoderA()) && a.encoderB().equals(b.encoderB())
                && a.encoderStream().equals(b.encoderStream()) && a.encoderStaleMillis() == b.encoderStaleMillis();
    }

    @Reference(name = "board", policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindBoard(Board board) {
        Config c = config;
        QuadratureDecoder decoder = !c.encoderStream().isBlank() ? null
                : new QuadratureDecoder(board.channel(c.encoderA(), DigitalInput.class), board.channel(c.encoderB(), DigitalInput.class));
        Binding next = new Binding(board, board.channel(c.pwmChannel(), PwmOutput.class),
                board.channel(c.directionChannel(), DigitalOutput.class), board.channel(c.brakeChannel(), DigitalOutput.class), decoder);
        binding = next; // the loop thread drives the new board from its next cycle on
    }

    void unbindBoard(Board board) {
        Binding b = binding;
        if (b != null && b.board() == board) {
            // no replacement arrived first: the component is about to stop with this board
            if (!handsOver()) {
                safe(b);
            }
            if (b.decoder() != null) {
                b.decoder().close();
            }
            binding = null;
        }
        // a replaced board: its decoder's listeners go with its channels
    }

    /** An encoder stream as the loop reads it: a latest-value reader the loop thread alone polls. */
    private record EncoderFeed(SampleStream<?> stream, SampleReader<EncoderSample> reader) {
    }

    private volatile EncoderFeed encoderFeed;
    private final EncoderSample encoderSample = new EncoderSample();

    private final StreamChoice<SampleStream<?>> encoderStreams = new StreamChoice<>();

    /**
     * Every sample stream; the loop reads the encoder stream of its configured name, the
     * highest-ranked one when there are several (a replay over the live stream).
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindEncoderStream(SampleStream<?> stream, Map<String, Object> properties) {
        String wanted = config.encoderStream();
        if (!wanted.isBlank() && stream.name().equals(wanted) && stream.sampleType() == EncoderSample.class
                && encoderStreams.add(stream, properties)) {
            feedFrom(encoderStreams.chosen());
        }
    }

    void unbindEncoderStream(SampleStream<?> stream) {
        if (encoderStreams.remove(stream)) {
            feedFrom(encoderStreams.chosen()); // none left: the loop measures NaN, a driven motor stops
        }
    }

    @SuppressWarnings("unchecked")
    private synchronized void feedFrom(SampleStream<?> stream) {
        EncoderFeed old = encoderFeed;
        encoderFeed = stream == null ? null : new EncoderFeed(stream, ((SampleStream<EncoderSample>) stream).openLatest());
        if (old != null) {
            old.reader().close();
        }
    }

    /** The supervisor, when one is installed: the loop beats its heartbeat and obeys its trips. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindSupervisor(SafetySupervisor s) {
        Heartbeat old = heartbeat;
        heartbeat = s.heartbeat(safetyName, config.heartbeatTimeoutMillis() * 1_000_000L);
        supervisor = s;
        clearSetpoint(); // what was commanded under another supervisor (or none) is not this one's to allow
        if (old != null) {
            old.close();
        }
    }

    void unbindSupervisor(SafetySupervisor s) {
        if (supervisor == s) {
            supervisor = null;
            clearSetpoint(); // nobody owns the right to move now: stop, and move again only on a new command
            Heartbeat hb = heartbeat;
            heartbeat = null;
            if (hb != null) {
                hb.close();
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
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
     * Other instances of loops. One with this loop's name from another bundle means a
     * side-by-side update: if it was here first, this instance stands by and takes over when it
     * goes; if this one was here first, it hands over instead of driving the motor safe.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = TunableLoop.class)
    void addPeer(ServiceReference<TunableLoop> reference) {
        // Only the reference here: getting every loop's service object would make loops of
        // different names activate each other in a cycle.
        if (context == null || reference.getBundle() == context.getBundle()
                || !name().equals(reference.getProperty(ControlLoop.PROPERTY_NAME))) {
            return; // only the same loop from another bundle (another version of this one) matters
        }
        TunableLoop peer = context.getService(reference);
        if (peer == null || peer == this) {
            if (peer != null) {
                context.ungetService(reference);
            }
            return;
        }
        peers.put(reference, peer);
        addPeer(peer);
    }

    void removePeer(ServiceReference<TunableLoop> reference) {
        TunableLoop peer = peers.remove(reference);
        if (peer != null) {
            removePeer(peer);
            context.ungetService(reference);
        }
    }

    /** A loop of the same name from another bundle: see {@link #addPeer(ServiceReference)}. */
    void addPeer(TunableLoop peer) {
        if (isRunningAlone() || peer.isStandby()) {
            successor = peer; // it arrived while this one drives: it will stand by and take over
        } else if (predecessor == null) {
            predecessor = peer;
            standby = true;
        }
    }

    private void removePeer(TunableLoop peer) {
        if (peer == predecessor) {
            pendingTakeover.set(new Takeover(peer.setpoint(), peer.leaseExpiryNanos(), peer.gains(), peer.output()));
            predecessor = null;
        }
        if (peer == successor) {
            successor = null;
        }
    }

    /** @return true once this instance has driven its motor, so a newcomer of the same name never demotes it */
    private boolean isRunningAlone() {
        return applied != null && !standby;
    }

    /** @return true while a successor registered as a stand-by is here to take the motor over */
    private boolean handsOver() {
        return successor != null;
    }

    @Deactivate
    void deactivate() {
        Heartbeat hb = heartbeat;
        if (hb != null) {
            hb.close(); // an orderly stop, not a missed beat
        }
        Binding b = binding;
        if (b != null) {
            if (!handsOver()) {
                safe(b);
            }
            if (b.decoder() != null) {
                b.decoder().close();
            }
        }
        EncoderFeed f = encoderFeed;
        if (f != null) {
            f.reader().close();
        }
    }

    /** For tests: read the measurement from here instead of the encoder. */
    void setMeasurementForTest(Measurement m) {
        measurementOverride = m;
    }

    // ---- the cycle: runs on the loop thread, allocation-free in the steady state ----

    @Override
    public void cycle(long nowNanos, double dtSeconds) {
        Heartbeat hb = heartbeat;
        if (hb != null) {
            hb.beat();
        }
        Takeover takeover = pendingTakeover.getAndSet(null);
        if (takeover != null) {
            takeOver(takeover);
        }
        Binding b = binding;
        if (b == null) {
            if (engaged) {
                undriven++;
            }
            return;
        }
        if (ownBundle != null && ownBundle.getState() == org.osgi.framework.Bundle.STOPPING && !handsOver()) {
            // This bundle is stopping and nobody takes over: stop the motor now, in this cycle,
            // rather than when the framework gets round to deactivating this component.
            if (engaged) {
                disengage(b);
            }
            return;
        }
        Settings s = settings.get();
        SafetySupervisor sup = supervisor;
        boolean tripped = sup != null && !sup.mayMove();
        while (s.setpoint() != 0.0 && (tripped || (sup != null && s.stamp() != sup.trips()))) {
            s = clearSetpoint(s); // tripped, or commanded before the latest trip: never resumes by itself
        }
        if (tripped || restRequested) {
            restRequested = false;
            profileState.position = 0.0; // the profile is at rest: after a reset it starts from 0
            profileState.velocity = 0.0;
        }
        if (s != applied) {
            apply(s);
        }
        Switch sw = pendingSwitch.getAndSet(null);
        if (sw != null) {
            previousController = controller;
            previousName = controllerName;
            sw.controller().reset(lastOutput); // bumpless: the new controller starts from the old output
            controller = sw.controller();
            controllerName = sw.name();
            trialCyclesLeft = TRIAL_CYCLES;
        }

        double commanded = s.setpointAt(nowNanos);
        double measurement = measure(b, nowNanos, dtSeconds);
        lastMeasurement = measurement;
        if (!Double.isFinite(measurement) || !(dtSeconds > 0)) {
            if (!engaged && commanded == 0.0) {
                // at rest: nothing is driven on this measurement, so nothing to stop (an encoder
                // stream not there yet, or pausing); a setpoint finds the fault at once
                return;
            }
            reportFault(faultNotANumber);
            if (engaged) {
                disengage(b);
            }
            return;
        }

        double target = commanded;
        if (profile != null) {
            profile.step(profileState, target, dtSeconds);
            target = profileState.position;
        }
        profiledSetpoint = target;
        if (standby) {
            return; // measuring only: the instance we replace drives the motor until it goes
        }
        if (tripped) {
            if (engaged) {
                disengage(b); // tripped: the board already refuses to move; start from rest after a reset
            }
            return;
        }
        if (!engaged) {
            if (target == 0.0) {
                return; // at rest: the motor stays braked and the loop leaves the channels alone
            }
            engaged = true;
            faultReported = false; // a new episode
            controller.reset(Double.NaN); // a fresh start from rest, not a hand-over
        } else if (target == 0.0 && commanded == 0.0 && Math.abs(measurement) < REST_SPEED) {
            disengage(b); // stopped on a zero setpoint: brake on, controller reset
            return;
        }

        double output = compute(target, measurement, dtSeconds);
        if (!Double.isFinite(output) && trialCyclesLeft > 0) {
            rollBack(output);
            output = compute(target, measurement, dtSeconds);
        }
        if (trialCyclesLeft > 0) {
            trialCyclesLeft--;
        }
        if (!Double.isFinite(output)) {
            reportFault(faultOutput);
            disengage(b);
            return;
        }
        output = Math.max(-1.0, Math.min(1.0, output));
        drive(b, s.inverted() ? -output : output);
        lastOutput = output;
    }

    private void takeOver(Takeover t) {
        Settings s = settings.get();
        SafetySupervisor sup = supervisor;
        long stamp = sup == null ? Settings.NO_SUPERVISOR : sup.trips();
        settings.set(s.withSetpoint(Math.max(-s.maxSetpoint(), Math.min(s.maxSetpoint(), t.setpoint())), t.leaseExpiryNanos(), stamp)
                .withGains(t.gains()));
        apply(settings.get());
        standby = false;
        if (t.output() != 0.0 || t.setpoint() != 0.0) {
            engaged = true;
            controller.reset(t.output()); // continue from the predecessor's last output
            profileState.position = t.setpoint();
            profileState.velocity = 0;
        }
    }

    private void disengage(Binding b) {
        safe(b);
        controller.reset(Double.NaN);
        lastOutput = 0.0;
        engaged = false;
    }

    private double compute(double target, double measurement, double dt) {
        try {
            return controller.calculate(target, measurement, dt);
        } catch (RuntimeException e) {
            failure = e;
            return Double.NaN;
        }
    }

    private RuntimeException failure;

    private void rollBack(double badOutput) {
        String failed = controllerName;
        String why = failure != null ? "threw " + failure : "output " + badOutput;
        failure = null;
        controller = previousController;
        controllerName = previousName;
        controller.reset(lastOutput);
        trialCyclesLeft = 0;
        fault = "controller '" + failed + "' " + why + " in its first cycles; rolled back to '" + controllerName + "'";
        faults++;
    }

    /** Reports a fault once per episode (until the loop engages again): no string is made and no board revoked every cycle. */
    private void reportFault(String message) {
        if (faultReported) {
            return;
        }
        faultReported = true;
        fault = message;
        faults++;
        SafetySupervisor sup = supervisor;
        if (sup != null) {
            sup.fault(safetyName, message); // latched: a human decides when to move again
        }
    }

    /**
     * Sets the setpoint to 0 with no lease, stamped with the supervisor's trips now, and asks the
     * loop thread to return the profile to rest. Allocates one snapshot: once per trip, never in
     * a steady state.
     *
     * @return the settings in force afterwards
     */
    private Settings clearSetpoint() {
        return clearSetpoint(null);
    }

    /**
     * As {@link #clearSetpoint()}, but only if the settings in force are still {@code judged}
     * (null for any): a command that came after the loop judged the setpoint stale (a reset and
     * a new command in between) is not cleared.
     */
    private Settings clearSetpoint(Settings judged) {
        restRequested = true;
        SafetySupervisor sup = supervisor;
        long stamp = sup == null ? Settings.NO_SUPERVISOR : sup.trips();
        Settings s;
        Settings next;
        do {
            s = settings.get();
            if (judged != null && s != judged) {
                return s; // changed since: judged afresh in the next cycle
            }
            if (s.setpoint() == 0.0 && s.leaseExpiryNanos() == Long.MAX_VALUE) {
                return s;
            }
            next = s.withSetpoint(0.0, Long.MAX_VALUE, stamp);
        } while (!settings.compareAndSet(s, next));
        return next;
    }

    private void apply(Settings s) {
        Settings old = applied;
        applied = s;
        if (old == null || !old.gains().equals(s.gains())) {
            pid.setGains(s.gains()); // bumpless inside the controller
        }
        if (s.maxAcceleration() > 0) {
            if (old == null || old.maxAcceleration() != s.maxAcceleration() || old.maxJerk() != s.maxJerk()) {
                profile = new TrapezoidProfile(s.maxAcceleration(), s.maxJerk());
                profileState.position = profiledSetpoint;
                profileState.velocity = 0;
            }
        } else {
            profile = null;
        }
        if (velocity == null || velocity.windowSamples() != s.windowCycles() || old.countsPerRevolution() != s.countsPerRevolution()) {
            velocity = new EncoderVelocity(s.windowCycles(), 2 * Math.PI / s.countsPerRevolution());
        }
    }

    private double measure(Binding b, long nowNanos, double dt) {
        if (measurementOverride != null) {
            return measurementOverride.read(nowNanos, dt);
        }
        // Speed from the edges' own timestamps over the window, not from when the loop happened
        // to read the count: late edge delivery then shifts nothing.
        if (b.decoder() == null) {
            return measureFromStream(nowNanos);
        }
        if (b.decoder() != measuredDecoder) {
            velocity.reset(); // a replaced board's decoder counts from 0: no window spans the two
            measuredDecoder = b.decoder();
        }
        b.decoder().read(edge);
        return velocity.update(edge[0], edge[1]);
    }

    /** @return the newest valid speed from the encoder stream, NaN when there is none this fresh */
    private double measureFromStream(long nowNanos) {
        EncoderFeed f = encoderFeed;
        if (f == null || !f.reader().sourceAlive()) {
            return Double.NaN; // no source: never run on a stale speed
        }
        EncoderSample s = encoderSample;
        while (f.reader().poll(s)) {
            if (s.valid) {
                streamSpeed = s.velocityRadiansPerSecond;
                streamSpeedTime = s.timestampNanos;
            }
        }
        if (nowNanos - streamSpeedTime > config.encoderStaleMillis() * 1_000_000L) {
            return Double.NaN;
        }
        return streamSpeed;
    }

    private double streamSpeed = Double.NaN;
    private long streamSpeedTime = Long.MIN_VALUE / 2;

    private void drive(Binding b, double signedDuty) {
        boolean reverse = signedDuty < 0;
        int word = motor.update(MotorStateWord.ENABLE | (reverse ? MotorStateWord.REVERSE : 0),
                MotorStateWord.BRAKE | (reverse ? 0 : MotorStateWord.REVERSE));
        int duty = (int) Math.round(Math.abs(signedDuty) * PwmOutput.MAX_DUTY);
        b.direction().set(MotorStateWord.has(word, MotorStateWord.REVERSE));
        b.brake().set(MotorStateWord.has(word, MotorStateWord.BRAKE));
        b.pwm().setDuty(duty);
    }

    private void safe(Binding b) {
        motor.stop();
        b.pwm().toSafeState();
        b.brake().toSafeState();
        b.direction().toSafeState();
    }

    @Override
    public void stopOutputs() {
        if (ownBundle != null && ownBundle.getState() == org.osgi.framework.Bundle.STOPPING) {
            // The engine of a stopping bundle stops for good: no cycle will beat again. Closing
            // the heartbeat now, not when the framework gets round to deactivating this component,
            // keeps that delay from reading as a stalled loop (during a side-by-side update, a
            // trip that would stop the motor the successor is driving).
            Heartbeat hb = heartbeat;
            heartbeat = null;
            if (hb != null) {
                hb.close();
            }
        } else {
            // The engine stops this loop and may start it again (it restarts its component when
            // its configuration arrives, or restarts a loop whose cycle threw, having tripped the
            // supervisor itself). A fresh heartbeat gets the start-up slack of one that has not
            // beaten yet, so that gap is not a missed beat; an engine that never comes back still
            // trips the supervisor when the slack is over.
            SafetySupervisor sup = supervisor;
            Heartbeat old = heartbeat;
            if (sup != null && old != null) {
                heartbeat = sup.heartbeat(safetyName, config.heartbeatTimeoutMillis() * 1_000_000L);
                old.close();
            }
        }
        if (standby || handsOver()) {
            return; // the successor continues from this loop's last output
        }
        Binding b = binding;
        if (b != null) {
            safe(b);
        }
        lastOutput = 0.0;
        engaged = false;
    }

    // ---- TunableLoop: any thread ----

    @Override
    public String name() {
        return settings.get().name();
    }

    @Override
    public String unit() {
        return "rad/s";
    }

    @Override
    public double setpoint() {
        return settings.get().setpoint();
    }

    /** @return the setpoint after the motion profile, rad/s */
    public double profiledSetpoint() {
        return profiledSetpoint;
    }

    @Override
    public double measurement() {
        return lastMeasurement;
    }

    @Override
    public double output() {
        return lastOutput;
    }

    @Override
    public void setSetpoint(double value) {
        setSetpoint(value, Long.MAX_VALUE);
    }

    @Override
    public void setSetpoint(double value, long leaseExpiryNanos) {
        // The stamp is read before the trip check: a trip between the two leaves the stamp
        // older than the supervisor's count, and the loop voids the setpoint (see SafetySupervisor.trips).
        SafetySupervisor sup = supervisor;
        long stamp = sup == null ? Settings.NO_SUPERVISOR : sup.trips();
        if (value != 0.0 && sup != null && !sup.mayMove()) {
            throw new IllegalStateException("loop '" + name() + "': the robot is tripped; reset it, then command again");
        }
        Settings s;
        do {
            s = settings.get();
            Settings.checkSetpoint(s.name(), value, s.maxSetpoint());
        } while (!settings.compareAndSet(s, s.withSetpoint(value, leaseExpiryNanos, stamp)));
    }

    @Override
    public long leaseExpiryNanos() {
        return settings.get().leaseExpiryNanos();
    }

    @Override
    public PidGains gains() {
        return settings.get().gains();
    }

    @Override
    public void setGains(PidGains gains) {
        if (gains == null) {
            throw new IllegalArgumentException("gains are required");
        }
        Settings s;
        do {
            s = settings.get();
        } while (!settings.compareAndSet(s, s.withGains(gains)));
    }

    @Override
    public String controller() {
        return controllerName;
    }

    @Override
    public void switchController(String name) {
        if (PidControllerFactory.NAME.equals(name) && !factories.containsKey(name)) {
            pendingSwitch.set(new Switch(name, pid));
            return;
        }
        ControllerFactory f = factories.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no controller '" + name + "' for loop '" + name() + "'; installed: "
                    + String.join(", ", new java.util.TreeSet<>(factories.keySet())));
        }
        Controller c = PidControllerFactory.NAME.equals(name) ? pid : f.create(gains());
        pendingSwitch.set(new Switch(name, c));
    }

    @Override
    public Optional<String> fault() {
        return Optional.ofNullable(fault);
    }

    @Override
    public boolean isStandby() {
        return standby;
    }

    @Override
    public long undrivenCycles() {
        return undriven;
    }

}
