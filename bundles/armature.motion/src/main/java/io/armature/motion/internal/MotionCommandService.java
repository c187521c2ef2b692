package io.armature.motion.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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

import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.motion.CommandSample;
import io.armature.motion.CommandSource;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;

/**
 * The one path of motion commands (see {@link MotionCommands}). Per loop it keeps each source's
 * latest command; the live command of the highest-priority source (on a tie, the latest) is the
 * loop's setpoint, handed to the loop with its lease so that the loop itself goes to 0 in the
 * first cycle after a lapse. A thread of its own wakes at the earliest lease end to hand the
 * loop to the next owner, and notices trips so that what it reports stays true. Every call is
 * published, as decided, in the stream {@value CommandSample#STREAM}: what was asked, by whom, and
 * whether it was taken or why it was refused.
 */
@Component(service = MotionCommands.class, immediate = true, configurationPid = MotionCommandService.PID)
@Designate(ocd = MotionCommandService.Config.class)
public final class MotionCommandService implements MotionCommands {

    public static final String PID = "armature.motion";

    @ObjectClassDefinition(name = "Armature motion commands", description = "Who may drive the robot, for how long, and who may reset a trip.")
    public @interface Config {
        @AttributeDefinition(name = "Sources", description = "One entry per source of motion commands: name:priority:leaseMillis, "
                + "and :reset for a source that may reset a trip. Priority 0..1000, the higher one owns a loop; lease 0 for a command "
                + "that holds until it is replaced or released, else 1..600000 ms.")
        String[] sources() default {"gogo:100:0:reset", "web:100:0:reset", "mqtt:50:1000", "rosbridge:20:500", "foxglove:20:500",
                "dds:20:500", "follower:10:500"};

        @AttributeDefinition(name = "Left wheel loop", description = "Loop name of the left wheel, for body-velocity (twist) commands.")
        String leftLoop() default "left";

        @AttributeDefinition(name = "Right wheel loop", description = "Loop name of the right wheel, for body-velocity (twist) commands.")
        String rightLoop() default "right";

        @AttributeDefinition(name = "Wheel radius (m)", description = "Above 0.")
        double wheelRadius() default 0.04;

        @AttributeDefinition(name = "Wheel base (m)", description = "Distance between the wheels' contact points, above 0.")
        double wheelBase() default 0.20;
    }

    /** One source's command for one loop. */
    private record Command(CommandSource source, double value, long expiryNanos, long sequence) {

        boolean live(long now) {
            return expiryNanos == Long.MAX_VALUE || now - expiryNanos < 0;
        }
    }

    /** Commands the journal holds for a queue reader: a recorder polling every few ms keeps up with a source commanding at 1 kHz. */
    static final int JOURNAL_CAPACITY = 1024;

    private final Logger log;
    /** Every call, as decided; published holding this (one producer at a time, in the order decided). */
    private final BroadcastStream<CommandSample> journal = new BroadcastStream<>(CommandSample.STREAM, 0, JOURNAL_CAPACITY, CommandSample::new);
    private final ServiceRegistration<?> journalRegistration;
    private volatile MotionSettings settings;
    private final Thread leases;
    private volatile boolean running = true;

    // guarded by this
    private final Map<String, Map<String, Command>> commands = new HashMap<>();
    private final Map<String, String> owners = new HashMap<>();
    private long sequence;
    private long stamp = -1; // the supervisor's trips when the commands held were given

    private volatile SafetySupervisor supervisor;
    private final Map<String, Board> boards = new ConcurrentHashMap<>();
    private final Map<TunableLoop, String> loops = new ConcurrentHashMap<>();

    @Activate
    public MotionCommandService(BundleContext context, Config config, @Reference(service = LoggerFactory.class) Logger log) {
        this(config, log, context);
    }

    /** For tests: without a framework, the journal is read through {@link #journal()}. */
    MotionCommandService(Config config, Logger log) {
        this(config, log, null);
    }

