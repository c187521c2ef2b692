package io.armature.safety.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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

import io.armature.control.ControlLoop;
import io.armature.hal.Board;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.service.DataDirectory;
import io.armature.kit.service.NamedServices;
import io.armature.safety.Heartbeat;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.sensor.SampleStream;
import io.armature.kit.service.Threads;

/**
 * The safety supervisor. Its own thread evaluates, every cycle, the {@link Conditions}: the
 * e-stop input, the heartbeats, the required boards and loops, the watched streams; while all is
 * well it feeds every board's motion permit (and the {@link HardwareWatchdog}). Any fault trips
 * it: every board's permit is revoked at once, so every actuator goes to its safe state, and it
 * stays tripped (latched, across restarts too: {@link LatchedTripFile}) until an explicit reset
 * finds every condition healthy again.
 */
@Component(service = SafetySupervisor.class, immediate = true, configurationPid = Supervisor.PID)
@Designate(ocd = Supervisor.Config.class)
public final class Supervisor implements SafetySupervisor {

    public static final String PID = "armature.safety";

    @ObjectClassDefinition(name = "Armature safety supervisor", description = "Who may move, and what stops everything.")
    public @interface Config {
        @AttributeDefinition(name = "Cycle (µs)", description = "How often the supervisor checks and feeds, 100..100000 µs.")
        int cycleMicros() default 1000;

        @AttributeDefinition(name = "Real-time priority", description = "SCHED_FIFO priority of the supervisor's thread, 1..99; 0 for none (from the next start). "
                + "Above the loop engine's (80): a loop that overruns cannot delay the feed or the judgement of its own heartbeat, "
                + "and a busy machine cannot starve the permits into lapsing.")
        int realTimePriority() default 81;

        @AttributeDefinition(name = "Permit (ms)", description = "How long one feed of a board's motion permit lasts, 1..1000 ms. "
                + "If the supervisor stops feeding, the boards go safe after this.")
        int permitMillis() default 50;

        @AttributeDefinition(name = "Required boards", description = "Board ids that must be present; one going away trips the supervisor.")
        String[] requiredBoards() default {"sim"};

        @AttributeDefinition(name = "Required loops", description = "Control loop names that must be running; one going away trips the supervisor.")
        String[] requiredLoops() default {};

        @AttributeDefinition(name = "Start-up grace (ms)", description = "At start, required boards and loops may take this long to appear "
                + "before their absence trips; until all are there the permits are not fed (the robot cannot be moving yet). 0..600000 ms.")
        int startupGraceMillis() default 10_000;

        @AttributeDefinition(name = "Watched streams", description = "Sensor stream names that must keep delivering valid samples.")
        String[] watchedStreams() default {};

        @AttributeDefinition(name = "Stream stall (ms)", description = "A watched stream with no new sample for this long trips the supervisor, 5..60000 ms.")
        int streamStallMillis() default 100;

        @AttributeDefinition(name = "Invalid samples per second", description = "More invalid samples than this in one second from a watched stream trips the supervisor, 0..100000.")
        int maxInvalidPerSecond() default 50;

        @AttributeDefinition(name = "E-stop input", description = "board/channel of the active-low e-stop input; empty for none.")
        String estopInput() default "sim/estop.in";

        @AttributeDefinition(name = "E-stop debounce (ms)", description = "The input must read low this long to count as pressed, 0..500 ms.")
        int estopDebounceMillis() default 5;

        @AttributeDefinition(name = "Watchdog device", description = "Hardware watchdog device, for example /dev/watchdog; empty for none.")
        String watchdogDevice() default "";

        @AttributeDefinition(name = "Watchdog feed (ms)", description = "How often the watchdog is fed while all is healthy, 10..60000 ms.")
        int watchdogFeedMillis() default 1000;

        @AttributeDefinition(name = "Watchdog timeout (s)", description = "Timeout to set on the watchdog device, 1..3600 s, at least twice "
                + "the feed interval; 0 leaves the driver's own. Setting it needs JNA in the feature.")
        int watchdogTimeoutSeconds() default 0;
    }

    /** The file in the data directory that holds a latched trip across restarts. */
    static final String LATCH_FILE = LatchedTripFile.NAME;

