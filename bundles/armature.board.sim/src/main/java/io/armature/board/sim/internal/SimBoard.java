package io.armature.board.sim.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.PwmOutput;
import io.armature.kit.board.BoardChannels;
import io.armature.kit.board.BoardServices;
import io.armature.kit.board.FixedSettings;
import io.armature.kit.board.GuardedBoard;
import io.armature.kit.board.MotionGuard;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.simulation.GroundTruthPose;

/**
 * The simulated rover board. Its channels drive and read a {@link RoverPlant}: PWM duty,
 * direction and brake per wheel motor, the quadrature signals of each wheel's encoder, an
 * active-low e-stop button, a status LED, the battery voltage through a 1:4 divider on a 12-bit
 * ADC, and an MPU-6050 on an I2C bus. In real-time mode a named daemon thread steps the plant
 * against the monotonic clock; with {@code realTime=false} time advances only through
 * {@link #advance(long)}, deterministically.
 */
@Component(service = Board.class, immediate = true, configurationPid = SimBoard.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SimBoard.Config.class)
public final class SimBoard extends GuardedBoard {

    public static final String PID = "armature.board.sim";

    @ObjectClassDefinition(name = "Armature simulated board",
            description = "A simulated differential-drive rover: two wheel motors, encoders, an IMU, a battery.")
    public @interface Config {
        @AttributeDefinition(name = "Board id", description = "Board id, also the armature.board service property. Fixed while the board runs.")
        String armature_board() default "sim";

        @AttributeDefinition(name = "Real time", description = "Step the plant on its own thread against the monotonic clock. "
                + "When false, simulated time advances only when a test steps it. Fixed while the board runs.")
        boolean realTime() default true;

        @AttributeDefinition(name = "Step rate (Hz)", description = "Plant steps per second in real-time mode, 100..20000.")
        int stepRateHz() default 1000;

        @AttributeDefinition(name = "Real-time priority", description = "SCHED_FIFO priority of the plant's thread, 1..99; 0 for none. "
                + "The plant is the simulated hardware: above the supervisor (81) and the loops (80), so that a busy machine never "
                + "preempts it while it holds the board's locks (the loops and the supervisor would wait on them). Fixed while the board runs.")
        int realTimePriority() default 82;

        @AttributeDefinition(name = "Wheel load (N·m)", description = "External load torque on each wheel, 0..2 N·m, opposing motion.")
        double loadTorqueNm() default 0.0;

        @AttributeDefinition(name = "Gyro noise (rad/s)", description = "Standard deviation of gyro noise, at least 0.")
        double gyroNoise() default 0.002;

        @AttributeDefinition(name = "Gyro bias (rad/s)", description = "Constant gyro bias on every axis, -0.5..0.5.")
        double gyroBias() default 0.001;

        @AttributeDefinition(name = "Accelerometer noise (m/s²)", description = "Standard deviation of accelerometer noise, at least 0.")
        double accelNoise() default 0.02;

        @AttributeDefinition(name = "Accelerometer bias (m/s²)", description = "Constant accelerometer bias on every axis, -2..2.")
        double accelBias() default 0.05;

        @AttributeDefinition(name = "Encoder counts per revolution", description = "Quadrature counts per wheel revolution, a multiple of 4. Fixed while the board runs.")
        int encoderCountsPerRevolution() default 1440;

        @AttributeDefinition(name = "Random seed", description = "Seed of the IMU noise; the same seed gives the same run. Fixed while the board runs.")
        long seed() default 42L;

        @AttributeDefinition(name = "PWM frequency (Hz)", description = "Initial frequency of the motor PWM channels, 1..100000 Hz.")
        double pwmFrequencyHz() default 20000.0;

        @AttributeDefinition(name = "E-stop pressed", description = "Simulates the e-stop button (active low input estop.in).")
        boolean estopPressed() default false;

        @AttributeDefinition(name = "IMU bus hung", description = "Simulates an I2C bus lock-up: every transfer on i2c.1 blocks until "
                + "this is false again (a sensor stream that stalls).")
        boolean i2cHung() default false;

        @AttributeDefinition(name = "Unsupervised (bench only)", description = "true lets the board move with no safety supervisor "
                + "feeding its motion permit: actuators may leave their safe state before the first feed. For a bench, never a robot. "
                + "When false (the default) the board refuses motion until a supervisor feeds it. Fixed while the board runs.")
        boolean unsupervised() default false;
    }

    /** Battery voltage divider ratio in front of the ADC pin. */
    static final double BATTERY_DIVIDER = 4.0;