    private MotionCommandService(Config config, Logger log, BundleContext context) {
        this.log = log;
        this.settings = MotionSettings.of(config);
        this.journalRegistration = context == null ? null
                : context.registerService(SampleStream.class, journal, new java.util.Hashtable<>(Map.of(SampleStream.PROPERTY_STREAM, CommandSample.STREAM)));
        leases = new Thread(this::watchLeases, "armature-motion-leases");
        leases.setDaemon(true);
        leases.setUncaughtExceptionHandler((t, e) -> log.error("motion lease thread died: {}; leased setpoints still lapse in the loops", e.toString()));
        leases.start();
    }

    /** A bad configuration is refused with one line; the sources in force stay. */
    @Modified
    void modified(Config config) {
        MotionSettings next;
        try {
            next = MotionSettings.of(config);
        } catch (IllegalArgumentException e) {
            log.error("armature.motion configuration refused, the previous one stays: {}", e.getMessage());
            return;
        }
        synchronized (this) {
            settings = next;
            clearAll("the sources were reconfigured"); // a command's rights were those of its source when given
        }
    }

    /**
     * Stops watching leases. The loops keep their setpoints: leased ones lapse by themselves, and
     * during a side-by-side update of this bundle the new loops carry the old ones' setpoints over.
     */
    @Deactivate
    void deactivate() {
        running = false;
        LockSupport.unpark(leases);
        if (journalRegistration != null) {
            try {
                journalRegistration.unregister();
            } catch (IllegalStateException gone) {
                // the framework unregistered it with the bundle already
            }
        }
        journal.close();
    }

    /** @return the stream of every command as decided (registered as a service with the framework) */
    SampleStream<CommandSample> journal() {
        return journal;
    }