    private final Logger log;
    private final BundleContext context;
    private final Boards boards = new Boards();
    private final NamedServices<ServiceReference<ControlLoop>> loops = NamedServices.byProperty(ControlLoop.PROPERTY_NAME);
    private final WatchedStreams streams = new WatchedStreams();
    private final ConfigCheck configCheck = new ConfigCheck();
    private final ReturningLoops returning = new ReturningLoops(this::loopNewSince);
    private final Map<ServiceReference<ControlLoop>, Bundle> providers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Conditions conditions = new Conditions(configCheck, boards, this::loopRunning, streams, returning);
    private final LatchedTripFile latchFile;
    private final HardwareWatchdog watchdog;
    private final Thread thread;
    private volatile Settings settings;
    // true once a configuration of the robot's own was accepted; false while running on the defaults
    private volatile boolean configuredOnce = true;

    private volatile TripReason trip;
    private volatile long trips;
    private volatile boolean running = true;
    // the trip as last logged and written to the latch file, by the supervisor's own thread
    private TripReason recorded;

    @Activate
    public Supervisor(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log, Map<String, Object> properties) {
        this(config, context, log, true, DataDirectory.of(context));
        // Without a configuration of its own the supervisor runs on its defaults until the robot's
        // arrives (FileInstall delivers it just after start): that one is its first real one.
        configuredOnce = !configCheck.refused() && properties.containsKey(Constants.SERVICE_PID);
    }

    /**
     * @param ownThread false in unit tests, which call {@link #check(long)} themselves
     * @param dataDir   where a latched trip is kept across restarts
     */
    Supervisor(Config config, BundleContext context, Logger log, boolean ownThread, Path dataDir) {
        this.log = log;
        this.context = context;
        this.latchFile = new LatchedTripFile(dataDir, log);
        TripReason latched = latchFile.read();
        if (latched != null) {
            trip(latched.source(), latched.message());
            recorded = trip; // it is on disk already
            log.error("SAFETY TRIP ({}): {}; motors are safe until robot:reset", latched.source(), latched.message());
        }
        Settings s;
        try {
            s = Settings.of(config);
        } catch (IllegalArgumentException e) {
            // No supervisor at all would leave the boards to their permits and the web without an
            // e-stop: run tripped on the defaults instead, until a good configuration and a reset.
            s = Settings.fallback(config);
            log.error("armature.safety configuration refused: {}; the supervisor runs tripped on its defaults until a good configuration and a reset",
                    e.getMessage());
            refuse(e.getMessage());
        }
        this.settings = s;
        conditions.configure(s, System.nanoTime());
        watchdog = new HardwareWatchdog(s, log, this::trip);
        thread = new Thread(this::run, "armature-safety");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.setUncaughtExceptionHandler((t, e) -> log.error("safety supervisor thread died: {}; boards go safe when their permits lapse", e.toString()));
        if (ownThread) {
            thread.start();
        }
    }

    /** Puts the supervisor's own thread at a real-time priority, and says how it went. */
    private void realTime(int priority) {
        RealTimePriority.Result rt = RealTimePriority.applyToCurrentThread(priority);
        if (rt.applied()) {
            log.info("safety supervisor runs under {}", rt.message());
        } else {
            log.warn("safety supervisor runs without real-time priority, so a busy machine can delay its feed until the permits lapse: {}",
                    rt.message());
        }
    }

    private void refuse(String reason) {
        CheckResult refused = configCheck.refuse(reason);
        trip(refused.source(), refused.tripMessage());
    }

    /**
     * A configuration change: applied whole at the next cycle, or refused with one line, and
     * then the configuration in force stays. Either way a trip stays latched: only a reset ends
     * it.
     */
    @Modified
    void modified(Config config) {
        Settings next;
        try {
            next = Settings.of(config);
        } catch (IllegalArgumentException e) {
            if (!configuredOnce) {
                // the robot's first configuration is bad: its defaults watch nothing of this robot
                log.error("armature.safety configuration refused: {}; the supervisor runs tripped until a good configuration and a reset",
                        e.getMessage());
                refuse(e.getMessage());
                return;
            }
            log.error("armature.safety configuration refused, the one in force stays: {}", e.getMessage());
            return;
        }
        configuredOnce = true;
        if (next.otherWatchdogThan(settings)) {
            watchdog.reconfigure(next);
        }
        conditions.configure(next, System.nanoTime());
        settings = next;
        if (configCheck.accept()) {
            log.info("armature.safety configuration accepted; the trip stays latched until a reset");
        }
    }