    /** The channels while {@link #build} adds them. */
    private final List<Channel> built = new ArrayList<>();
    private BoardServices services;
    private ServiceRegistration<GroundTruthPose> poseRegistration;

    private Logger log;
    private volatile Settings settings;
    private RoverPlant plant;
    private MotionGuard guard;
    private volatile BoardChannels channels;
    private SimChannels.Pwm[] pwm;
    private SimChannels.Output[] direction;
    private SimChannels.Output[] brake;
    private SimChannels.Input[] encoderA;
    private SimChannels.Input[] encoderB;
    private SimChannels.Input estop;
    private SimChannels.Adc battery;
    private SimChannels.I2c i2c;
    private long clockOffsetNanos;
    private volatile Thread stepper;
    private volatile long steps;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    /** For tests outside a framework. */
    public SimBoard() {
    }

    @Activate
    public void activate(Config config, BundleContext context) {
        Settings s = Settings.of(config);
        build(s);
        if (context != null) {
            register(context);
        }
        if (s.realTime()) {
            startStepper();
        }
        announce(log, s.id(), s.unsupervised(), "simulated board '{}' up: {} channels, {} Hz, {}", s.id(), channels.size(), s.stepRateHz(),
                s.realTime() ? "real time" : "stepped time");
    }

    @Modified
    public void modified(Config config) {
        Settings next = Settings.of(config);
        Settings current = settings;
        new FixedSettings().compare("armature.board", current.id(), next.id()).compare("realTime", current.realTime(), next.realTime())
                .compare("realTimePriority", current.realTimePriority(), next.realTimePriority())
                .compare("encoderCountsPerRevolution", current.encoderCountsPerRevolution(), next.encoderCountsPerRevolution())
                .compare("seed", current.seed(), next.seed()).compare("unsupervised", current.unsupervised(), next.unsupervised())
                .refuseChanges();
        synchronized (this) {
            applyLive(next);
            settings = next;
        }
        if (log != null) {
            log.info("simulated board '{}' reconfigured: load {} N·m, step rate {} Hz", next.id(), next.loadTorqueNm(), next.stepRateHz());
        }
    }

    @Deactivate
    public void deactivate() {
        Thread t = stepper;
        stepper = null;
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutDown(guard, services);
        services = null;
        synchronized (this) {
            applyCommands(); // the plant sees the safe outputs: no duty, brakes on
        }
        if (poseRegistration != null) {
            poseRegistration.unregister();
            poseRegistration = null;
        }
    }

    private void build(Settings s) {
        settings = s;
        guard = new MotionGuard(s.id(), s.unsupervised(), (channel, e) -> { }); // writing a field cannot fail
        plant = new RoverPlant(s.seed(), s.encoderCountsPerRevolution());
        String[] side = {"left", "right"};
        pwm = new SimChannels.Pwm[2];
        direction = new SimChannels.Output[2];
        brake = new SimChannels.Output[2];
        encoderA = new SimChannels.Input[2];
        encoderB = new SimChannels.Input[2];
        for (int w = 0; w < 2; w++) {
            pwm[w] = add(new SimChannels.Pwm("motor." + side[w] + ".pwm", side[w] + " wheel motor duty", s.pwmFrequencyHz(), guard));
            direction[w] = add(new SimChannels.Output("motor." + side[w] + ".dir", side[w] + " wheel motor direction, high = reverse", false, guard));
            brake[w] = add(new SimChannels.Output("motor." + side[w] + ".brake", side[w] + " wheel motor brake, high = on", true, guard));
        }
        for (int w = 0; w < 2; w++) {
            encoderA[w] = add(new SimChannels.Input("encoder." + side[w] + ".a", side[w] + " wheel encoder, signal A", false));
            encoderB[w] = add(new SimChannels.Input("encoder." + side[w] + ".b", side[w] + " wheel encoder, signal B", false));
        }
        estop = add(new SimChannels.Input("estop.in", "e-stop button, active low (low = pressed)", true));
        add(new SimChannels.Output("led.status", "status LED", false, guard));
        battery = add(new SimChannels.Adc("battery.sense", "battery voltage through a 1:4 divider", 12, 3300));
        i2c = add(new SimChannels.I2c("i2c.1", plant.imu, guard));
        channels = new BoardChannels(s.id(), "Armature simulated rover", "sim", built);
        built.clear();
        // the plant's step is this board's permit watcher: a lapse is seen at the next step, in stepped time too
        guard.attach(channels.actuators());

        plant.setEncoderSinks(
                (phaseB, level, t) -> (phaseB ? encoderB[0] : encoderA[0]).drive(level, t + clockOffsetNanos),
                (phaseB, level, t) -> (phaseB ? encoderB[1] : encoderA[1]).drive(level, t + clockOffsetNanos));
        clockOffsetNanos = s.realTime() ? System.nanoTime() : 0L;
        applyLive(s);
        battery.setVolts(plant.batteryVolts() / BATTERY_DIVIDER);
    }

