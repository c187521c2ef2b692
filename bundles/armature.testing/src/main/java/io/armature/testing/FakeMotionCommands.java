package io.armature.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.armature.control.TunableLoop;
import io.armature.motion.CommandSource;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;

/**
 * A motion-command service for tests of what sends motion commands (shell, REST, MQTT, bridges):
 * it keeps the rules of {@link MotionCommands} in their simplest form, on the loops and the
 * supervisor it is given, and records every call in {@link #calls}.
 * <ul>
 * <li>sources as given (by default those of {@code armature.motion}: gogo and web 100 with reset
 * rights and no lease, mqtt 50 with a lease of 1000 ms, the bridges 20 and 500 ms, the follower
 * 10); an unknown source or loop is an {@link IllegalArgumentException};</li>
 * <li>a setpoint is refused with an {@link IllegalStateException} without a supervisor or while it
 * is tripped; of the commands for a loop the highest priority is handed to the loop (with the
 * lease's expiry for a leased source; leases are not watched: a test lets the loop lapse itself);
 * a lower one is kept and {@code setpoint} returns false;</li>
 * <li>{@code release} hands the loop to the next command, or sets it to 0;</li>
 * <li>{@code estop} is never refused: it trips the supervisor (when there is one) and clears
 * every command, setting the loops that were owned to 0;</li>
 * <li>{@code reset} is a {@link SecurityException} for a source without reset rights, an
 * {@link IllegalStateException} without a supervisor or when it refuses; it clears every command.</li>
 * </ul>
 */
public final class FakeMotionCommands implements MotionCommands {

    /** The sources {@code armature.motion} configures by default. */
    public static final List<CommandSource> DEFAULT_SOURCES = List.of(new CommandSource("gogo", 100, 0, true),
            new CommandSource("web", 100, 0, true), new CommandSource("mqtt", 50, 1000, false),
            new CommandSource("rosbridge", 20, 500, false), new CommandSource("foxglove", 20, 500, false),
            new CommandSource("dds", 20, 500, false), new CommandSource("follower", 10, 500, false));

    /** Every call, in order: {@code setpoint mqtt left 3.0}, {@code twist web 0.5 0.0}, {@code release mqtt}, {@code estop mqtt <reason>}, {@code reset gogo}. */
    public final List<String> calls = new CopyOnWriteArrayList<>();

    private final SafetySupervisor supervisor;
    private final Map<String, CommandSource> sources = new LinkedHashMap<>();
    private final Map<String, TunableLoop> loops = new LinkedHashMap<>();
    private volatile DriveGeometry geometry = new DriveGeometry("left", "right", 0.04, 0.20);
    // guarded by this: per loop, per source, the command value and its order
    private final Map<String, Map<String, double[]>> commands = new HashMap<>();
    private final Map<String, String> owners = new HashMap<>();
    private long sequence;

    /**
     * @param supervisor the supervisor, or null for none (then nothing moves, and an e-stop is only recorded)
     * @param loops      the loops, by their names
     */
    public FakeMotionCommands(SafetySupervisor supervisor, TunableLoop... loops) {
        this(supervisor, DEFAULT_SOURCES, loops);
    }

    /**
     * @param supervisor the supervisor, or null for none
     * @param sources    the configured sources
     * @param loops      the loops, by their names
     */
    public FakeMotionCommands(SafetySupervisor supervisor, List<CommandSource> sources, TunableLoop... loops) {
        this.supervisor = supervisor;
        sources.forEach(s -> this.sources.put(s.name(), s));
        for (TunableLoop l : loops) {
            this.loops.put(l.name(), l);
        }
    }

    /** Sets the drive geometry that {@link #twist} uses (default: loops left and right, radius 0.04 m, base 0.20 m). */
    public void geometry(DriveGeometry g) {
        geometry = g;
    }

    private CommandSource source(String name) {
        CommandSource s = sources.get(name);
        if (s == null) {
            throw new IllegalArgumentException("'" + name + "' is not a source of motion commands; configured: " + String.join(", ", sources.keySet()));
        }
        return s;
    }

    private TunableLoop loop(String name) {
        TunableLoop l = loops.get(name);
        if (l == null) {
            throw new IllegalArgumentException("no loop '" + name + "'; loops: " + String.join(", ", loops.keySet()));
        }
        return l;
    }

    private void checkMayMove() {
        if (supervisor == null) {
            throw new IllegalStateException("no safety supervisor is running: nothing moves");
        }
        if (!supervisor.mayMove()) {
            throw new IllegalStateException("the robot is tripped; reset it, then command again");
        }
    }

