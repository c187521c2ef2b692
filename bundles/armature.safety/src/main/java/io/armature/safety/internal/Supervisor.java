package io.armature.safety.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import io.armature.hal.DigitalInput;
import io.armature.sensor.SampleStream;
import io.armature.kit.sensor.StreamChoice;
import io.armature.safety.Heartbeat;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.kit.service.DataDirectory;

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

    /**
     * The configuration in force: immutable, swapped whole by {@link #modified}. The watchdog's
     * device and timeout are taken at start only.
     */
    record Settings(long cycleNanos, long permitNanos, String[] requiredBoards, String[] requiredLoops, String[] watchedStreams,
            long stallNanos, long maxInvalidPerSecond, String estopBoard, String estopChannel, long debounceNanos, long watchdogFeedNanos,
            String watchdogDevice, int watchdogTimeoutSeconds, int startupGraceMillis) {

        /** @throws IllegalArgumentException naming the first bad value */
        static Settings of(Config config) {
            range("cycleMicros", config.cycleMicros(), 100, 100_000);
            range("permitMillis", config.permitMillis(), 1, 1000);
            range("estopDebounceMillis", config.estopDebounceMillis(), 0, 500);
            range("watchdogFeedMillis", config.watchdogFeedMillis(), 10, 60_000);
            range("watchdogTimeoutSeconds", config.watchdogTimeoutSeconds(), 0, 3600);
            if (config.watchdogTimeoutSeconds() > 0 && 2L * config.watchdogFeedMillis() > config.watchdogTimeoutSeconds() * 1000L) {
                throw new IllegalArgumentException("watchdogTimeoutSeconds " + config.watchdogTimeoutSeconds() + " is less than twice watchdogFeedMillis "
                        + config.watchdogFeedMillis() + ": one late feed would reset the machine");
            }
            range("streamStallMillis", config.streamStallMillis(), 5, 60_000);
            range("maxInvalidPerSecond", config.maxInvalidPerSecond(), 0, 100_000);
            range("startupGraceMillis", config.startupGraceMillis(), 0, 600_000);
            String estop = config.estopInput() == null ? "" : config.estopInput().trim();
            if (!estop.isEmpty() && !estop.matches("[^/]+/[^/]+")) {
                throw new IllegalArgumentException("estopInput must be board/channel, for example sim/estop.in; was '" + estop + "'");
            }
            String device = config.watchdogDevice() == null ? "" : config.watchdogDevice().trim();
            return new Settings(config.cycleMicros() * 1000L, config.permitMillis() * 1_000_000L, names(config.requiredBoards()),
                    names(config.requiredLoops()), names(config.watchedStreams()), config.streamStallMillis() * 1_000_000L,
                    config.maxInvalidPerSecond(), estop.isEmpty() ? null : estop.substring(0, estop.indexOf('/')),
                    estop.isEmpty() ? null : estop.substring(estop.indexOf('/') + 1), config.estopDebounceMillis() * 1_000_000L,
                    config.watchdogFeedMillis() * 1_000_000L, device, config.watchdogTimeoutSeconds(), config.startupGraceMillis());
        }

        /**
         * What a supervisor whose configuration was refused at start runs with: the defaults, and
         * the e-stop input of the refused configuration when that much of it reads. It starts
         * tripped, so nothing moves until a good configuration and a reset.
         */
        static Settings fallback(Config refused) {
            Settings d = new Settings(1_000_000L, 50_000_000L, new String[0], new String[0], new String[0], 100_000_000L, 50, null, null,
                    5_000_000L, 1_000_000_000L, "", 0, 0);
            String estop = refused.estopInput() == null ? "" : refused.estopInput().trim();
            if (estop.matches("[^/]+/[^/]+")) {
                return new Settings(d.cycleNanos, d.permitNanos, d.requiredBoards, d.requiredLoops, d.watchedStreams, d.stallNanos,
                        d.maxInvalidPerSecond, estop.substring(0, estop.indexOf('/')), estop.substring(estop.indexOf('/') + 1), d.debounceNanos,
                        d.watchdogFeedNanos, d.watchdogDevice, d.watchdogTimeoutSeconds, d.startupGraceMillis);
            }
            return d;
        }
    }

    /** The file in the data directory that holds a latched trip across restarts. */
    static final String LATCH_FILE = "safety-latched-trip";
    private static final String LATCHED_PREFIX = "latched before restart: ";

    private final Map<String, Board> boards = new ConcurrentHashMap<>();
    // The supervision cycle runs every millisecond: it reads these arrays, swapped whole when a
    // heartbeat or board comes or goes, so that it iterates without allocating or locking.
    private volatile Beat[] beats = new Beat[0];
    private volatile Board[] boardArray = new Board[0];
    private final Map<String, Integer> runningLoops = new ConcurrentHashMap<>();
    private final Logger log;
    private final BundleContext context;
    private volatile Settings settings;
    private volatile String configRefused; // the reason the configuration at start was refused, until a good one comes
    // true once a configuration of the robot's own was accepted; false while running on the defaults
    private volatile boolean configuredOnce = true;
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
    private final Thread thread;
    private final Path latchFile;

    private volatile TripReason trip;
    private volatile long trips;
    private volatile boolean running = true;
    private volatile boolean estopPressed;
    private long estopLowSince = -1;
    private volatile Watchdog watchdog;
    private long lastWatchdogFeed;
    private volatile long graceUntil;
    private volatile boolean allPresentOnce;
    // the trip as last logged and written to the latch file, by the supervisor's own thread
    private TripReason recorded;

    @Activate
    public Supervisor(Config config, BundleContext context, @Reference(service = LoggerFactory.class) Logger log, Map<String, Object> properties) {
        this(config, context, log, true, DataDirectory.of(context));
        // Without a configuration of its own the supervisor runs on its defaults until the robot's
        // arrives (FileInstall delivers it just after start): that one is its first real one.
        configuredOnce = configRefused == null && properties.containsKey(org.osgi.framework.Constants.SERVICE_PID);
    }

    /**
     * @param ownThread false in unit tests, which call {@link #check(long)} themselves
     * @param dataDir   where a latched trip is kept across restarts
     */
    Supervisor(Config config, BundleContext context, Logger log, boolean ownThread, Path dataDir) {
        this.log = log;
        this.context = context;
        this.latchFile = dataDir.resolve(LATCH_FILE);
        TripReason latched = readLatch();
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
            configRefused = e.getMessage();
            log.error("armature.safety configuration refused: {}; the supervisor runs tripped on its defaults until a good configuration and a reset",
                    e.getMessage());
            trip("config", "configuration refused: " + e.getMessage());
        }
        this.settings = s;
        this.graceUntil = System.nanoTime() + s.startupGraceMillis() * 1_000_000L;
        watchdog = openWatchdog(s);
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

    /** @return the watchdog the settings name, open and armed; null for none. A device that cannot be opened trips. */
    private Watchdog openWatchdog(Settings s) {
        if (s.watchdogDevice().isEmpty()) {
            return null;
        }
        try {
            Watchdog w = Watchdog.open(Path.of(s.watchdogDevice()), s.watchdogTimeoutSeconds());
            int actual = w.timeoutSeconds();
            if (actual > 0 && 2L * s.watchdogFeedNanos() > actual * 1_000_000_000L) {
                // the driver rounded the timeout down below what the feed interval needs
                trip("watchdog", "watchdog " + s.watchdogDevice() + " took a timeout of " + actual + " s, less than twice the feed interval of "
                        + s.watchdogFeedNanos() / 1_000_000 + " ms");
            }
            log.info("hardware watchdog {} armed{}", s.watchdogDevice(), actual > 0 ? ", timeout " + actual + " s" : "");
            return w;
        } catch (IOException e) {
            // Without its watchdog the robot must not move: trip until someone fixes it.
            trip("watchdog", "cannot open watchdog device " + s.watchdogDevice() + ": " + e.getMessage());
            return null;
        }
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
                configRefused = e.getMessage();
                log.error("armature.safety configuration refused: {}; the supervisor runs tripped until a good configuration and a reset",
                        e.getMessage());
                trip("config", "configuration refused: " + e.getMessage());
                return;
            }
            log.error("armature.safety configuration refused, the one in force stays: {}", e.getMessage());
            return;
        }
        configuredOnce = true;
        Settings now = settings;
        if (!next.watchdogDevice().equals(now.watchdogDevice()) || next.watchdogTimeoutSeconds() != now.watchdogTimeoutSeconds()) {
            // the new watchdog first (a failure trips), then the old one is disarmed: it is no longer ours to feed
            Watchdog old = watchdog;
            watchdog = openWatchdog(next);
            if (old != null) {
                try {
                    old.disarmAndClose();
                    log.info("hardware watchdog {} disarmed: the configuration names {}", old.device(),
                            next.watchdogDevice().isEmpty() ? "none" : next.watchdogDevice());
                } catch (IOException e) {
                    log.error("cannot disarm watchdog {}: {}; it may reset the machine", old.device(), e.toString());
                }
            }
        }
        if (!allRequiredPresent(next)) {
            // Newly required roles get the start-up grace to appear (FileInstall delivers the
            // robot's configuration just after start). Until they are all there nothing is fed, so
            // a robot that was moving stops within one permit, without a trip.
            graceUntil = System.nanoTime() + next.startupGraceMillis() * 1_000_000L;
            allPresentOnce = false;
        }
        settings = next;
        if (configRefused != null) {
            log.info("armature.safety configuration accepted; the trip stays latched until a reset");
            configRefused = null;
        }
    }

    /** @return the trip written before the last stop, if any; an unreadable record counts as a trip */
    private TripReason readLatch() {
        if (!Files.exists(latchFile)) {
            return null;
        }
        try (java.io.InputStream in = Files.newInputStream(latchFile)) {
            String text = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
            int tab = text.indexOf('\t');
            String source = tab > 0 ? text.substring(0, tab) : "latched";
            String message = tab > 0 ? text.substring(tab + 1) : text;
            String reason = message.isBlank() ? "no reason recorded" : message;
            // a trip that already came back from a restart keeps its one prefix through the next
            return new TripReason(source, reason.startsWith(LATCHED_PREFIX) ? reason : LATCHED_PREFIX + reason, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            return new TripReason("latched", "latched before restart (its record " + latchFile + " cannot be read: " + e + ")", System.nanoTime());
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
            try {
                Files.createDirectories(latchFile.getParent());
                Path tmp = latchFile.resolveSibling(LATCH_FILE + ".tmp");
                Files.writeString(tmp, t.source() + "\t" + t.message().replace('\n', ' ') + "\n", StandardCharsets.UTF_8);
                Files.move(tmp, latchFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException | RuntimeException e) {
                log.error("cannot keep the trip across a restart in {}: {}", latchFile, e.toString());
            }
        } else {
            try {
                Files.deleteIfExists(latchFile);
            } catch (IOException e) {
                log.error("cannot remove {} after the reset: {}; the next start will be tripped", latchFile, e.toString());
            }
        }
        recorded = t;
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
        if (contains(settings.requiredBoards(), id) && !boards.containsKey(id) && running) {
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
        if (name != null && contains(settings.requiredLoops(), name) && !loopRunning(name) && running) {
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
        // that is stopped still leaves the motors safe. A latched trip is written down, so the
        // next supervisor starts tripped.
        record();
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
            long cycleNanos = settings.cycleNanos();
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

    /**
     * One supervision cycle. The e-stop input, heartbeats and stalls of present streams act from
     * the first cycle; the start-up grace delays only the trips for required boards, loops and
     * streams that are not there yet, and until all are there nothing is fed.
     */
    void check(long now) {
        Settings cfg = settings;
        boolean pressed = readEstop(cfg, now);
        if (pressed && !estopPressed) {
            estopPressed = true;
            trip("estop:input", "e-stop button " + cfg.estopBoard() + "/" + cfg.estopChannel() + " pressed");
        } else if (!pressed) {
            estopPressed = false;
        }
        if (trip != null) {
            record();
            for (String name : cfg.watchedStreams()) {
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
        boolean allPresent = allRequiredPresent(cfg);
        boolean starting = !allPresent && !allPresentOnce && now - graceUntil < 0;
        allPresentOnce |= allPresent;
        if (!starting) {
            for (String id : cfg.requiredBoards()) {
                if (!boards.containsKey(id)) {
                    trip("board:" + id, "required board '" + id + "' is not present");
                }
            }
            for (String name : cfg.requiredLoops()) {
                if (!loopRunning(name)) {
                    trip("loop:" + name, "required loop '" + name + "' is not running");
                }
            }
        }
        for (String name : cfg.watchedStreams()) {
            checkStream(cfg, name, now, starting);
        }
        if (starting) {
            record();
            return; // still starting: the robot cannot be moving yet, so nothing is fed
        }
        feed(cfg, now);
        record();
    }

    private boolean allRequiredPresent(Settings cfg) {
        boolean allPresent = true;
        for (String id : cfg.requiredBoards()) {
            allPresent &= boards.containsKey(id);
        }
        for (String name : cfg.requiredLoops()) {
            allPresent &= loopRunning(name);
        }
        for (String name : cfg.watchedStreams()) {
            allPresent &= streams.containsKey(name);
        }
        return allPresent;
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
            for (Board b : boardArray) {
                b.permitMotion(expiry);
            }
        }
        feedWatchdog(cfg, now);
    }

    private void checkStream(Settings cfg, String name, long now, boolean starting) {
        long stallNanos = cfg.stallNanos();
        StreamWatch w = streams.get(name);
        if (w == null) {
            Long since = gone.get(name);
            if (since == null) {
                if (starting) {
                    return; // it may still come
                }
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
        } else if (invalid - w.invalidAtWindowStart > cfg.maxInvalidPerSecond()) {
            trip("stream:" + name, "sensor stream '" + name + "' delivered " + (invalid - w.invalidAtWindowStart)
                    + " invalid samples within a second (limit " + cfg.maxInvalidPerSecond() + ")");
        }
    }

    private boolean readEstop(Settings cfg, long now) {
        if (cfg.estopBoard() == null) {
            return false;
        }
        Board b = boards.get(cfg.estopBoard());
        if (b == null) {
            return false; // a missing board is its own fault
        }
        boolean low;
        try {
            low = !b.channel(cfg.estopChannel(), DigitalInput.class).read();
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
        return now - estopLowSince >= cfg.debounceNanos();
    }

    private void feedWatchdog(Settings cfg, long now) {
        Watchdog w = watchdog;
        if (w == null || now - lastWatchdogFeed < cfg.watchdogFeedNanos()) {
            return;
        }
        try {
            w.feed();
            lastWatchdogFeed = now;
        } catch (IOException e) {
            trip("watchdog", "cannot feed watchdog " + w.device() + ": " + e.getMessage());
        }
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
        for (Board b : boardArray) {
            b.revokeMotion();
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
        log.info("safety reset by {} after: {}; nothing moves until a new command", source, trip.message());
        trip = null;
        if (!thread.isAlive()) {
            record(); // without the supervisor's own thread (unit tests), the record goes now
        }
    }

    /** @return every condition that is not healthy now, in words */
    List<String> unhealthy(long now) {
        Settings cfg = settings;
        long stallNanos = cfg.stallNanos();
        List<String> bad = new ArrayList<>();
        String refused = configRefused;
        if (refused != null) {
            bad.add("the configuration was refused (" + refused + "); fix armature.safety first");
        }
        for (Beat b : beats) {
            if (b.lapsed(now) >= 0) {
                bad.add(b.name + " has no heartbeat");
            }
        }
        for (String id : cfg.requiredBoards()) {
            if (!boards.containsKey(id)) {
                bad.add("board '" + id + "' is not present");
            }
        }
        for (String name : cfg.requiredLoops()) {
            if (!loopRunning(name)) {
                bad.add("loop '" + name + "' is not running");
            }
        }
        for (String name : cfg.watchedStreams()) {
            StreamWatch w = streams.get(name);
            if (w == null) {
                bad.add("sensor stream '" + name + "' is not present");
            } else if (w.lastPublished >= 0 && now - w.lastProgress > stallNanos) {
                bad.add("sensor stream '" + name + "' is stalled");
            }
        }
        if (cfg.estopBoard() != null && boards.containsKey(cfg.estopBoard())) {
            try {
                if (!boards.get(cfg.estopBoard()).channel(cfg.estopChannel(), DigitalInput.class).read()) {
                    bad.add("the e-stop button is pressed");
                }
            } catch (RuntimeException e) {
                bad.add("the e-stop input cannot be read: " + e.getMessage());
            }
        }
        return bad;
    }

}
