package io.armature.control.internal;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

import org.HdrHistogram.Histogram;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.armature.control.ControlLoop;
import io.armature.kit.realtime.CpuPlacement;
import io.armature.kit.realtime.RealTimePriority;

/**
 * {@code robot:latency}, a cyclictest-like self test of the loop engine on this host, and
 * {@code robot:syscheck}, what limits real-time behaviour here and what to set instead.
 */
@Component(service = RealtimeCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=latency",
        "osgi.command.function=syscheck"})
public final class RealtimeCommands {

    private final LoopEngine engine;
    private final Path root;

    @Activate
    public RealtimeCommands(@Reference LoopEngine engine) {
        this(engine, Path.of("/"));
    }

    RealtimeCommands(LoopEngine engine, Path root) {
        this.engine = engine;
        this.root = root;
    }

    /** robot:latency &lt;rate Hz&gt; &lt;seconds&gt; — runs an empty loop and reports its wake-up lateness. */
    public String latency(String rate, String seconds) throws InterruptedException {
        double hz = number(rate, "rate", 1, 100_000);
        double secs = number(seconds, "seconds", 1, 600);
        LoopRunner runner = new LoopRunner("latency-test", new ControlLoop() {
            @Override
            public void cycle(long nowNanos, double dtSeconds) {
            }

            @Override
            public void stopOutputs() {
            }
        }, hz, engine.settings(), null);
        runner.start();
        Thread.sleep((long) (secs * 1000));
        runner.stop();
        return report(runner.latenessHistogram(), runner.overruns(), runner.periodNanos(), runner.realTimeMessage(), runner.realTime());
    }