    /** Publishes one decided call. Called holding this: one producer at a time, in the order decided; allocates nothing. */
    private void journal(CommandSample.Kind kind, String source, String loop, double value, double angular, boolean accepted, boolean inForce,
            String detail) {
        CommandSample c = journal.claim();
        c.timestampNanos = System.nanoTime();
        c.kind = kind;
        c.source = source == null ? "" : source;
        c.loop = loop == null ? "" : loop;
        c.value = value;
        c.angular = angular;
        c.accepted = accepted;
        c.inForce = inForce;
        c.detail = detail == null ? "" : detail;
        journal.publish();
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindSupervisor(SafetySupervisor s) {
        supervisor = s;
        forgetCommands();
    }

    void unbindSupervisor(SafetySupervisor s) {
        if (supervisor == s) {
            supervisor = null;
            forgetCommands();
        }
    }

    /** Another supervisor's allowance, or none: every command goes (the loops clear their setpoints themselves). */
    private synchronized void forgetCommands() {
        commands.clear();
        owners.clear();
        stamp = -1;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board board) {
        boards.put(board.info().id(), board);
    }

    void removeBoard(Board board) {
        boards.remove(board.info().id(), board);
    }

    /**
     * A loop that comes: a stand-by of a side-by-side update (the loop in force keeps driving), or
     * a loop back after an in-place update or a restart of its bundle, which takes the command in
     * force at once: the commands live here, not in the loops' bundle. Nothing resumes after a
     * trip since the command was given, nor a lease that ran out meanwhile.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop) {
        String name = loop.name();
        loops.put(loop, name);
        synchronized (this) {
            SafetySupervisor sup = supervisor;
            if (sup == null || owners.containsKey(name) || commands.getOrDefault(name, Map.of()).isEmpty()) {
                return;
            }
            long trips = sup.trips(); // before mayMove: see SafetySupervisor.trips
            if (trips != stamp || !sup.mayMove()) {
                return; // given before a trip: void (the next command clears them)
            }
            try {
                apply(name, System.nanoTime());
            } catch (RuntimeException refused) {
                log.warn("loop '{}' came back but refused the command in force: {}", name, refused.getMessage());
            }
            if (owners.containsKey(name)) {
                log.info("loop '{}' came back and takes the command of '{}' in force", name, owners.get(name));
            }
        }
    }

    /** A loop instance that goes (a side-by-side update): the command in force goes on on the one that drives now. */
    void removeLoop(TunableLoop loop) {
        String name = loops.remove(loop);
        if (name != null) {
            synchronized (this) {
                if (owners.containsKey(name)) {
                    apply(name, System.nanoTime());
                }
            }
        }
    }

    /** @return the instance of the loop of this name that drives (not a stand-by of a side-by-side update), or null */
    private TunableLoop drivingLoop(String name) {
        TunableLoop found = null;
        for (Map.Entry<TunableLoop, String> e : loops.entrySet()) {
            if (e.getValue().equals(name) && (found == null || !e.getKey().isStandby())) {
                found = e.getKey();
            }
        }
        return found;
    }

    private CommandSource source(String name) {
        CommandSource s = settings.sources().get(name);
        if (s == null) {
            throw new IllegalArgumentException("'" + name + "' is not a source of motion commands; configured: "
                    + String.join(", ", new java.util.TreeSet<>(settings.sources().keySet())) + " (armature.motion)");
        }
        return s;
    }

    /** Refuses while the robot may not move; voids what was commanded before the latest trip. Called holding this. */
    private void checkMayMove() {
        SafetySupervisor sup = supervisor;
        if (sup == null) {
            throw new IllegalStateException("no safety supervisor is running (bundle armature.safety): nothing moves");
        }
        long trips = sup.trips(); // before mayMove: see SafetySupervisor.trips
        if (!sup.mayMove()) {
            throw new IllegalStateException("the robot is tripped (" + sup.tripReason().map(r -> r.source() + ": " + r.message()).orElse("no reason given")
                    + "); reset it, then command again");
        }
        if (trips != stamp) {
            clearAll("a trip since the commands held were given"); // every command given before it is void
            stamp = trips;
        }
    }

    @Override
    public synchronized boolean setpoint(String source, String loop, double value) {
        try {
            boolean inForce = takeSetpoint(source, loop, value);
            journal(CommandSample.Kind.SETPOINT, source, loop, value, 0, true, inForce, "");
            return inForce;
        } catch (RuntimeException refused) {
            journal(CommandSample.Kind.SETPOINT, source, loop, value, 0, false, false, refused.getMessage());
            throw refused;
        }
    }

    private boolean takeSetpoint(String source, String loop, double value) {
        CommandSource src = source(source);
        synchronized (this) {
            checkMayMove();
            TunableLoop target = drivingLoop(loop);
            if (target == null) {
                throw new IllegalStateException("loop '" + loop + "' is not running");
            }
            if (!Double.isFinite(value)) {
                target.setSetpoint(value); // the loop refuses it, in its own words; nothing changes
                throw new IllegalArgumentException("loop '" + loop + "': setpoint must be a number, was " + value);
            }
            long now = System.nanoTime();
            Map<String, Command> forLoop = commands.computeIfAbsent(loop, n -> new HashMap<>());
            Command previous = forLoop.put(source, new Command(src, value, expiry(src, now), ++sequence));
            try {
                apply(loop, now);
            } catch (IllegalArgumentException | IllegalStateException refused) {
                restore(forLoop, source, previous);
                apply(loop, now);
                throw refused;
            }
            LockSupport.unpark(leases);
            return source.equals(owners.get(loop));
        }
    }

    @Override
    public synchronized boolean twist(String source, double linearMetersPerSecond, double angularRadiansPerSecond) {
        try {
            boolean inForce = takeTwist(source, linearMetersPerSecond, angularRadiansPerSecond);
            journal(CommandSample.Kind.TWIST, source, "", linearMetersPerSecond, angularRadiansPerSecond, true, inForce, "");
            return inForce;
        } catch (RuntimeException refused) {
            journal(CommandSample.Kind.TWIST, source, "", linearMetersPerSecond, angularRadiansPerSecond, false, false, refused.getMessage());
            throw refused;
        }
    }

    private boolean takeTwist(String source, double linearMetersPerSecond, double angularRadiansPerSecond) {
        CommandSource src = source(source);
        if (!Double.isFinite(linearMetersPerSecond) || !Double.isFinite(angularRadiansPerSecond)) {
            throw new IllegalArgumentException("twist must be numbers, was " + linearMetersPerSecond + " m/s and " + angularRadiansPerSecond + " rad/s");
        }
        DriveGeometry g = settings.geometry();
        double left = g.leftWheel(linearMetersPerSecond, angularRadiansPerSecond);
        double right = g.rightWheel(linearMetersPerSecond, angularRadiansPerSecond);
        synchronized (this) {
            checkMayMove();
            for (String name : List.of(g.leftLoop(), g.rightLoop())) {
                if (drivingLoop(name) == null) {
                    throw new IllegalStateException("wheel loop '" + name + "' is not running");
                }
            }
            long now = System.nanoTime();
            long expiry = expiry(src, now);
            long seq = ++sequence;
            Map<String, Command> l = commands.computeIfAbsent(g.leftLoop(), n -> new HashMap<>());
            Map<String, Command> r = commands.computeIfAbsent(g.rightLoop(), n -> new HashMap<>());
            Command previousLeft = l.put(source, new Command(src, left, expiry, seq));
            Command previousRight = r.put(source, new Command(src, right, expiry, seq));
            try {
                apply(g.leftLoop(), now);
                apply(g.rightLoop(), now);
            } catch (IllegalArgumentException | IllegalStateException refused) {
                restore(l, source, previousLeft);
                restore(r, source, previousRight);
                apply(g.leftLoop(), now);
                apply(g.rightLoop(), now);
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "wheel speeds %.3g and %.3g rad/s refused: %s", left, right,
                        refused.getMessage()), refused);
            }
            LockSupport.unpark(leases);
            return source.equals(owners.get(g.leftLoop())) && source.equals(owners.get(g.rightLoop()));
        }
    }

    private static void restore(Map<String, Command> forLoop, String source, Command previous) {
        if (previous == null) {
            forLoop.remove(source);
        } else {
            forLoop.put(source, previous);
        }
    }

    private static long expiry(CommandSource src, long now) {
        return src.leased() ? now + src.leaseMillis() * 1_000_000L : Long.MAX_VALUE;
    }

    @Override
    public synchronized void release(String source) {
        try {
            source(source);
            long now = System.nanoTime();
            for (Map.Entry<String, Map<String, Command>> e : commands.entrySet()) {
                if (e.getValue().remove(source) != null) {
                    apply(e.getKey(), now);
                }
            }
        } catch (RuntimeException refused) {
            journal(CommandSample.Kind.RELEASE, source, "", 0, 0, false, false, refused.getMessage());
            throw refused;
        }
        journal(CommandSample.Kind.RELEASE, source, "", 0, 0, true, false, "");
    }

    /**
     * Hands the loop to its owner now: the live command of the highest priority, on a tie the
     * latest; with none, the loop goes to 0 if a source owned it. Called holding this.
     *
     * @throws IllegalArgumentException when the loop refuses the owner's value (beyond its limit)
     */
    private void apply(String loop, long now) {
        Map<String, Command> forLoop = commands.getOrDefault(loop, Map.of());
        forLoop.values().removeIf(c -> !c.live(now));
        Command best = null;
        for (Command c : forLoop.values()) {
            if (best == null || c.source().priority() > best.source().priority()
                    || (c.source().priority() == best.source().priority() && c.sequence() > best.sequence())) {
                best = c;
            }
        }
        TunableLoop target = drivingLoop(loop);
        String was = owners.get(loop);
        if (best == null) {
            owners.remove(loop);
            if (was != null && target != null) {
                target.setSetpoint(0.0); // the last command ended: stop, and wait for a new one
            }
            return;
        }
        if (target == null) {
            owners.remove(loop);
            return;
        }
        target.setSetpoint(best.value(), best.expiryNanos());
        owners.put(loop, best.source().name());
    }

    /** Removes every command and sets every owned loop to 0. Called holding this. */
    private void clearAll(String why) {
        boolean any = !owners.isEmpty();
        for (String loop : new ArrayList<>(owners.keySet())) {
            TunableLoop l = drivingLoop(loop);
            if (l != null) {
                try {
                    l.setSetpoint(0.0);
                } catch (RuntimeException e) {
                    log.warn("loop '{}' refused setpoint 0: {}", loop, e.toString());
                }
            }
        }
        commands.clear();
        owners.clear();
        if (any) {
            log.info("motion commands cleared: {}", why);
        }
    }

    @Override
    public String estop(String source, String reason) {
        String why = reason == null || reason.isBlank() ? "e-stop" : reason;
        SafetySupervisor sup = supervisor;
        String done;
        if (sup != null) {
            sup.estop(source, why); // first: every board is revoked before anything else happens
            done = "tripped by estop:" + source + ": every board's motion permit is revoked; reset, then command again to move";
        } else {
            int n = 0;
            for (Board b : boards.values()) {
                try {
                    b.revokeMotion();
                    n++;
                } catch (RuntimeException e) {
                    log.error("e-stop: board '{}' could not revoke its motion permit: {}", b.info().id(), e.toString());
                }
            }
            log.error("E-STOP ({}) with no safety supervisor running: {}; the motion permit of {} board(s) revoked directly", source, why, n);
            done = "no safety supervisor is running: the motion permit of " + n + " board(s) revoked directly; they stay safe until a supervisor feeds them";
        }
        synchronized (this) {
            clearAll("e-stop from " + source);
            journal(CommandSample.Kind.ESTOP, source, "", 0, 0, true, false, why);
        }
        return done;
    }

    @Override
    public synchronized void reset(String source) {
        try {
            takeReset(source);
        } catch (RuntimeException refused) {
            journal(CommandSample.Kind.RESET, source, "", 0, 0, false, false, refused.getMessage());
            throw refused;
        }
        journal(CommandSample.Kind.RESET, source, "", 0, 0, true, false, "");
    }

    private void takeReset(String source) {
        CommandSource src = source(source);
        if (!src.mayReset()) {
            throw new SecurityException("source '" + source + "' may not reset a trip (armature.motion sources); reset from a source that may: "
                    + String.join(", ", settings.sources().values().stream().filter(CommandSource::mayReset).map(CommandSource::name).sorted().toList()));
        }
        SafetySupervisor sup = supervisor;
        if (sup == null) {
            throw new IllegalStateException("no safety supervisor is running (bundle armature.safety): nothing to reset, and nothing moves");
        }
        synchronized (this) {
            clearAll("reset by " + source); // nothing commanded before the reset moves after it
            sup.reset(source);
        }
    }

    @Override
    public List<CommandSource> sources() {
        return settings.sources().values().stream().sorted((a, b) -> a.priority() != b.priority() ? b.priority() - a.priority()
                : a.name().compareTo(b.name())).toList();
    }

    @Override
    public synchronized Optional<String> owner(String loop) {
        return Optional.ofNullable(owners.get(loop));
    }

    @Override
    public DriveGeometry geometry() {
        return settings.geometry();
    }

    /**
     * Wakes at the earliest lease end (or every 100 ms, to notice trips) and hands each loop whose
     * owner's lease lapsed to the next owner. The loop has already gone to 0 by itself.
     */
    private void watchLeases() {
        while (running) {
            long next;
            synchronized (this) {
                long now = System.nanoTime();
                SafetySupervisor sup = supervisor;
                if (sup != null && sup.trips() != stamp && !owners.isEmpty()) {
                    clearAll("the robot tripped"); // the loops cleared their setpoints already: this keeps what is reported true
                }
                next = now + 100_000_000L;
                for (Map.Entry<String, Map<String, Command>> e : commands.entrySet()) {
                    boolean lapsed = false;
                    for (Command c : e.getValue().values()) {
                        if (!c.live(now)) {
                            lapsed = true;
                        } else if (c.expiryNanos() != Long.MAX_VALUE && c.expiryNanos() - next < 0) {
                            next = c.expiryNanos();
                        }
                    }
                    if (lapsed) {
                        try {
                            apply(e.getKey(), now);
                        } catch (RuntimeException refused) {
                            log.warn("loop '{}' refused the next owner's setpoint: {}", e.getKey(), refused.getMessage());
                        }
                    }
                }
            }
            LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
        }
    }
}
