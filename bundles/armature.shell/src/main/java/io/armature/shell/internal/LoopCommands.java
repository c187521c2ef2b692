package io.armature.shell.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.kit.service.NamedServices;
import io.armature.motion.MotionCommands;

/** {@code robot:loops}, {@code robot:setpoint}, {@code robot:pid}, {@code robot:controller}. */
@Component(service = LoopCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=loops",
        "osgi.command.function=setpoint",
        "osgi.command.function=pid",
        "osgi.command.function=controller"})
public final class LoopCommands {

    // During a side-by-side update two instances of a loop share a name: commands go to the one
    // that drives, statistics come from the newer engine.
    private final NamedServices<TunableLoop> loops = NamedServices.byProperty(ControlLoop.PROPERTY_NAME, all -> {
        for (TunableLoop l : all) {
            if (!l.isStandby()) {
                return l;
            }
        }
        return all.get(0);
    });
    private final NamedServices<LoopStatistics> statistics = NamedServices.byProperty(ControlLoop.PROPERTY_NAME);

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop, Map<String, Object> props) {
        loops.add(loop, props);
    }

    void removeLoop(TunableLoop loop) {
        loops.remove(loop);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStatistics(LoopStatistics s, Map<String, Object> props) {
        statistics.add(s, props);
    }

    void removeStatistics(LoopStatistics s) {
        statistics.remove(s);
    }

    /** robot:loops — one line per loop. */
    public String loops() {
        java.util.Set<String> names = new java.util.TreeSet<>(loops.names());
        names.addAll(statistics.names());
        if (names.isEmpty()) {
            return "no control loop is running";
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-8s %7s %10s %10s %8s %9s %10s %8s %8s %-10s %s%n",
                "LOOP", "RATE Hz", "SETPOINT", "MEASURED", "OUTPUT", "P99 us", "P99.9 us", "OVERRUNS", "B/CYCLE", "CONTROLLER", "PRIORITY"));
        for (String name : names) {
            TunableLoop l = loops.get(name);
            LoopStatistics s = statistics.get(name);
            out.append(String.format(Locale.ROOT, "%-8s %7s %10s %10s %8s %9s %10s %8s %8s %-10s %s%n", name,
                    s == null ? "-" : String.format(Locale.ROOT, "%.0f", s.rateHz()),
                    l == null ? "-" : String.format(Locale.ROOT, "%.2f", l.setpoint()),
                    l == null ? "-" : String.format(Locale.ROOT, "%.2f", l.measurement()),
                    l == null ? "-" : String.format(Locale.ROOT, "%.3f", l.output()),
                    s == null ? "-" : micros(s.latenessNanos(99.0)),
                    s == null ? "-" : micros(s.latenessNanos(99.9)),
                    s == null ? "-" : Long.toString(s.overruns()),
                    s == null || Double.isNaN(s.allocatedBytesPerCycle()) ? "-" : String.format(Locale.ROOT, "%.1f", s.allocatedBytesPerCycle()),
                    l == null ? "-" : l.controller(),
                    s == null ? "-" : s.realTime() ? "SCHED_FIFO" : "normal"));
            if (s != null && s.latenessCauses().late() > 0) {
                io.armature.control.LatenessCauses c = s.latenessCauses();
                out.append(String.format(Locale.ROOT, "         late deadlines %d: own cycle overran %d, JVM safepoint %d (GC pause %d), outside the JVM %d, "
                        + "lost %d, not yet attributed %d%n", c.late(), c.overran(), c.safepoint(), c.gcPause(), c.outsideJvm(), c.lost(), c.pending()));
            }
            if (l != null && l.fault().isPresent()) {
                out.append("         fault: ").append(l.fault().get()).append('\n');
            }
            if (s != null && s.failure().isPresent()) {
                out.append("         FAILED: ").append(s.failure().get()).append('\n');
            } else if (s != null && s.restarts() > 0) {
                out.append("         restarted ").append(s.restarts()).append(" times after its cycle threw\n");
            }
        }
        // which real-time thread runs which loops, in the order it runs them
        java.util.Set<String> executors = new java.util.TreeSet<>();
        for (String name : names) {
            LoopStatistics s = statistics.get(name);
            if (s != null) {
                executors.add(s.executor());
            }
        }
        for (String e : executors) {
            out.append("thread ").append(e).append('\n');
        }
        return out.toString().stripTrailing();
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1000.0);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands commands;

    /** robot:setpoint &lt;loop&gt; &lt;value&gt; — through the motion-command path, as the shell's source */
    public String setpoint(String loop, String value) {
        TunableLoop l = loop(loop);
        double v = parse(value, "setpoint");
        MotionCommands c = commands;
        if (c == null) {
            throw new IllegalStateException("no motion-command service is running (bundle armature.motion)");
        }
        if (!c.setpoint(RobotCommands.SOURCE, l.name(), v)) {
            return l.name() + " setpoint " + format(v) + " " + l.unit() + " held: '" + c.owner(l.name()).orElse("?")
                    + "' has priority over the shell on this loop";
        }
        return l.name() + " setpoint " + format(l.setpoint()) + " " + l.unit();
    }

    /** robot:pid &lt;loop&gt; — prints the gains. */
    public String pid(String loop) {
        TunableLoop l = loop(loop);
        PidGains g = l.gains();
        return String.format(Locale.ROOT, "%s kp %s ki %s kd %s ks %s kv %s", l.name(), format(g.kp()), format(g.ki()), format(g.kd()),
                format(g.ks()), format(g.kv()));
    }

    /** robot:pid &lt;loop&gt; &lt;kp&gt; &lt;ki&gt; &lt;kd&gt; — new gains from the next cycle, bumplessly. */
    public String pid(String loop, String kp, String ki, String kd) {
        TunableLoop l = loop(loop);
        l.setGains(l.gains().withPid(parse(kp, "kp"), parse(ki, "ki"), parse(kd, "kd")));
        return pid(loop);
    }

    /** robot:controller &lt;loop&gt; — prints the controller in force. */
    public String controller(String loop) {
        return loop(loop).name() + " controller " + loop(loop).controller();
    }

    /** robot:controller &lt;loop&gt; &lt;name&gt; — switches at the next cycle boundary. */
    public String controller(String loop, String name) {
        TunableLoop l = loop(loop);
        l.switchController(name);
        return l.name() + " switches to controller " + name + " at the next cycle (rolls back by itself if it fails)";
    }

    private TunableLoop loop(String name) {
        TunableLoop l = loops.get(name);
        if (l == null) {
            List<String> known = List.copyOf(loops.names());
            throw new IllegalArgumentException("no loop '" + name + "'; loops: " + (known.isEmpty() ? "none running" : String.join(", ", known)));
        }
        return l;
    }

    static double parse(String text, String what) {
        double v;
        try {
            v = Double.parseDouble(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number, was '" + text + "'");
        }
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be a finite number, was " + text);
        }
        return v;
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+(e|$)", "$1");
    }
}