    static String report(Histogram h, long overruns, long periodNanos, String priority, boolean realTime) {
        double p99 = h.getValueAtPercentile(99.0) / 1000.0;
        double p999 = h.getValueAtPercentile(99.9) / 1000.0;
        double max = h.getMaxValue() / 1000.0;
        double period = periodNanos / 1000.0;
        String verdict;
        if (overruns == 0 && p999 <= period * 0.1) {
            verdict = "GOOD: the 99.9th percentile is within 10% of the period";
        } else if (overruns == 0 && p999 <= period * 0.5) {
            verdict = "FAIR: the 99.9th percentile is within half the period; see robot:syscheck";
        } else {
            verdict = "POOR: wake-ups come late by a large part of the period" + (overruns > 0 ? " and " + overruns + " deadlines were missed" : "")
                    + "; see robot:syscheck";
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "deadlines %d at %.0f Hz, %s%n", h.getTotalCount(), 1e6 / period,
                realTime ? "SCHED_FIFO" : "normal priority (" + priority + ")"));
        out.append(String.format(Locale.ROOT, "lateness us: min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
                h.getMinValue() / 1000.0, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0, p99, p999, max));
        out.append("histogram (us: deadlines):");
        long[] edges = {10, 20, 50, 100, 200, 500, 1000, 5000};
        long previous = 0;
        for (long edge : edges) {
            long count = h.getCountBetweenValues(previous * 1000, edge * 1000 - 1);
            out.append(String.format(Locale.ROOT, "  <%d: %d", edge, count));
            previous = edge;
        }
        out.append(String.format(Locale.ROOT, "  >=%d: %d%n", previous, h.getCountBetweenValues(previous * 1000, Long.MAX_VALUE / 2)));
        out.append(String.format(Locale.ROOT, "overruns %d%n", overruns));
        out.append("verdict: ").append(verdict);
        return out.toString();
    }

    /** robot:syscheck — one line per setting that matters for real time, with the recommendation. */
    public String syscheck() {
        List<String[]> rows = new ArrayList<>();
        String version = read("proc/version");
        String realtimeFlag = read("sys/kernel/realtime");
        boolean rtKernel = "1".equals(realtimeFlag) || version.contains("PREEMPT_RT");
        rows.add(row("kernel preemption", rtKernel ? "PREEMPT_RT" : version.contains("PREEMPT") ? "PREEMPT (low latency)" : "not preemptible",
                "PREEMPT_RT kernel", rtKernel));
        String isolated = read("sys/devices/system/cpu/isolated");
        rows.add(row("isolated CPUs", isolated.isEmpty() ? "none" : isolated, "isolcpus=<cpu> for the loop threads", !isolated.isEmpty()));
        String rtRuntime = read("proc/sys/kernel/sched_rt_runtime_us");
        rows.add(row("sched_rt_runtime_us", rtRuntime.isEmpty() ? "unknown" : rtRuntime,
                "-1 (real-time threads are never throttled) or 950000", "-1".equals(rtRuntime) || "950000".equals(rtRuntime)));
        String nohz = read("sys/devices/system/cpu/nohz_full");
        rows.add(row("nohz_full CPUs", nohz.isEmpty() || "(null)".equals(nohz) ? "none" : nohz, "nohz_full=<real-time CPU> with isolcpus",
                !nohz.isEmpty() && !"(null)".equals(nohz)));
        List<String> engineState = engine.realTimeState();
        int cpu = engine.settings().cpu();
        int online = CpuPlacement.online(root).cardinality();
        rows.add(row("real-time CPU", engineState.get(1), online > 1 ? "cpu=<n> (armature.control.engine): the loops on one CPU, the rest off it"
                : "one CPU online: nothing to place", cpu >= 0 || online <= 1));
        String driver = read("sys/devices/system/cpu/cpuidle/current_driver");
        boolean noDriver = driver.isEmpty() || "none".equals(driver);
        rows.add(row("cpuidle driver", noDriver ? "none (a halted CPU, as on a virtual machine, takes long to wake)" : driver,
                noDriver ? "idlePoller=true on the real-time CPU, or a host with a cpuidle driver" : "a PM QoS request held (below)",
                !noDriver || engineState.get(2).startsWith("polling")));
        rows.add(row("CPU wake-up latency", engineState.get(0), "held at 0 µs while loops run (cpuWakeLatencyMicros=0; needs root)",
                engineState.get(0).startsWith("CPU wake-up latency held")));
        rows.add(row("idle poller", engineState.get(2), noDriver ? "on (idlePoller=true, cpu=<n>)" : "off: the PM QoS request keeps CPUs awake",
                noDriver == engineState.get(2).startsWith("polling")));
        String swappiness = read("proc/sys/vm/swappiness");
        rows.add(row("vm.swappiness", swappiness.isEmpty() ? "unknown" : swappiness, "10 or less (or swap off)",
                !swappiness.isEmpty() && parseLong(swappiness) <= 10));
        String governor = read("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
        rows.add(row("CPU frequency governor", governor.isEmpty() ? "not exposed" : governor, "performance",
                governor.isEmpty() || "performance".equals(governor)));
        AtomicReference<RealTimePriority.Result> fifo = new AtomicReference<>();
        Thread probe = new Thread(() -> fifo.set(RealTimePriority.applyToCurrentThread(1)), "armature-syscheck");
        probe.start();
        try {
            probe.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RealTimePriority.Result r = fifo.get();
        boolean canFifo = r != null && r.applied();
        rows.add(row("SCHED_FIFO allowed", canFifo ? "yes" : "no" + (r == null ? "" : ": " + r.message()),
                "yes (root, or CAP_SYS_NICE on the service)", canFifo));
        List<String> gcs = new ArrayList<>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        String gc = String.join(", ", gcs);
        rows.add(row("garbage collector", gc, "ZGC (-XX:+UseZGC) with -Xms equal to -Xmx", gc.contains("ZGC")));

        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-24s %-8s %-60s %s%n", "SETTING", "STATUS", "NOW", "RECOMMENDED"));
        for (String[] row : rows) {
            out.append(String.format(Locale.ROOT, "%-24s %-8s %-60s %s%n", row[0], row[3], row[1], row[2]));
        }
        return out.toString().stripTrailing();
    }

    private static String[] row(String name, String now, String recommended, boolean ok) {
        return new String[] {name, now, recommended, ok ? "ok" : "ADVICE"};
    }

    private String read(String relative) {
        return CpuPlacement.read(root.resolve(relative));
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    static double number(String text, String what, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(text == null ? "" : text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a number " + fmt(min) + ".." + fmt(max) + ", was '" + text + "'");
        }
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(what + " must be " + fmt(min) + ".." + fmt(max) + ", was " + text);
        }
        return v;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