    /**
     * Logs a new trip and writes it to the data directory, on the supervisor's thread (never on
     * the thread that tripped, which may be a loop's); removes the record after a reset.
     */
    private void record() {
        TripReason t = trip;
        if (t == recorded) {
            return;
        }
        if (t != null) {
            log.error("SAFETY TRIP ({}): {}; motors are safe until robot:reset", t.source(), t.message());
            latchFile.write(t);
        } else {
            latchFile.remove();
        }
        recorded = t;
    }

    /**
     * Reads the same tracker as {@link #loopNewSince}: a second copy of the names, updated just
     * after it, let the cycle see a loop back (its away entry forgotten) and not yet running (a
     * required loop missing), and trip "required loop is not running" in the middle of a refresh.
     * Allocates nothing.
     */
    private boolean loopRunning(String name) {
        return !loops.all(name).isEmpty();
    }

    /** @return true when a loop of this name runs that is not the {@code gone} service: one came since */
    private boolean loopNewSince(String name, long gone) {
        for (ServiceReference<ControlLoop> loop : loops.all(name)) {
            if (!(loop.getProperty(Constants.SERVICE_ID) instanceof Long id && id == gone)) {
                return true;
            }
        }
        return false;
    }

    private void run() {
        long next = System.nanoTime();
        int priority = 0;
        boolean lookedAgain = false;
        while (running) {
            if (settings.realTimePriority() != priority && settings.realTimePriority() > 0) {
                priority = settings.realTimePriority();
                realTime(priority); // 0 leaves it as it is until the supervisor starts again
            }
            long cycleNanos = settings.cycleNanos();
            next += cycleNanos;
            long now = System.nanoTime();
            if (next - now > 0) {
                LockSupport.parkNanos(next - now);
            } else if (now - next > 10 * cycleNanos) {
                // Stalled itself (the JVM or the machine did not run it): no burst, and no judgement
                // yet. It runs above the loops and samplers, so judging now would blame them for the
                // same stall before they had a chance to run: it looks again one cycle later (once:
                // a supervisor that is late every cycle still judges every other one).
                next = now;
                if (!lookedAgain) {
                    lookedAgain = true;
                    continue;
                }
            }
            lookedAgain = false;
            check(System.nanoTime());
        }
    }

    /**
     * One supervision cycle: every check keeps its history; then, unless a trip is latched, the
     * first failing check trips, and while nothing is missing the permits are fed.
     */
    void check(long now) {
        Settings cfg = settings;
        boolean tripped = trip != null;
        conditions.observe(now, tripped);
        if (tripped) {
            record();
            return; // latched: nothing to feed until an explicit reset
        }
        CheckResult failed = conditions.firstFailure(now);
        if (failed != null) {
            trip(failed.source(), failed.tripMessage());
        }
        if (conditions.feeds()) {
            feed(cfg, now); // not while starting (the robot cannot be moving yet), nor while loops are away with their bundle
        }
        record();
    }

    /**
     * Feeds every board's permit, under the lock {@link #trip} takes: a feed can never take
     * effect after a trip's revoke.
     */
    private void feed(Settings cfg, long now) {
        synchronized (this) {
            if (trip != null) {
                return;
            }
            long expiry = now + cfg.permitNanos();
            for (Board b : boards.toFeed()) {
                b.permitMotion(expiry);
            }
        }
        watchdog.feed(cfg, now);
    }

    /**
     * Trips (if not tripped already): every board goes safe now. The first reason is kept. The
     * supervisor's own thread logs it and writes it down within a cycle, so that a loop thread
     * that reports a fault does no I/O.
     */
    synchronized void trip(String source, String message) {
        if (trip == null) {
            trip = new TripReason(source, message, System.nanoTime()); // loops see it and stop driving
            trips++; // after the trip is visible: see SafetySupervisor.trips
        }
        for (Board b : boards.toRevoke()) {
            b.revokeMotion();
        }
    }

    @Override
    public SafetyState state() {
        return trip == null ? SafetyState.OK : SafetyState.TRIPPED;
    }

    @Override
    public boolean mayMove() {
        return trip == null;
    }

    @Override
    public long trips() {
        return trips;
    }

    @Override
    public Optional<TripReason> tripReason() {
        return Optional.ofNullable(trip);
    }

