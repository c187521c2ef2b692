package io.armature.itest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.framework.ServiceRegistration;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;

/**
 * The loop engine against cyclictest (rt-tests) at the same rate and SCHED_FIFO priority, in
 * interleaved slices (cyclictest, engine, cyclictest, engine...), histograms pooled per side.
 * Prints p99 and p99.9 of both and their ratio, missed deadlines per 10^4 cycles and bytes
 * allocated per cycle; then again with a background thread allocating about 300 MB/s, and the
 * count of wake-ups later than 500 us on each side. Prints figures; asserts nothing.
 *
 * <p>The engine runs inside the real sim-rover runtime (its wheel loops idle beside it); the
 * benchmark's loop is an empty {@link ControlLoop} service, so both sides measure wake-up alone.
 *
 * <p>Arguments: [pairs (10)] [slice seconds (3)] [rate Hz (1000)] [priority (80)].
 */
public final class LoopBenchmark {

    private static final int BUCKETS = 20_000; // 1 us buckets up to 20 ms; the last holds the rest

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double sliceSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int priority = args.length > 3 ? Integer.parseInt(args[3]) : 80;
        long periodMicros = 1_000_000L / rate;

        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            System.out.printf(Locale.ROOT, "loop benchmark: %d Hz, SCHED_FIFO %d, %d interleaved pairs of %.1f s slices, GC %s%n", rate, priority,
                    pairs, sliceSeconds, gcNames());
            run(robot, "idle", pairs, sliceSeconds, rate, priority, periodMicros);
            AtomicBoolean allocating = new AtomicBoolean(true);
            Thread load = new Thread(() -> allocate(allocating, 300L << 20), "allocation-load");
            load.setDaemon(true);
            load.start();
            try {
                run(robot, "allocating ~300 MB/s", pairs, sliceSeconds, rate, priority, periodMicros);
            } finally {
                allocating.set(false);
            }
        }
    }

    private static void run(FeatureRuntime robot, String label, int pairs, double seconds, int rate, int priority, long periodMicros)
            throws Exception {
        long[] cyclic = new long[BUCKETS];
        long[] engine = new long[BUCKETS];
        long engineOverruns = 0;
        double bytesPerCycle = 0;
        int byteSamples = 0;
        for (int i = 0; i < pairs; i++) {
            add(cyclic, cyclictest(rate, priority, seconds));
            Slice s = engineSlice(robot, rate, seconds, i);
            add(engine, s.counts);
            engineOverruns += s.overruns;
            if (!Double.isNaN(s.bytesPerCycle)) {
                bytesPerCycle += s.bytesPerCycle;
                byteSamples++;
            }
        }
        // a wake-up a whole period or more late missed its deadline, on either side
        long cyclicMissed = countFrom(cyclic, periodMicros);
        long engineMissed = countFrom(engine, periodMicros);
        double c99 = percentile(cyclic, 99);
        double c999 = percentile(cyclic, 99.9);
        double e99 = percentile(engine, 99);
        double e999 = percentile(engine, 99.9);
        System.out.printf(Locale.ROOT, "%n[%s]%n", label);
        System.out.printf(Locale.ROOT, "%-12s %10s %8s %9s %14s %12s %s%n", "", "wake-ups", "p99 us", "p99.9 us", "missed/10^4", ">500 us",
                "periods skipped");
        System.out.printf(Locale.ROOT, "%-12s %10d %8.0f %9.0f %14.2f %12d %s%n", "cyclictest", total(cyclic), c99, c999,
                1e4 * cyclicMissed / Math.max(1, total(cyclic)), countFrom(cyclic, 500), "- (catches up in a burst)");
        System.out.printf(Locale.ROOT, "%-12s %10d %8.0f %9.0f %14.2f %12d %d%n", "engine", total(engine), e99, e999,
                1e4 * engineMissed / Math.max(1, total(engine)), countFrom(engine, 500), engineOverruns);
        System.out.printf(Locale.ROOT, "ratio engine/cyclictest: p99 %.2f, p99.9 %.2f (target p99.9 <= 1.5)%n", e99 / Math.max(1, c99),
                e999 / Math.max(1, c999));
        System.out.printf(Locale.ROOT, "engine bytes allocated per cycle: %s (target 0)%n",
                byteSamples == 0 ? "not measured" : String.format(Locale.ROOT, "%.2f", bytesPerCycle / byteSamples));
    }

    private record Slice(long[] counts, long overruns, double bytesPerCycle) {
    }

    /** One slice of the engine: an empty loop service, run for the slice, its first 100 ms left out. */
    private static Slice engineSlice(FeatureRuntime robot, int rate, double seconds, int index) throws Exception {
        String name = "bench" + index;
        ServiceRegistration<ControlLoop> reg = registerEmptyLoop(robot, name, rate);
        try {
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=" + name + ")", 5_000);
            Thread.sleep(100);
            LatenessSlice s = slice(stats, seconds, BUCKETS);
            return new Slice(s.counts(), s.overruns(), stats.allocatedBytesPerCycle());
        } finally {
            reg.unregister();
        }
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

    /** One slice of cyclictest: one thread, same rate and priority, memory locked, 1 us histogram. */
    private static long[] cyclictest(int rate, int priority, double seconds) throws Exception {
        long loops = Math.round(seconds * rate);
        Process p = new ProcessBuilder(List.of("cyclictest", "-m", "-q", "-t1", "-p" + priority, "-i" + (1_000_000 / rate),
                "-l" + loops, "-h" + (BUCKETS - 1))).redirectErrorStream(true).start();
        long[] counts = new long[BUCKETS];
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("# Histogram Overflows:")) {
                    counts[BUCKETS - 1] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                } else if (!line.startsWith("#") && line.matches("\\d+ \\d+")) {
                    String[] f = line.split(" ");
                    int us = Integer.parseInt(f[0]);
                    counts[Math.min(us, BUCKETS - 1)] += Long.parseLong(f[1]);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("cyclictest failed (exit " + p.exitValue() + "); is rt-tests installed and are we root?");
        }
        return counts;
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

    static String gcNames() {
        StringBuilder b = new StringBuilder();
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            b.append(b.length() == 0 ? "" : ", ").append(gc.getName());
        }
        return b.toString();
    }
}
