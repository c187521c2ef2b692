package io.armature.vision.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.control.TunableLoop;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionSample;

/**
 * Drives a differential-drive robot to an ArUco marker: it listens to the marker pipeline, and
 * on its own thread turns the marker's bearing and range into wheel-speed setpoints for the two
 * wheel loops (forward speed from the range left to the stop distance, turn rate from the
 * bearing). It stops the wheels when it arrives, when told to, when it is deactivated, and when
 * the marker has not been seen for a while and a search turn in place finds nothing.
 */
@Component(service = MarkerFollower.class, immediate = true, configurationPid = MarkerFollower.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = MarkerFollower.Config.class)
public final class MarkerFollower {

    public static final String PID = "armature.vision.follow";

    @ObjectClassDefinition(name = "Armature marker follower", description = "Drives to an ArUco marker on the wheel-speed loops.")
    public @interface Config {
        @AttributeDefinition(name = "Pipeline", description = "Name of the ArUco pipeline to listen to.")
        String pipeline() default "markers";

        @AttributeDefinition(name = "Left loop", description = "Name of the left wheel-speed loop (setpoint in rad/s).")
        String leftLoop() default "left";

        @AttributeDefinition(name = "Right loop", description = "Name of the right wheel-speed loop (setpoint in rad/s).")
        String rightLoop() default "right";

        @AttributeDefinition(name = "Wheel radius (m)", description = "0.005..1 m.")
        double wheelRadiusM() default 0.04;

        @AttributeDefinition(name = "Track width (m)", description = "Distance between the wheels, 0.02..5 m.")
        double trackWidthM() default 0.20;

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
    }

    /** Validated settings. */
    record Settings(String pipeline, String leftLoop, String rightLoop, double wheelRadius, double trackWidth, double stopDistance,
            double maxSpeed, double speedGain, double turnGain, double searchTurn, long lostAfterNanos, long searchNanos) {

        static Settings of(Config c) {
            return new Settings(Names.require("pipeline", c.pipeline()), Names.require("leftLoop", c.leftLoop()),
                    Names.require("rightLoop", c.rightLoop()), Names.range("wheelRadiusM", c.wheelRadiusM(), 0.005, 1),
                    Names.range("trackWidthM", c.trackWidthM(), 0.02, 5), Names.range("stopDistanceM", c.stopDistanceM(), 0.05, 10),
                    Names.range("maxSpeedMps", c.maxSpeedMps(), 0.01, 5), Names.range("speedGain", c.speedGain(), 0.01, 20),
                    Names.range("turnGain", c.turnGain(), 0.01, 20), Names.range("searchTurnRadPerSec", c.searchTurnRadPerSec(), 0, 3),
                    TimeUnit.MILLISECONDS.toNanos(Names.range("lostAfterMillis", c.lostAfterMillis(), 100, 10_000)),
                    TimeUnit.SECONDS.toNanos(Names.range("searchSeconds", c.searchSeconds(), 1, 120)));
        }
    }

    /** What the follower is doing. */
    enum State { IDLE, SEARCHING, FOLLOWING, ARRIVED, LOST }

    private static final long PERIOD_NANOS = 50_000_000L; // 20 Hz: the camera's rate or faster

    private final Map<String, TunableLoop> loops = new ConcurrentHashMap<>();
    private volatile Settings settings;
    private volatile Logger log;
    private ServiceRegistration<VisionListener> listener;
    private volatile Thread thread;

    // the newest sighting of the target, written by the pipeline thread
    private final VisionSample sighting = new VisionSample();
    private final VisionSample seen = new VisionSample();
    private volatile int target = -1;
    private volatile State state = State.IDLE;
    private volatile String detail = "";
    private long searchStarted;
    private double lastBearing;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop) {
        loops.put(loop.name(), loop);
    }

    void removeLoop(TunableLoop loop) {
        loops.remove(loop.name(), loop);
    }

    @Activate
    void activate(Config c, BundleContext context) {
        settings = Settings.of(c);
        register(context);
        Thread t = new Thread(this::run, "armature-vision-follow");
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> {
            halt(State.IDLE, "stopped: " + e);
            if (log != null) {
                log.error("marker follower stopped: {}", e.toString());
            }
        });
        thread = t;
        t.start();
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
        Thread t = thread;
        thread = null;
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
        if (!loops.containsKey(s.leftLoop()) || !loops.containsKey(s.rightLoop())) {
            throw new IllegalArgumentException("the wheel loops '" + s.leftLoop() + "' and '" + s.rightLoop() + "' are not both running");
        }
        synchronized (sighting) {
            sighting.set(0, 0, 0, false, -1, Double.NaN, Double.NaN, 0);
        }
        target = id;
        searchStarted = System.nanoTime();
        detail = "looking for marker " + id;
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
        return state.name().toLowerCase() + (target >= 0 ? " (marker " + target + ")" : "") + (detail.isEmpty() ? "" : ": " + detail);
    }

    private void halt(State next, String why) {
        state = next;
        detail = why;
        setWheels(0, 0);
    }

    private void run() {
        long next = System.nanoTime();
        while (thread == Thread.currentThread()) {
            next += PERIOD_NANOS;
            LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
            State s = state;
            if (s == State.SEARCHING || s == State.FOLLOWING) {
                step(System.nanoTime());
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
            detail = String.format("%.2f m, bearing %.1f°", range, Math.toDegrees(bearing));
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
        detail = "turning to look for marker " + target;
        setWheels(0, Math.copySign(s.searchTurn(), lastBearing == 0 ? 1 : lastBearing));
    }

    /** Sets the wheel loops' setpoints for forward speed {@code v} (m/s) and turn rate {@code w} (rad/s, counter-clockwise). */
    private void setWheels(double v, double w) {
        Settings s = settings;
        if (s == null) {
            return;
        }
        double left = (v - w * s.trackWidth() / 2) / s.wheelRadius();
        double right = (v + w * s.trackWidth() / 2) / s.wheelRadius();
        set(s.leftLoop(), left);
        set(s.rightLoop(), right);
    }

    private void set(String loop, double radPerSec) {
        TunableLoop l = loops.get(loop);
        if (l == null) {
            return;
        }
        try {
            l.setSetpoint(radPerSec);
        } catch (IllegalArgumentException e) {
            // beyond the loop's limit: drive at the limit's edge is not ours to guess; stop instead
            l.setSetpoint(0);
            halt(State.IDLE, "refused by loop '" + loop + "': " + e.getMessage());
        }
    }
}
