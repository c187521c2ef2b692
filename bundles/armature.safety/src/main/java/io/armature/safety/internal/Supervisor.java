package io.armature.safety.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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
import io.armature.hal.DigitalInput;
import io.armature.sensor.SampleStream;
import io.armature.sensor.StreamChoice;
import io.armature.safety.Heartbeat;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;

/**
 * The safety supervisor. Its own thread checks, every cycle, the heartbeats, the required
 * boards and the e-stop input; while all is well it feeds every board's motion permit (and the
 * hardware watchdog). Any fault trips it: every board's permit is revoked at once, so every
 * actuator goes to its safe state, and it stays tripped (latched) until an explicit reset
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

    /** One heartbeat; beating is a volatile write. */
    final class Beat implements Heartbeat {
        final String name;
        final long timeoutNanos;
        final long created = System.nanoTime();
        volatile long last = created;
        volatile boolean beaten;
        volatile boolean closed;

        Beat(String name, long timeoutNanos) {
            this.name = name;
            this.timeoutNanos = timeoutNanos;
        }

        @Override
        public void beat() {
            last = System.nanoTime();
            beaten = true;
        }

        @Override
        public void close() {
            closed = true;
            removeBeat(this);
        }

        /**
         * Lapsed: no beat within the timeout. Before its first beat the owner may still be starting
         * (a loop whose engine is not up yet), so it gets ten timeouts, at least one second.
         *
         * @return how long it has been silent, in ns, when that is past its limit; -1 while it is alive
         */
        long lapsed(long now) {
            if (closed) {
                return -1;
            }
            long seen = last; // one read: the age reported is the age judged
            if (!beaten) {
                return now - created > Math.max(10 * timeoutNanos, 1_000_000_000L) ? now - created : -1;
            }
            return now - seen > timeoutNanos ? now - seen : -1;
        }
    }

    private final Map<String, Board> boards = new ConcurrentHashMap<>();
    // The supervision cycle runs every millisecond: it reads these arrays, swapped whole when a
    // heartbeat or board comes or goes, so that it iterates without allocating or locking.
    private volatile Beat[] beats = new Beat[0];
    private volatile Board[] boardArray = new Board[0];
    private final Map<String, Integer> runningLoops = new ConcurrentHashMap<>();
    private final Logger log;
    private final BundleContext context;
    private final long cycleNanos;
    private final long permitNanos;
    private final String[] requiredBoards;
    private final String[] requiredLoops;
    private final String[] watchedStreams;
    private final long stallNanos;
    private final long maxInvalidPerSecond;
    private final Map<String, StreamWatch> streams = new ConcurrentHashMap<>();
    private final Map<String, Long> gone = new ConcurrentHashMap<>();

    /** What the supervisor knows of one watched stream; updated only on its own thread. */
    private static final class StreamWatch {
        final SampleStream<?> stream;
        long lastPublished = -1;
        long lastProgress;
        long invalidAtWindowStart = -1;
        long windowStart;

        StreamWatch(SampleStream<?> stream) {
            this.stream = stream;
        }
    }
    private final Map<ServiceReference<ControlLoop>, String> loops = new ConcurrentHashMap<>();
    private final String estopBoard;
    private final String estopChannel;
    private final long debounceNanos;
    private final long watchdogFeedNanos;
    private final Thread thread;

    private volatile TripReason trip;
    private volatile boolean running = true;
    private volatile boolean estopPressed;
    private long estopLowSince = -1;
    private Watchdog watchdog;
    private long lastWatchdogFeed;
    private final long graceUntil;
    private boolean allPresentOnce;

    @Activate
    public Supervisor(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this(config, context, log, true);
    }

    /** @param ownThread false in unit tests, which call {@link #check(long)} themselves */
    Supervisor(Config config, BundleContext context, Logger log, boolean ownThread) {
        range("cycleMicros", config.cycleMicros(), 100, 100_000);
        range("permitMillis", config.permitMillis(), 1, 1000);
        range("estopDebounceMillis", config.estopDebounceMillis(), 0, 500);
        range("watchdogFeedMillis", config.watchdogFeedMillis(), 10, 60_000);
        range("watchdogTimeoutSeconds", config.watchdogTimeoutSeconds(), 0, 3600);
        if (config.watchdogTimeoutSeconds() > 0 && 2L * config.watchdogFeedMillis() > config.watchdogTimeoutSeconds() * 1000L) {
            throw new IllegalArgumentException("watchdogTimeoutSeconds " + config.watchdogTimeoutSeconds() + " is less than twice watchdogFeedMillis "
                    + config.watchdogFeedMillis() + ": one late feed would reset the machine");
        }
        this.log = log;
        this.context = context;
        this.cycleNanos = config.cycleMicros() * 1000L;
        this.permitNanos = config.permitMillis() * 1_000_000L;
        this.requiredBoards = names(config.requiredBoards());
        this.requiredLoops = names(config.requiredLoops());
        this.watchedStreams = names(config.watchedStreams());
        range("streamStallMillis", config.streamStallMillis(), 5, 60_000);
        range("maxInvalidPerSecond", config.maxInvalidPerSecond(), 0, 100_000);
        this.stallNanos = config.streamStallMillis() * 1_000_000L;
        this.maxInvalidPerSecond = config.maxInvalidPerSecond();
        range("startupGraceMillis", config.startupGraceMillis(), 0, 600_000);
        this.graceUntil = System.nanoTime() + config.startupGraceMillis() * 1_000_000L;
        String estop = config.estopInput() == null ? "" : config.estopInput().trim();
        if (!estop.isEmpty() && !estop.matches("[^/]+/[^/]+")) {
            throw new IllegalArgumentException("estopInput must be board/channel, for example sim/estop.in; was '" + estop + "'");
        }
        this.estopBoard = estop.isEmpty() ? null : estop.substring(0, estop.indexOf('/'));
        this.estopChannel = estop.isEmpty() ? null : estop.substring(estop.indexOf('/') + 1);
        this.debounceNanos = config.estopDebounceMillis() * 1_000_000L;
        this.watchdogFeedNanos = config.watchdogFeedMillis() * 1_000_000L;
        String device = config.watchdogDevice() == null ? "" : config.watchdogDevice().trim();
        if (!device.isEmpty()) {
            try {
                watchdog = Watchdog.open(Path.of(device), config.watchdogTimeoutSeconds());
                int actual = watchdog.timeoutSeconds();
                if (actual > 0 && 2L * config.watchdogFeedMillis() > actual * 1000L) {
                    // the driver rounded the timeout down below what the feed interval needs
                    trip("watchdog", "watchdog " + device + " took a timeout of " + actual + " s, less than twice the feed interval of "
                            + config.watchdogFeedMillis() + " ms");
                }
                log.info("hardware watchdog {} armed{}", device, actual > 0 ? ", timeout " + actual + " s" : "");
            } catch (IOException e) {
                // Without its watchdog the robot must not move: trip until someone fixes it.
                trip("watchdog", "cannot open watchdog device " + device + ": " + e.getMessage());
            }
        }
        if (context != null) {
            // On the system bundle's context. Felix calls synchronous listeners in the order they
            // registered, so SCR's (registered at a lower start level) may tear the bundle's
            // components down first: measured, this trip comes 20-30 ms after stop() is called.
            // The motors do not wait for it: each wheel loop checks its own bundle's state every
            // cycle and stops driving in the first cycle after it turns STOPPING.
            systemContext().addBundleListener(stoppingListener);
        }
        thread = new Thread(this::run, "armature-safety");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.setUncaughtExceptionHandler((t, e) -> log.error("safety supervisor thread died: {}; boards go safe when their permits lapse", e.toString()));
        if (ownThread) {
            thread.start();
        }
    }

    /** Accepts both a list and one comma-separated string, as a .cfg file gives it. */
    private static String[] names(String[] values) {
        List<String> names = new ArrayList<>();
        for (String v : values == null ? new String[0] : values) {
            for (String n : v.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.trim());
                }
            }
        }
        return names.toArray(new String[0]);
    }

    private static boolean contains(String[] names, String name) {
        for (String n : names) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    private synchronized void removeBeat(Beat b) {
        List<Beat> all = new ArrayList<>(List.of(beats));
        all.remove(b);
        beats = all.toArray(new Beat[0]);
    }

    private synchronized void updateBoards() {
        boardArray = boards.values().toArray(new Board[0]);
    }

    private boolean loopRunning(String name) {
        return runningLoops.containsKey(name);
    }

    private static void range(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + v);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board board) {
        boards.put(board.info().id(), board);
        updateBoards();
        if (trip != null) {
            board.revokeMotion(); // a board that arrives during a trip starts safe
        }
    }

    void removeBoard(Board board) {
        boards.remove(board.info().id(), board);
        updateBoards();
        String id = board.info().id();
        if (contains(requiredBoards, id) && !boards.containsKey(id) && running) {
            trip("board:" + id, "required board '" + id + "' went away");
        }
    }

    /**
     * Streams come and go under their names; the one watched for a name is the highest-ranked (a
     * replay registered over a live stream is watched while it plays, then the live one again).
     * With removeStream under one lock: SCR may bind a restarted source's new stream on one thread
     * while it unbinds the old one on another, and the new one must not be lost.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = SampleStream.class)
    synchronized void addStream(SampleStream<?> stream, Map<String, Object> properties) {
        StreamChoice<SampleStream<?>> choice = streamChoices.computeIfAbsent(stream.name(), n -> new StreamChoice<>());
        if (choice.add(stream, properties)) {
            streams.put(stream.name(), new StreamWatch(choice.chosen()));
            gone.remove(stream.name());
        }
    }

    /**
     * A stream that goes away, with no other of its name, is a stall that began now: if it is not
     * back (a source restarting on a swapped board comes back within milliseconds) before the
     * stall limit, the supervisor trips.
     */
    synchronized void removeStream(SampleStream<?> stream) {
        StreamChoice<SampleStream<?>> choice = streamChoices.get(stream.name());
        if (choice == null || !choice.remove(stream)) {
            return;
        }
        SampleStream<?> next = choice.chosen();
        if (next != null) {
            streams.put(stream.name(), new StreamWatch(next));
            return;
        }
        // "gone" first: the supervision cycle, which reads without the lock, must never see the
        // stream in neither map ("not present" is for a stream that never came)
        gone.put(stream.name(), System.nanoTime());
        streams.remove(stream.name());
    }

    private final Map<String, StreamChoice<SampleStream<?>>> streamChoices = new HashMap<>();

    /** Only the reference: the supervisor needs to know a loop is there, not to call it. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = ControlLoop.class)
    void addLoop(ServiceReference<ControlLoop> loop) {
        String name = String.valueOf(loop.getProperty(ControlLoop.PROPERTY_NAME));
        loops.put(loop, name);
        runningLoops.merge(name, 1, Integer::sum);
    }

    void removeLoop(ServiceReference<ControlLoop> loop) {
        String name = loops.remove(loop);
        if (name != null) {
            runningLoops.computeIfPresent(name, (n, count) -> count == 1 ? null : count - 1);
        }
        if (name != null && contains(requiredLoops, name) && !loopRunning(name) && running) {
            trip("loop:" + name, "required loop '" + name + "' went away (its bundle stopped?)");
        }
    }

    private BundleContext systemContext() {
        BundleContext system = context.getBundle(0).getBundleContext();
        return system != null ? system : context;
    }

    @Deactivate
    void deactivate() {
        running = false;
        if (context != null) {
            try {
                systemContext().removeBundleListener(stoppingListener);
            } catch (RuntimeException alreadyGone) {
                // the framework is stopping
            }
        }
        LockSupport.unpark(thread);
        try {
            if (thread.isAlive()) {
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // No revoke here: the permits lapse by themselves within permitMillis. That way a
        // supervisor that is merely updated hands over without stopping the robot, and one
        // that is stopped still leaves the motors safe.
        Watchdog w = watchdog;
        if (w != null) {
            try {
                if (frameworkStopping()) {
                    w.disarmAndClose();
                    log.info("hardware watchdog disarmed: orderly shutdown");
                } else {
                    w.close();
                    log.warn("safety supervisor stopped: the hardware watchdog stays armed and will reset the machine unless a supervisor feeds it");
                }
            } catch (IOException e) {
                log.error("closing watchdog {}: {}", w.device(), e.toString());
            }
        }
    }

    private boolean frameworkStopping() {
        try {
            return context.getBundle(0).getState() == Bundle.STOPPING;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (running) {
            next += cycleNanos;
            long now = System.nanoTime();
            if (next - now > 0) {
                LockSupport.parkNanos(next - now);
            } else if (now - next > 10 * cycleNanos) {
                next = now; // stalled: do not burst
            }
            check(System.nanoTime());
        }
    }

    /** One supervision cycle. */
    void check(long now) {
        boolean pressed = readEstop(now);
        if (trip != null) {
            estopPressed = pressed;
            for (String name : watchedStreams) {
                StreamWatch w = streams.get(name);
                if (w == null) {
                    continue;
                }
                long published = w.stream.published(); // keep track, so a reset can see the stream flowing again
                if (published != w.lastPublished) {
                    w.lastPublished = published;
                    w.lastProgress = now;
                }
            }
            return; // latched: nothing to feed until an explicit reset
        }
        for (Beat b : beats) {
            long silent = b.lapsed(now);
            if (silent >= 0) {
                trip("heartbeat:" + b.name, b.name + " missed its heartbeat: none for " + silent / 1_000_000 + " ms (limit "
                        + b.timeoutNanos / 1_000_000 + " ms)");
            }
        }
        boolean allPresent = true;
        for (String id : requiredBoards) {
            allPresent &= boards.containsKey(id);
        }
        for (String name : requiredLoops) {
            allPresent &= loopRunning(name);
        }
        for (String name : watchedStreams) {
            allPresent &= streams.containsKey(name);
        }
        if (!allPresent && !allPresentOnce && now - graceUntil < 0) {
            return; // still starting: neither trip nor feed yet
        }
        allPresentOnce |= allPresent;
        for (String id : requiredBoards) {
            if (!boards.containsKey(id)) {
                trip("board:" + id, "required board '" + id + "' is not present");
            }
        }
        for (String name : requiredLoops) {
            if (!loopRunning(name)) {
                trip("loop:" + name, "required loop '" + name + "' is not running");
            }
        }
        for (String name : watchedStreams) {
            checkStream(name, now);
        }
        if (pressed && !estopPressed) {
            estopPressed = true;
            trip("estop:input", "e-stop button " + estopBoard + "/" + estopChannel + " pressed");
        } else if (!pressed) {
            estopPressed = false;
        }
        if (trip == null) {
            long expiry = now + permitNanos;
            for (Board b : boardArray) {
                b.permitMotion(expiry);
            }
            feedWatchdog(now);
        }
    }

    private void checkStream(String name, long now) {
        StreamWatch w = streams.get(name);
        if (w == null) {
            Long since = gone.get(name);
            if (since == null) {
                trip("stream:" + name, "watched sensor stream '" + name + "' is not present");
            } else if (now - since > stallNanos) {
                trip("stream:" + name, "watched sensor stream '" + name + "' went away " + (now - since) / 1_000_000 + " ms ago");
            }
            return;
        }
        long published = w.stream.published();
        if (published != w.lastPublished) {
            w.lastPublished = published;
            w.lastProgress = now;
        } else if (now - w.lastProgress > stallNanos) {
            trip("stream:" + name, "sensor stream '" + name + "' stalled: no sample for " + (now - w.lastProgress) / 1_000_000 + " ms");
            return;
        }
        long invalid = w.stream.invalidCount();
        if (w.invalidAtWindowStart < 0 || now - w.windowStart >= 1_000_000_000L) {
            w.invalidAtWindowStart = invalid;
            w.windowStart = now;
        } else if (invalid - w.invalidAtWindowStart > maxInvalidPerSecond) {
            trip("stream:" + name, "sensor stream '" + name + "' delivered " + (invalid - w.invalidAtWindowStart)
                    + " invalid samples within a second (limit " + maxInvalidPerSecond + ")");
        }
    }

    private boolean readEstop(long now) {
        if (estopBoard == null) {
            return false;
        }
        Board b = boards.get(estopBoard);
        if (b == null) {
            return false; // a missing board is its own fault
        }
        boolean low;
        try {
            low = !b.channel(estopChannel, DigitalInput.class).read();
        } catch (RuntimeException e) {
            return true; // an e-stop input that cannot be read counts as pressed
        }
        if (!low) {
            estopLowSince = -1;
            return false;
        }
        if (estopLowSince < 0) {
            estopLowSince = now;
        }
        return now - estopLowSince >= debounceNanos;
    }

    private void feedWatchdog(long now) {
        Watchdog w = watchdog;
        if (w == null || now - lastWatchdogFeed < watchdogFeedNanos) {
            return;
        }
        try {
            w.feed();
            lastWatchdogFeed = now;
        } catch (IOException e) {
            trip("watchdog", "cannot feed watchdog " + w.device() + ": " + e.getMessage());
        }
    }

    /** Trips (if not tripped already): every board goes safe now. The first reason is kept. */
    synchronized void trip(String source, String message) {
        boolean first = trip == null;
        if (first) {
            trip = new TripReason(source, message, System.nanoTime()); // loops see it and stop driving
        }
        for (Board b : boardArray) {
            b.revokeMotion();
        }
        if (first) {
            log.error("SAFETY TRIP ({}): {}; motors are safe until robot:reset", source, message);
        }
    }

    /**
     * A bundle that provides loops is stopping: stop the motors before its components wind down
     * (which takes tens of milliseconds), unless every one of its loops has a stand-by successor
     * in another bundle (a side-by-side update).
     */
    void bundleStopping(Bundle stopping) {
        List<String> orphaned = new ArrayList<>();
        for (Map.Entry<ServiceReference<ControlLoop>, String> e : loops.entrySet()) {
            Bundle provider = e.getKey().getBundle();
            if (provider != null && provider.getBundleId() == stopping.getBundleId()) {
                String name = e.getValue();
                boolean elsewhere = false;
                for (Map.Entry<ServiceReference<ControlLoop>, String> o : loops.entrySet()) {
                    Bundle other = o.getKey().getBundle();
                    elsewhere |= o.getValue().equals(name) && other != null && other.getBundleId() != stopping.getBundleId();
                }
                if (!elsewhere) {
                    orphaned.add(name);
                }
            }
        }
        if (!orphaned.isEmpty() && running) {
            trip("bundle:" + stopping.getSymbolicName(), "bundle " + stopping.getSymbolicName() + " is stopping and takes loop(s) "
                    + String.join(", ", orphaned) + " with it");
        }
    }

    private final SynchronousBundleListener stoppingListener = event -> {
        if (event.getType() == BundleEvent.STOPPING) {
            bundleStopping(event.getBundle());
        }
    };

    @Override
    public SafetyState state() {
        return trip == null ? SafetyState.OK : SafetyState.TRIPPED;
    }

    @Override
    public boolean mayMove() {
        return trip == null;
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
        Beat b = new Beat(name, timeoutNanos);
        synchronized (this) {
            Beat[] next = java.util.Arrays.copyOf(beats, beats.length + 1);
            next[beats.length] = b;
            beats = next;
        }
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
        log.info("safety reset by {} after: {}", source, trip.message());
        trip = null;
    }

    /** @return every condition that is not healthy now, in words */
    List<String> unhealthy(long now) {
        List<String> bad = new ArrayList<>();
        for (Beat b : beats) {
            if (b.lapsed(now) >= 0) {
                bad.add(b.name + " has no heartbeat");
            }
        }
        for (String id : requiredBoards) {
            if (!boards.containsKey(id)) {
                bad.add("board '" + id + "' is not present");
            }
        }
        for (String name : requiredLoops) {
            if (!loopRunning(name)) {
                bad.add("loop '" + name + "' is not running");
            }
        }
        for (String name : watchedStreams) {
            StreamWatch w = streams.get(name);
            if (w == null) {
                bad.add("sensor stream '" + name + "' is not present");
            } else if (w.lastPublished >= 0 && now - w.lastProgress > stallNanos) {
                bad.add("sensor stream '" + name + "' is stalled");
            }
        }
        if (estopBoard != null && boards.containsKey(estopBoard)) {
            try {
                if (!boards.get(estopBoard).channel(estopChannel, DigitalInput.class).read()) {
                    bad.add("the e-stop button is pressed");
                }
            } catch (RuntimeException e) {
                bad.add("the e-stop input cannot be read: " + e.getMessage());
            }
        }
        return bad;
    }

}
