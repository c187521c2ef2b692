package io.armature.vision.internal;

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
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.PidGains;
import io.armature.kit.service.NamedServices;
import io.armature.motion.MotionCommands;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionPipeline;
import io.armature.vision.VisionSample;

/**
 * Drives a differential-drive robot to an ArUco marker, or along a line on the floor, on the two
 * wheel-speed loops, from its own 20 Hz thread.
 * <ul>
 * <li>Marker: it listens to the marker pipeline and turns the marker's bearing and range into
 * wheel-speed setpoints (forward speed from the range left to the stop distance, turn rate from the
 * bearing). It stops when it arrives, and when the marker has not been seen for a while and a
 * search turn in place finds nothing.</li>
 * <li>Line: a feedback loop whose measurement is the line pipeline's heading error, read every
 * period through {@link VisionPipeline#readLatest} (no lock, no allocation), and whose controller
 * is the runtime's PID ({@link ControllerFactory} {@code pid}): its output, -1..1, is the turn
 * rate as a share of the largest, while the robot drives at the line speed. It stops where the
 * line is no longer seen (its end).</li>
 * </ul>
 * It stops the wheels when told to and when it is deactivated.
 */
@Component(service = Follower.class, immediate = true, configurationPid = Follower.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Follower.Config.class)
public final class Follower {

    public static final String PID = "armature.vision.follow";

    @ObjectClassDefinition(name = "Armature follower", description = "Drives to an ArUco marker, or along a line, on the wheel-speed loops.")
    public @interface Config {
        @AttributeDefinition(name = "Pipeline", description = "Name of the ArUco pipeline to listen to.")
        String pipeline() default "markers";

        @AttributeDefinition(name = "Stop distance (m)", description = "Range to the marker at which the robot stops, 0.05..10 m.")
        double stopDistanceM() default 0.40;

        @AttributeDefinition(name = "Top speed (m/s)", description = "Forward speed limit, 0.01..5 m/s.")
        double maxSpeedMps() default 0.30;

        @AttributeDefinition(name = "Speed gain (1/s)", description = "Forward speed per metre of range left, 0.01..20 1/s.")
        double speedGain() default 0.8;

        @AttributeDefinition(name = "Turn gain (1/s)", description = "Turn rate per radian of bearing, 0.01..20 1/s.")
        double turnGain() default 2.0;

        @AttributeDefinition(name = "Search turn (rad/s)", description = "Turn rate in place while the marker is out of sight, 0..3 rad/s; 0 to stop instead.")
        double searchTurnRadPerSec() default 0.6;

        @AttributeDefinition(name = "Lost after (ms)", description = "No sighting for this long starts the search, 100..10000 ms.")
        int lostAfterMillis() default 600;

        @AttributeDefinition(name = "Search for (s)", description = "A search that finds nothing for this long stops the robot, 1..120 s.")
        int searchSeconds() default 20;

        @AttributeDefinition(name = "Line pipeline", description = "Name of the line pipeline whose heading error robot:follow line steers by.")
        String linePipeline() default "line";

        @AttributeDefinition(name = "Line speed (m/s)", description = "Forward speed along the line, 0.01..2 m/s.")
        double lineSpeedMps() default 0.15;

        @AttributeDefinition(name = "Line turn limit (rad/s)", description = "Turn rate at the PID's full output, 0.1..5 rad/s.")
        double lineMaxTurnRadPerSec() default 1.5;

        @AttributeDefinition(name = "Line kp", description = "PID gains on the heading error (rad) to a share -1..1 of the turn limit; each at least 0.")
        double lineKp() default 1.2;

        @AttributeDefinition(name = "Line ki")
        double lineKi() default 0.0;

        @AttributeDefinition(name = "Line kd")
        double lineKd() default 0.05;
    }

    /** Validated settings. */
    record Settings(String pipeline, double stopDistance,
            double maxSpeed, double speedGain, double turnGain, double searchTurn, long lostAfterNanos, long searchNanos,
            String linePipeline, double lineSpeed, double lineMaxTurn, PidGains lineGains) {

        static Settings of(Config c) {
            return new Settings(Names.require("pipeline", c.pipeline()), Names.range("stopDistanceM", c.stopDistanceM(), 0.05, 10),
                    Names.range("maxSpeedMps", c.maxSpeedMps(), 0.01, 5), Names.range("speedGain", c.speedGain(), 0.01, 20),
                    Names.range("turnGain", c.turnGain(), 0.01, 20), Names.range("searchTurnRadPerSec", c.searchTurnRadPerSec(), 0, 3),
                    TimeUnit.MILLISECONDS.toNanos(Names.range("lostAfterMillis", c.lostAfterMillis(), 100, 10_000)),
                    TimeUnit.SECONDS.toNanos(Names.range("searchSeconds", c.searchSeconds(), 1, 120)),
                    Names.require("linePipeline", c.linePipeline()), Names.range("lineSpeedMps", c.lineSpeedMps(), 0.01, 2),
                    Names.range("lineMaxTurnRadPerSec", c.lineMaxTurnRadPerSec(), 0.1, 5),
                    PidGains.of(Names.range("lineKp", c.lineKp(), 0, 100), Names.range("lineKi", c.lineKi(), 0, 100),
                            Names.range("lineKd", c.lineKd(), 0, 100)));
        }
    }