    @Override
    public synchronized boolean setpoint(String source, String loop, double value) {
        calls.add("setpoint " + source + " " + loop + " " + value);
        source(source);
        loop(loop);
        checkMayMove();
        command(source, loop, value);
        return source.equals(owners.get(loop));
    }

    /** @return the command it replaced, or null */
    private double[] command(String source, String loop, double value) {
        Map<String, double[]> forLoop = commands.computeIfAbsent(loop, n -> new HashMap<>());
        double[] previous = forLoop.put(source, new double[] {value, ++sequence});
        try {
            apply(loop, loops.get(loop));
        } catch (RuntimeException refused) {
            restore(source, loop, previous);
            throw refused;
        }
        return previous;
    }

    private void restore(String source, String loop, double[] previous) {
        Map<String, double[]> forLoop = commands.get(loop);
        if (previous == null) {
            forLoop.remove(source);
        } else {
            forLoop.put(source, previous);
        }
        apply(loop, loops.get(loop));
    }

    /** Hands the loop its owner's value, or 0 when no command is left. */
    private void apply(String name, TunableLoop l) {
        String best = null;
        for (Map.Entry<String, double[]> e : commands.getOrDefault(name, Map.of()).entrySet()) {
            if (best == null) {
                best = e.getKey();
                continue;
            }
            int p = sources.get(e.getKey()).priority();
            int bp = sources.get(best).priority();
            if (p > bp || (p == bp && e.getValue()[1] > commands.get(name).get(best)[1])) {
                best = e.getKey();
            }
        }
        if (best == null) {
            if (owners.remove(name) != null) {
                l.setSetpoint(0.0);
            }
            return;
        }
        CommandSource s = sources.get(best);
        double v = commands.get(name).get(best)[0];
        if (s.leased()) {
            l.setSetpoint(v, System.nanoTime() + s.leaseMillis() * 1_000_000L);
        } else {
            l.setSetpoint(v);
        }
        owners.put(name, best);
    }

    @Override
    public synchronized boolean twist(String source, double linearMetersPerSecond, double angularRadiansPerSecond) {
        calls.add("twist " + source + " " + linearMetersPerSecond + " " + angularRadiansPerSecond);
        source(source);
        DriveGeometry g = geometry;
        loop(g.leftLoop());
        loop(g.rightLoop());
        checkMayMove();
        double[] previousLeft = command(source, g.leftLoop(), g.leftWheel(linearMetersPerSecond, angularRadiansPerSecond));
        try {
            command(source, g.rightLoop(), g.rightWheel(linearMetersPerSecond, angularRadiansPerSecond));
        } catch (RuntimeException refused) {
            restore(source, g.leftLoop(), previousLeft); // neither wheel changes
            throw refused;
        }
        return source.equals(owners.get(g.leftLoop())) && source.equals(owners.get(g.rightLoop()));
    }

    @Override
    public synchronized void release(String source) {
        calls.add("release " + source);
        source(source);
        for (Map.Entry<String, Map<String, double[]>> e : commands.entrySet()) {
            if (e.getValue().remove(source) != null) {
                apply(e.getKey(), loops.get(e.getKey()));
            }
        }
    }

    @Override
    public String estop(String source, String reason) {
        calls.add("estop " + source + " " + reason);
        String why = reason == null || reason.isBlank() ? "e-stop" : reason;
        if (supervisor != null) {
            supervisor.estop(source, why);
        }
        clearAll();
        return supervisor != null ? "tripped by estop:" + source : "no safety supervisor is running: every board's motion permit revoked";
    }

    private synchronized void clearAll() {
        for (String name : new ArrayList<>(owners.keySet())) {
            loops.get(name).setSetpoint(0.0);
        }
        commands.clear();
        owners.clear();
    }

    @Override
    public void reset(String source) {
        calls.add("reset " + source);
        if (!source(source).mayReset()) {
            throw new SecurityException("source '" + source + "' may not reset a trip (armature.motion sources)");
        }
        if (supervisor == null) {
            throw new IllegalStateException("no safety supervisor is running: nothing to reset");
        }
        clearAll();
        supervisor.reset(source);
    }

    @Override
    public List<CommandSource> sources() {
        return List.copyOf(sources.values());
    }

    @Override
    public synchronized Optional<String> owner(String loop) {
        return Optional.ofNullable(owners.get(loop));
    }

    @Override
    public DriveGeometry geometry() {
        return geometry;
    }
}
