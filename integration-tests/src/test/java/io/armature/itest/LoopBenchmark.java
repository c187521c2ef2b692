package io.armature.itest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import io.armature.control.ControlLoop;
import io.armature.control.LatenessCauses;
import io.armature.control.LoopStatistics;

/**
 * The loop engine against cyclictest (rt-tests), compared like with like: the same rate,
 * SCHED_FIFO priority and CPU, in interleaved slices (cyclictest, engine sleeping only, engine
 * spinning before each deadline, again...), histograms pooled per side. Both sides count every
 * deadline, a missed one with its true lateness; neither discards a warm-up. Each side's CPU
 * time (what a spin costs) is printed beside its tail.
 *
 * <p>Under three placements: the kernel's (the engine's default); the loops pinned to one CPU
 * with the JVM's other threads off it; and that with the idle poller keeping the CPU awake. The
 * placement and poller are the engine's own (its configuration, written as an operator would),
 * and are in force for cyclictest's slices too, which run pinned to the same CPU. Each idle and
 * with a thread allocating about 300 MB/s; then at 10 kHz against {@code cyclictest -i 100}.
 * Prints figures and same-run ratios; asserts nothing.
 *
 * <p>The engine runs inside the real sim-rover runtime (its wheel loops run beside it, as they
 * would on the robot); the benchmark's loop is an empty {@link ControlLoop} service, so both
 * sides measure wake-up alone. At 1 kHz the benchmark's loop joins the wheel loops' thread
 * and runs first in each tick (its name sorts first); at 10 kHz it does not fit that thread's
 * schedule and has a thread of its own. The CPU time printed is that of all the engine's loop
 * threads, the two wheel loops' included: what the robot pays for its loops.
 *
 * <p>Each engine slice also says why its late deadlines were late (the engine's attribution:
 * during a JVM safepoint, a GC pause among them, or outside the JVM).
 *
 * <p>Arguments: [pairs (5)] [slice seconds (3)] [rate Hz (1000)] [priority (80)] [CPU (the last online)].
 * System properties choose a part: {@code loop.placements} (indexes, default "0,1,2"),
 * {@code loop.spins} (the engine sides' spins in µs, default "0,100"), {@code loop.10kHz} (default true).
 */
public final class LoopBenchmark {

    private static final int BUCKETS = 20_000; // 1 us buckets up to 20 ms; the last holds the rest
    private static final String ENGINE_PID = "armature.control.engine";
    private static final String ENGINE_CLASS = "io.armature.control.internal.LoopEngine";

    /** Where the loops run: the kernel's choice, or pinned to a CPU, with or without the idle poller. */
    private record Placement(String label, int cpu, boolean poller) {
    }