    /** What the follower is doing. */
    enum State { IDLE, SEARCHING, FOLLOWING, ARRIVED, LOST }

    /** What it follows. */
    enum Mode { MARKER, LINE }

    private static final long PERIOD_NANOS = 50_000_000L; // 20 Hz: the camera's rate or faster

    private final NamedServices<VisionPipeline> pipelines = NamedServices.byName(VisionPipeline::name);
    private volatile ControllerFactory pidFactory;
    private volatile Settings settings;
    private volatile Logger log;
    private ServiceRegistration<VisionListener> listener;
    private final WorkerThread worker = new WorkerThread(2000);

    // the newest sighting of the target, written by the pipeline thread
    private final VisionSample sighting = new VisionSample();
    private final VisionSample seen = new VisionSample();
    private volatile int target = -1;
    private volatile Mode mode = Mode.MARKER;
    // line mode, touched by the follower's thread only once started
    private final VisionSample line = new VisionSample();
    private Controller lineController;
    private long lastLineStep;
    private volatile State state = State.IDLE;
    private volatile String detail = "";
    private volatile String searching = "";
    /** While following, what the last period saw and did: written each period, put in words only by {@link #status()}. */
    private volatile double followA;
    private volatile double followB;
    private long searchStarted;
    private double lastBearing;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    /** The motion-command path: the follower drives as the source {@value #SOURCE}, with that source's lease. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setCommands(MotionCommands c) {
        commands = c;
    }

    void unsetCommands(MotionCommands c) {
        if (commands == c) {
            commands = null;
        }
    }

    /** The follower's source name in {@code armature.motion}. */
    static final String SOURCE = "follower";
    private volatile MotionCommands commands;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPipeline(VisionPipeline pipeline) {
        pipelines.add(pipeline);
    }

    void removePipeline(VisionPipeline pipeline) {
        pipelines.remove(pipeline);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            target = "(" + ControllerFactory.PROPERTY_NAME + "=pid)")
    void setPidFactory(ControllerFactory factory) {
        pidFactory = factory;
    }

    void unsetPidFactory(ControllerFactory factory) {
        if (pidFactory == factory) {
            pidFactory = null;
        }
    }

    @Activate
    void activate(Config c, BundleContext context) {
        settings = Settings.of(c);
        register(context);
        worker.start("armature-vision-follow", this::run, e -> {
            halt(State.IDLE, "stopped: " + e);
            if (log != null) {
                log.error("follower stopped: {}", e.toString());
            }
        });
    }

    @Modified
    void modified(Config c, BundleContext context) {
        Settings next = Settings.of(c);
        boolean newPipeline = !next.pipeline().equals(settings.pipeline());
        settings = next;
        if (newPipeline) {
            listener.unregister();
            register(context);
        }
    }

    private void register(BundleContext context) {
        if (context != null) {
            java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
            props.put(VisionListener.PROPERTY_PIPELINE, settings.pipeline());
            listener = context.registerService(VisionListener.class, this::onResult, props);
        }
    }

    @Deactivate
    void deactivate() {
        if (listener != null) {
            listener.unregister();
        }
        worker.stop();
        halt(State.IDLE, "");
    }

    /** Pipeline thread: keeps the newest good sighting of the target. Bad numbers are not a sighting. */
    void onResult(VisionSample r) {
        if (r.found() && r.targetId() == target && Double.isFinite(r.value()) && Double.isFinite(r.distanceMeters())) {
            synchronized (sighting) {
                sighting.copyFrom(r);
            }
        }
    }