    @Override
    public Heartbeat heartbeat(String name, long timeoutNanos) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a heartbeat needs a name");
        }
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("heartbeat timeout must be above 0 ns, was " + timeoutNanos);
        }
        HeartbeatCheck b = new HeartbeatCheck(name, timeoutNanos, conditions::remove);
        conditions.add(b);
        return b;
    }

    @Override
    public void fault(String source, String reason) {
        trip(source, reason);
    }

    @Override
    public void estop(String source, String reason) {
        trip("estop:" + source, reason == null || reason.isBlank() ? "e-stop" : reason);
    }

    @Override
    public synchronized void reset(String source) {
        if (trip == null) {
            return;
        }
        List<String> unhealthy = unhealthy(System.nanoTime());
        if (!unhealthy.isEmpty()) {
            throw new IllegalStateException("cannot reset: " + String.join("; ", unhealthy) + " (still tripped: " + trip.message() + ")");
        }
        log.info("safety reset by {} after: {}; nothing moves until a new command", source, trip.message());
        trip = null;
        if (!thread.isAlive()) {
            record(); // without the supervisor's own thread (unit tests), the record goes now
        }
    }

    @Override
    public List<String> unhealthy() {
        return unhealthy(System.nanoTime());
    }

    /** @return every condition that is not healthy now, in words, in the order of the checks */
    List<String> unhealthy(long now) {
        return conditions.unhealthy(now);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board board) {
        boards.add(board);
        if (trip != null) {
            board.revokeMotion(); // a board that arrives during a trip starts safe
        }
    }

    void removeBoard(Board board) {
        String id = boards.remove(board);
        if (id != null && contains(settings.requiredBoards(), id) && !boards.present(id) && running) {
            trip("board:" + id, "required board '" + id + "' went away");
        }
    }

    /** Streams come and go under their names: see {@link WatchedStreams}. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = SampleStream.class)
    void addStream(SampleStream<?> stream, Map<String, Object> properties) {
        streams.add(stream, properties);
    }

    void removeStream(SampleStream<?> stream) {
        streams.remove(stream);
    }

    /** Only the reference: the supervisor needs to know a loop is there, not to call it. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = ControlLoop.class)
    void addLoop(ServiceReference<ControlLoop> loop) {
        Bundle provider = loop.getBundle();
        if (provider != null) {
            providers.put(loop, provider); // a reference no longer names its bundle once it is unregistered
        }
        synchronized (loops) {
            loops.add(loop, String.valueOf(loop.getProperty(ControlLoop.PROPERTY_NAME)));
        }
    }

    /**
     * A loop goes. Unless another instance of it drives on (a side-by-side update): when its
     * bundle is not active (stopping for an in-place update, a refresh, an operator's Stop) it is away, and
     * awaited for its heartbeat timeout with nothing fed meanwhile ({@link ReturningLoops}); a
     * required loop that goes any other way trips at once.
     */
    void removeLoop(ServiceReference<ControlLoop> loop) {
        Bundle provider = providers.remove(loop);
        Object id = loop.getProperty(Constants.SERVICE_ID);
        String name;
        boolean successor;
        synchronized (loops) {
            name = loops.nameOf(loop);
            successor = name != null && loops.all(name).stream().anyMatch(other -> !other.equals(loop));
        }
        boolean away = false;
        // its bundle not active: stopping, or stopped in the middle of an update or a refresh
        if (name != null && !successor && running && provider != null && provider.getState() != Bundle.ACTIVE && id instanceof Long serviceId) {
            // awaited before it leaves the running set: the cycle must never see it gone and not awaited
            long timeout = conditions.heartbeatTimeout("loop:" + name);
            returning.away(provider.getSymbolicName(), name, serviceId, timeout, System.nanoTime());
            log.info("loop '{}' is away with its bundle {}; awaited for {} ms, with no permit fed meanwhile", name, provider.getSymbolicName(),
                    timeout / 1_000_000);
            away = true;
        }
        synchronized (loops) {
            loops.remove(loop);
        }
        if (name != null && !away && running && !loopRunning(name) && contains(settings.requiredLoops(), name)) {
            trip("loop:" + name, "required loop '" + name + "' went away");
        }
    }

    private static boolean contains(String[] names, String name) {
        for (String n : names) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Deactivate
    void deactivate() {
        running = false;
        Threads.wakeAndJoin(thread, 2_000);
        // No revoke here: the permits lapse by themselves within permitMillis. That way a
        // supervisor that is merely updated hands over without stopping the robot, and one
        // that is stopped still leaves the motors safe. A latched trip is written down, so the
        // next supervisor starts tripped.
        record();
        watchdog.close(frameworkStopping());
    }

    private boolean frameworkStopping() {
        try {
            return context.getBundle(0).getState() == Bundle.STOPPING;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