    /** One side of a comparison: cyclictest, or the engine with this spin. */
    private record Side(String label, int spinMicros) {
        boolean cyclictest() {
            return spinMicros < 0;
        }
    }

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double sliceSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int priority = args.length > 3 ? Integer.parseInt(args[3]) : 80;
        int cpu = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors() - 1;

        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            System.out.printf(Locale.ROOT, "loop benchmark: %d Hz, SCHED_FIFO %d, %d interleaved rounds of %.1f s slices, GC %s, %d CPUs, "
                    + "cpuidle driver: %s%n", rate, priority, pairs, sliceSeconds, gcNames(), Runtime.getRuntime().availableProcessors(),
                    readOr("/sys/devices/system/cpu/cpuidle/current_driver", "none"));
            List<Placement> placements = List.of(new Placement("kernel's placement, no poller", -1, false),
                    new Placement("loops on CPU " + cpu + ", others off it, no poller", cpu, false),
                    new Placement("loops on CPU " + cpu + ", others off it, idle poller on CPU " + cpu, cpu, true));
            List<Side> sides = new java.util.ArrayList<>(List.of(new Side("cyclictest", -1)));
            for (String spin : System.getProperty("loop.spins", "0,100").split(",")) {
                sides.add(new Side("engine spin " + spin.trim(), Integer.parseInt(spin.trim())));
            }
            for (String index : System.getProperty("loop.placements", "0,1,2").split(",")) {
                Placement placement = placements.get(Integer.parseInt(index.trim()));
                run(robot, placement, "idle", sides, pairs, sliceSeconds, rate, priority);
                AtomicBoolean allocating = new AtomicBoolean(true);
                Thread load = new Thread(() -> allocate(allocating, 300L << 20), "allocation-load");
                load.setDaemon(true);
                load.start();
                try {
                    run(robot, placement, "allocating ~300 MB/s", sides, pairs, sliceSeconds, rate, priority);
                } finally {
                    allocating.set(false);
                    load.join();
                }
            }
            if (Boolean.parseBoolean(System.getProperty("loop.10kHz", "true"))) {
                // 10 kHz: the spin may be half the period at most, 50 us
                run(robot, placements.get(2), "idle", List.of(new Side("cyclictest -i 100", -1), new Side("engine spin 0", 0),
                        new Side("engine spin 50", 50)), pairs, sliceSeconds, 10_000, priority);
            }
            configure(robot, new Placement("as shipped", -1, false), 100); // (attribution stays on: the runtime ends here)
        }
    }

    private static void run(FeatureRuntime robot, Placement placement, String load, List<Side> sides, int pairs, double seconds, int rate,
            int priority) throws Exception {
        long periodMicros = 1_000_000L / rate;
        long[][] counts = new long[sides.size()][BUCKETS];
        double[] cpuSeconds = new double[sides.size()];
        double[] wallSeconds = new double[sides.size()];
        long[] skipped = new long[sides.size()];
        long[][] causes = new long[sides.size()][6];
        double bytesPerCycle = 0;
        int byteSamples = 0;
        double pollerCpu = 0;
        double pollerWall = 0;
        for (int i = 0; i < pairs; i++) {
            for (int s = 0; s < sides.size(); s++) {
                Side side = sides.get(s);
                configure(robot, placement, side.cyclictest() ? 100 : side.spinMicros());
                Thread poller = thread("armature-idle-poller-cpu" + placement.cpu);
                long pollerBefore = cpuNanos(poller);
                long wallBefore = System.nanoTime();
                Slice slice = side.cyclictest() ? cyclictest(rate, priority, placement.cpu, seconds) : engineSlice(robot, rate, seconds, i * 10 + s);
                if (poller != null) {
                    pollerCpu += (cpuNanos(poller) - pollerBefore) * 1e-9;
                    pollerWall += (System.nanoTime() - wallBefore) * 1e-9;
                }
                add(counts[s], slice.counts);
                cpuSeconds[s] += slice.cpuSeconds;
                wallSeconds[s] += seconds;
                skipped[s] += slice.overruns;
                for (int k = 0; k < 6; k++) {
                    causes[s][k] += slice.causes[k];
                }
                if (!side.cyclictest() && !Double.isNaN(slice.bytesPerCycle)) {
                    bytesPerCycle += slice.bytesPerCycle;
                    byteSamples++;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n[%d Hz; %s; %s]%n", rate, placement.label, load);
        System.out.printf(Locale.ROOT, "%-18s %10s %8s %9s %12s %8s %9s %s%n", "", "deadlines", "p99 us", "p99.9 us", "missed/10^4", ">500 us",
                "CPU %", "periods skipped");
        double[] p99 = new double[sides.size()];
        double[] p999 = new double[sides.size()];
        for (int s = 0; s < sides.size(); s++) {
            long[] c = counts[s];
            p99[s] = percentile(c, 99);
            p999[s] = percentile(c, 99.9);
            // a deadline a whole period or more late was missed, on either side
            System.out.printf(Locale.ROOT, "%-18s %10d %8.0f %9.0f %12.2f %8d %9.1f %s%n", sides.get(s).label, total(c), p99[s], p999[s],
                    1e4 * countFrom(c, periodMicros) / Math.max(1, total(c)), countFrom(c, 500), 100 * cpuSeconds[s] / wallSeconds[s],
                    sides.get(s).cyclictest() ? "- (catches up in a burst)" : Long.toString(skipped[s]));
        }
        System.out.println("(CPU %: cyclictest's one thread; the engine's loop threads, with the two wheel loops beside the benchmark's)");
        for (int s = 1; s < sides.size(); s++) {
            long[] c = causes[s];
            System.out.printf(Locale.ROOT, "%s: %d deadlines late (>= %d us): %d in JVM safepoints (%d in GC pauses), %d outside the JVM, "
                    + "%d after its own cycle overran, %d not attributed%n", sides.get(s).label, c[0], Math.max(periodMicros / 10, 50), c[1], c[2], c[3],
                    c[5], c[4]);
        }
        for (int s = 1; s < sides.size(); s++) {
            System.out.printf(Locale.ROOT, "ratio %s/cyclictest: p99 %.2f, p99.9 %.2f%n", sides.get(s).label, p99[s] / Math.max(1, p99[0]),
                    p999[s] / Math.max(1, p999[0]));
        }
        System.out.printf(Locale.ROOT, "engine bytes allocated per cycle: %s (target 0)%n",
                byteSamples == 0 ? "not measured" : String.format(Locale.ROOT, "%.2f", bytesPerCycle / byteSamples));
        if (pollerWall > 0) {
            System.out.printf(Locale.ROOT, "idle poller: %.0f %% of CPU %d, taken only while it had nothing else to run%n", 100 * pollerCpu / pollerWall,
                    placement.cpu);
        }
    }

    /** @param causes late deadlines: total, in safepoints, in GC pauses, outside the JVM, not attributed, own cycle overran */
    private record Slice(long[] counts, long overruns, double bytesPerCycle, double cpuSeconds, long[] causes) {
    }

    /** One slice of the engine: an empty loop service, run for the slice from its first deadline, as cyclictest is. */
    private static Slice engineSlice(FeatureRuntime robot, int rate, double seconds, int index) throws Exception {
        String name = "bench" + index;
        ServiceRegistration<ControlLoop> reg = registerEmptyLoop(robot, name, rate);
        try {
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=" + name + ")", 5_000);
            // every loop thread of the engine, the wheel loops' too: one shared thread, or one per loop, each spinning
            List<Thread> loopThreads = loopThreads();
            long cpuBefore = cpuNanos(loopThreads);
            Thread.sleep((long) (seconds * 1000));
            // the loop started with its registration: its histogram since start is the whole slice
            long[] counts = stats.latenessCounts(1000, BUCKETS);
            long overruns = stats.overruns();
            double bytes = stats.allocatedBytesPerCycle();
            double cpu = (cpuNanos(loopThreads) - cpuBefore) * 1e-9;
            // the flight recorder reports a second or two after the fact: let the late ones of the slice be attributed
            LatenessCauses atEnd = stats.latenessCauses();
            long late = atEnd.late();
            Poll.until(4_000, () -> { LatenessCauses c = stats.latenessCauses(); return c.overran() + c.safepoint() + c.outsideJvm() >= late; });
            LatenessCauses c = stats.latenessCauses();
            long outside = Math.min(c.outsideJvm(), late - c.overran() - c.safepoint()); // of the slice's late ones, not later ones
            return new Slice(counts, overruns, bytes, cpu, new long[] {late, c.safepoint(), c.gcPause(), outside,
                    Math.max(0, late - c.overran() - c.safepoint() - c.outsideJvm()), c.overran()});
        } finally {
            reg.unregister();
        }
    }

    /**
     * Writes the engine's placement, poller and spin into its configuration file, as an operator
     * would, and waits for the engine to come back with them. Does nothing when they are in force.
     */
    private static void configure(FeatureRuntime robot, Placement placement, int spinMicros) throws Exception {
        Path cfg = robot.configDir().resolve(ENGINE_PID + ".cfg");
        Map<String, String> want = Map.of("cpu", Integer.toString(placement.cpu), "idlePoller", Boolean.toString(placement.poller), "spinMicros",
                Integer.toString(spinMicros), "attributeLateness", "true");
        List<String> lines = Files.readAllLines(cfg);
        List<String> changed = new java.util.ArrayList<>(lines.stream().map(l -> {
            int eq = l.indexOf('=');
            String key = eq < 0 || l.startsWith("#") ? null : l.substring(0, eq);
            return key != null && want.containsKey(key) ? key + "=" + want.get(key) : l;
        }).toList());
        want.forEach((key, value) -> {
            if (changed.stream().noneMatch(l -> l.startsWith(key + "="))) {
                changed.add(key + "=" + value);
            }
        });
        if (changed.equals(lines)) {
            return;
        }
        long before = engineId(robot);
        Path tmp = cfg.resolveSibling(cfg.getFileName() + ".tmp");
        Files.write(tmp, changed);
        Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (!Poll.until(10_000, () -> engineId(robot) > before)) {
            throw new IllegalStateException("the loop engine did not come back with " + want + " within 10 s (service id " + before + ", now "
                    + engineId(robot) + ")");
        }
        Thread.sleep(300); // the sim-rover's own loops start again beside the benchmark's
    }

    private static long engineId(FeatureRuntime robot) {
        try {
            ServiceReference<?>[] refs = robot.context().getAllServiceReferences(ENGINE_CLASS, null); // its class is not on this class path
            return refs == null ? -1 : (Long) refs[0].getProperty(Constants.SERVICE_ID);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Thread thread(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** @return the engine's loop threads: armature-loops, or armature-loop-&lt;name&gt; each (not the restarter, which only waits) */
    private static List<Thread> loopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("armature-loop") && !t.getName().equals("armature-loop-restarter")).toList();
    }

    private static long cpuNanos(List<Thread> threads) {
        return threads.stream().mapToLong(LoopBenchmark::cpuNanos).sum();
    }

    private static long cpuNanos(Thread t) {
        return t == null ? 0 : Math.max(0, ManagementFactory.getThreadMXBean().getThreadCpuTime(t.getId()));
    }

    /** Registers a loop that does nothing, so that its statistics measure the engine's wake-up alone. */
    static ServiceRegistration<ControlLoop> registerEmptyLoop(FeatureRuntime robot, String name, double rateHz) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ControlLoop.PROPERTY_NAME, name);
        props.put(ControlLoop.PROPERTY_RATE, rateHz);
        return robot.context().registerService(ControlLoop.class, new ControlLoop() {
            @Override
            public void cycle(long nowNanos, double dtSeconds) {
            }

            @Override
            public void stopOutputs() {
            }
        }, props);
    }

    /**
     * One slice of cyclictest: one thread, same rate, priority and CPU, memory locked, 1 us
     * histogram; its CPU time from the shell's {@code times}, which counts its children's.
     */
    private static Slice cyclictest(int rate, int priority, int cpu, double seconds) throws Exception {
        long loops = Math.round(seconds * rate);
        String command = "cyclictest -m -q -t1 -p" + priority + " -i" + (1_000_000 / rate) + " -l" + loops + " -h" + (BUCKETS - 1)
                + (cpu >= 0 ? " -a" + cpu : "") + " && times";
        Process p = new ProcessBuilder(List.of("bash", "-c", command)).redirectErrorStream(true).start();
        long[] counts = new long[BUCKETS];
        List<String> times = new java.util.ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("# Histogram Overflows:")) {
                    counts[BUCKETS - 1] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                } else if (!line.startsWith("#") && line.matches("\\d+ \\d+")) {
                    String[] f = line.split(" ");
                    int us = Integer.parseInt(f[0]);
                    counts[Math.min(us, BUCKETS - 1)] += Long.parseLong(f[1]);
                } else if (line.matches("\\d+m[\\d.]+s \\d+m[\\d.]+s")) {
                    times.add(line);
                }
            }
        }
        if (p.waitFor() != 0 || times.size() != 2) {
            throw new IllegalStateException("cyclictest failed (exit " + p.exitValue() + "); is rt-tests installed and are we root?");
        }
        double cpuSeconds = 0;
        for (String t : times.get(1).split(" ")) { // the second line: the children's user and system time
            cpuSeconds += Integer.parseInt(t.substring(0, t.indexOf('m'))) * 60 + Double.parseDouble(t.substring(t.indexOf('m') + 1, t.length() - 1));
        }
        return new Slice(counts, 0, Double.NaN, cpuSeconds, new long[6]);
    }

    private static void allocate(AtomicBoolean running, long bytesPerSecond) {
        int chunk = 64 * 1024;
        long chunksPerMilli = Math.max(1, bytesPerSecond / chunk / 1000);
        byte[][] keep = new byte[256][];
        int k = 0;
        long next = System.nanoTime();
        while (running.get()) {
            for (int i = 0; i < chunksPerMilli; i++) {
                keep[k++ & 255] = new byte[chunk]; // some survive a while, like a real workload's
            }
            next += 1_000_000;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    /** A loop's lateness histogram (1 us buckets) and skipped periods over one slice of time. */
    record LatenessSlice(long[] counts, long overruns) {
    }

    /** @return the lateness (1 us buckets, {@code buckets} of them) and skipped periods of a running loop over {@code seconds} */
    static LatenessSlice slice(io.armature.control.LoopStatistics stats, double seconds, int buckets) throws InterruptedException {
        long[] start = stats.latenessCounts(1000, buckets);
        long overruns = stats.overruns();
        Thread.sleep((long) (seconds * 1000));
        long[] end = stats.latenessCounts(1000, buckets);
        for (int i = 0; i < buckets; i++) {
            end[i] -= start[i];
        }
        return new LatenessSlice(end, stats.overruns() - overruns);
    }

    static void add(long[] into, long[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] += from[i];
        }
    }

    static long total(long[] counts) {
        long t = 0;
        for (long c : counts) {
            t += c;
        }
        return t;
    }

    static long countFrom(long[] counts, long fromMicros) {
        long t = 0;
        for (int i = (int) Math.min(fromMicros, counts.length - 1); i < counts.length; i++) {
            t += counts[i];
        }
        return t;
    }

    static double percentile(long[] counts, double p) {
        long n = total(counts);
        long target = (long) Math.ceil(n * p / 100.0);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= target) {
                return i + 1; // upper edge of the 1 us bucket
            }
        }
        return counts.length;
    }

    private static String readOr(String file, String otherwise) {
        String s = io.armature.kit.realtime.CpuPlacement.read(Path.of(file));
        return s.isEmpty() ? otherwise : s;
    }

    static String gcNames() {
        StringBuilder b = new StringBuilder();
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            b.append(b.length() == 0 ? "" : ", ").append(gc.getName());
        }
        return b.toString();
    }
}