    /**
     * Starts driving to marker {@code id}.
     *
     * @throws IllegalArgumentException for a negative id, or when the wheel loops are not there
     */
    public void follow(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("marker id must be 0 or more, was " + id);
        }
        Settings s = settings;
        if (commands == null) {
            throw new IllegalArgumentException("no motion-command service is running (bundle armature.motion): the follower cannot drive");
        }
        synchronized (sighting) {
            sighting.set(0, 0, 0, false, -1, Double.NaN, Double.NaN, 0);
        }
        target = id;
        mode = Mode.MARKER;
        searchStarted = System.nanoTime();
        detail = "looking for marker " + id;
        searching = "turning to look for marker " + id;
        state = State.SEARCHING;
    }

    /**
     * Starts driving along the line the line pipeline sees.
     *
     * @throws IllegalArgumentException when the wheel loops, the line pipeline or the PID are not there
     */
    public void followLine() {
        Settings s = settings;
        if (commands == null) {
            throw new IllegalArgumentException("no motion-command service is running (bundle armature.motion): the follower cannot drive");
        }
        VisionPipeline p = pipelines.get(s.linePipeline());
        if (p == null || !VisionPipeline.KIND_LINE.equals(p.kind())) {
            throw new IllegalArgumentException("no line pipeline '" + s.linePipeline() + "' is running");
        }
        ControllerFactory f = pidFactory;
        if (f == null) {
            throw new IllegalArgumentException("no PID controller is installed (bundle armature.control)");
        }
        halt(State.IDLE, ""); // the thread sees the new controller only with the new state
        lineController = f.create(s.lineGains());
        lineController.reset(Double.NaN);
        lastLineStep = System.nanoTime();
        target = -1;
        mode = Mode.LINE;
        searchStarted = lastLineStep;
        detail = "looking for the line";
        state = State.SEARCHING;
    }

    /** Stops following and stops the wheels. */
    public void stop() {
        halt(State.IDLE, "stopped by the operator");
    }

    State state() {
        return state;
    }

    /** @return one line: what the follower does, and the last sighting */
    public String status() {
        String what = mode == Mode.LINE ? " (line)" : target >= 0 ? " (marker " + target + ")" : "";
        String d = detail;
        if (state == State.FOLLOWING) {
            d = mode == Mode.LINE
                    ? String.format(java.util.Locale.ROOT, "heading error %.1f°, turning %.2f rad/s", Math.toDegrees(followA), followB)
                    : String.format(java.util.Locale.ROOT, "%.2f m, bearing %.1f°", followA, Math.toDegrees(followB));
        }
        return state.name().toLowerCase() + what + (d.isEmpty() ? "" : ": " + d);
    }

    private void halt(State next, String why) {
        state = next;
        detail = why;
        setWheels(0, 0);
    }

    private void run() {
        long next = System.nanoTime();
        while (worker.isCurrent()) {
            next += PERIOD_NANOS;
            LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            State s = state;
            if (s == State.SEARCHING || s == State.FOLLOWING) {
                if (mode == Mode.LINE) {
                    stepLine(System.nanoTime());
                } else {
                    step(System.nanoTime());
                }
            }
        }
    }

    private void step(long now) {
        Settings s = settings;
        synchronized (sighting) {
            seen.copyFrom(sighting);
        }
        boolean fresh = seen.found() && now - seen.frameTimestampNanos() < s.lostAfterNanos();
        if (fresh) {
            double range = seen.distanceMeters();
            double bearing = seen.value();
            lastBearing = bearing;
            if (range <= s.stopDistance()) {
                halt(State.ARRIVED, String.format("at %.2f m, bearing %.1f°", range, Math.toDegrees(bearing)));
                return;
            }
            double v = Math.min(s.maxSpeed(), s.speedGain() * (range - s.stopDistance())) * Math.max(0, Math.cos(bearing));
            double w = s.turnGain() * bearing;
            state = State.FOLLOWING;
            searchStarted = now;
            followA = range;
            followB = bearing;
            setWheels(v, w);
            return;
        }
        if (state == State.FOLLOWING) {
            state = State.SEARCHING; // lost sight of it
            searchStarted = now;
        }
        if (now - searchStarted > s.searchNanos() || s.searchTurn() == 0) {
            halt(State.LOST, "marker " + target + " not in sight");
            return;
        }
        detail = searching; // made once per follow, not per period
        setWheels(0, Math.copySign(s.searchTurn(), lastBearing == 0 ? 1 : lastBearing));
    }

    /**
     * One period along the line: the heading error (rad, positive when the line is to the left) is
     * the robot's heading off the line with its sign turned, which the PID drives to 0.
     */
    private void stepLine(long now) {
        Settings s = settings;
        VisionPipeline p = pipelines.get(s.linePipeline());
        double dt = Math.max(1e-3, (now - lastLineStep) / 1e9);
        lastLineStep = now;
        boolean fresh = p != null && p.readLatest(line) && line.found() && Double.isFinite(line.value())
                && now - line.frameTimestampNanos() < s.lostAfterNanos();
        if (!fresh) {
            if (state == State.FOLLOWING || now - searchStarted > s.lostAfterNanos()) {
                halt(State.LOST, state == State.FOLLOWING ? "the line ended or went out of sight" : "no line in sight");
            }
            return;
        }
        double error = line.value();
        double share = lineController.calculate(0, -error, dt);
        double v = s.lineSpeed() * Math.max(0.3, Math.cos(error));
        state = State.FOLLOWING;
        followA = error;
        followB = share * s.lineMaxTurn();
        setWheels(v, share * s.lineMaxTurn());
    }

    /**
     * Commands forward speed {@code v} (m/s) and turn rate {@code w} (rad/s, counter-clockwise)
     * through the motion-command path, which owns the kinematics; 0 and 0 withdraws the
     * follower's command. A refused command (tripped, beyond a wheel's limit, a source of higher
     * priority) stops the follower: driving at the limit's edge is not ours to guess.
     */
    private void setWheels(double v, double w) {
        MotionCommands c = commands;
        if (c == null) {
            state = State.IDLE;
            detail = "no motion-command service is running";
            return;
        }
        if (v == 0 && w == 0) {
            c.release(SOURCE);
            return;
        }
        try {
            if (!c.twist(SOURCE, v, w)) {
                c.release(SOURCE);
                state = State.IDLE;
                detail = "a source of higher priority commands the wheels";
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            c.release(SOURCE);
            state = State.IDLE;
            detail = "refused: " + e.getMessage();
        }
    }
}