    private <T extends Channel> T add(T channel) {
        built.add(channel);
        return channel;
    }

    private void applyLive(Settings s) {
        plant.setLoadTorque(s.loadTorqueNm());
        plant.setImuErrors(s.gyroNoise(), s.gyroBias(), s.accelNoise(), s.accelBias());
        estop.drive(!s.estopPressed(), now());
        i2c.hang(s.i2cHung());
    }

    private void register(BundleContext context) {
        services = BoardServices.registerChannels(context, settings.id(), channels.list());
        // the rover's true pose, for a synthetic camera to render the world from
        poseRegistration = context.registerService(GroundTruthPose.class, this::readPose,
                new java.util.Hashtable<>(Map.of(Board.PROPERTY_BOARD, settings.id())));
    }

    /** Writes x (m), y (m) and heading (rad) of one plant step into {@code pose}. */
    public synchronized void readPose(double[] pose) {
        pose[0] = plant.x();
        pose[1] = plant.y();
        pose[2] = plant.heading();
    }

    private void startStepper() {
        Thread t = new Thread(this::runRealTime, "armature-sim-" + settings.id());
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> {
            toSafeState();
            if (log != null) {
                log.error("simulated board '{}' stopped stepping: {}", settings.id(), e.toString());
            }
        });
        stepper = t;
        t.start();
    }

    private void runRealTime() {
        if (settings.realTimePriority() > 0) {
            RealTimePriority.Result rt = RealTimePriority.applyToCurrentThread(settings.realTimePriority());
            if (!rt.applied() && log != null) {
                log.warn("simulated board '{}': its plant runs without real-time priority, so a busy machine can stall the loops on its locks: {}",
                        settings.id(), rt.message());
            }
        }
        long last = System.nanoTime();
        long next = last;
        while (stepper == Thread.currentThread()) {
            long period = 1_000_000_000L / settings.stepRateHz();
            next += period;
            long now = System.nanoTime();
            if (next - now > 0) {
                LockSupport.parkNanos(next - now);
                now = System.nanoTime();
            } else if (now - next > 50 * period) {
                next = now; // far behind (suspended JVM): step the real elapsed time once, do not burst
            }
            long elapsed = now - last;
            last = now;
            synchronized (this) {
                tick(elapsed);
            }
        }
    }

    /**
     * Advances simulated time by {@code nanos} in stepped mode (realTime = false).
     *
     * @throws IllegalStateException in real-time mode, where the board's own thread owns time
     */
    public synchronized void advance(long nanos) {
        if (settings.realTime()) {
            throw new IllegalStateException("board '" + settings.id() + "' runs in real time; advance() is for stepped time");
        }
        long step = 1_000_000_000L / settings.stepRateHz();
        for (long done = 0; done < nanos; done += step) {
            tick(Math.min(step, nanos - done));
        }
    }

    private void tick(long nanos) {
        guard.checkLapse();
        applyCommands();
        plant.step(nanos);
        battery.setVolts(plant.batteryVolts() / BATTERY_DIVIDER);
        steps++;
    }

    private void applyCommands() {
        for (int w = 0; w < 2; w++) {
            plant.setDuty(w, pwm[w].duty() / (double) PwmOutput.MAX_DUTY);
            plant.setReverse(w, direction[w].get());
            plant.setBrake(w, brake[w].get());
        }
    }

    /** @return the board's clock: nanoTime in real-time mode, simulated nanoseconds in stepped mode */
    public long now() {
        return settings.realTime() ? System.nanoTime() : plant.timeNanos();
    }

    /** @return the plant, for tests and for simulated sensors in this bundle */
    public RoverPlant plant() {
        return plant;
    }

    /** @return plant steps taken since start */
    public long steps() {
        return steps;
    }

    @Override
    protected MotionGuard guard() {
        return guard;
    }

    @Override
    protected BoardChannels boardChannels() {
        return channels;
    }

    /** Ends the permit, drives every actuator safe, and lets the plant see it at once. */
    @Override
    public void revokeMotion() {
        super.revokeMotion();
        synchronized (this) {
            applyCommands();
        }
    }
}
