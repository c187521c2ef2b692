package io.armature.itest;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.recording.Recorder;
import io.armature.recording.RecordingStatus;
import io.armature.safety.SafetySupervisor;

/**
 * What recording costs the robot. In the running sim-rover, with the left wheel at 10 rad/s, the
 * left loop's lateness is measured in interleaved slices with no recording and with a recording
 * of every stream (the IMU at 1 kHz, both encoders at 1 kHz, both loops' every cycle at 1 kHz).
 * Prints the bytes per second written, the samples lost (target 0), the bytes allocated per sample
 * on the producers' threads while recording, against the same threads while not (target 0 more),
 * and the loop's p99 and p99.9 lateness with recording over without (target p99 at most 1.1).
 * Prints figures; asserts nothing.
 *
 * <p>Arguments: [pairs (6)] [slice seconds (4)] [chunk compression: none, lz4 or zstd (none)].
 */
public final class RecordingBenchmark {

    private static final int BUCKETS = 20_000;
    /** The threads that produce what is recorded: the loops, the encoder samplers, the simulated IMU's. */
    private static final List<String> PRODUCERS = List.of("armature-loop", "armature-encoder-", "armature-imu");

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 4;
        String compression = args.length > 2 ? args[2] : "none";
        Path dir = Files.createTempDirectory("armature-recording-bench-");
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover", Map.of(),
                configDir -> Files.writeString(configDir.resolve("armature.recording.cfg"), "compression=" + compression + "\n"))) {
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 10_000);
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            Recorder recorder = robot.service(Recorder.class, null, 10_000);
            SafetySupervisor safety = robot.healthySupervisor();
            left.setSetpoint(10);
            Thread.sleep(1000);
            System.out.printf(Locale.ROOT, "recording benchmark: sim-rover, loop left at %.0f Hz (%s) holding 10 rad/s, %d interleaved pairs of "
                    + "%.1f s slices, every stream recorded in the 'with' slices (chunk compression %s), GC %s%n", stats.rateHz(),
                    stats.realTime() ? "SCHED_FIFO" : "normal priority", pairs, seconds, compression, LoopBenchmark.gcNames());

            long[] without = new long[BUCKETS];
            long[] with = new long[BUCKETS];
            long overrunsWithout = 0;
            long overrunsWith = 0;
            long bytes = 0;
            long messages = 0;
            long lost = 0;
            double recordedSeconds = 0;
            long allocatedWith = 0;
            long allocatedWithout = 0;
            List<String> streams = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                long a0 = producerAllocation();
                LoopBenchmark.LatenessSlice a = LoopBenchmark.slice(stats, seconds, BUCKETS);
                allocatedWithout += producerAllocation() - a0;
                LoopBenchmark.add(without, a.counts());
                overrunsWithout += a.overruns();

                recorder.start(dir.resolve("bench-" + i + ".mcap"), List.of(), 0);
                long b0 = producerAllocation();
                LoopBenchmark.LatenessSlice b = LoopBenchmark.slice(stats, seconds, BUCKETS);
                allocatedWith += producerAllocation() - b0;
                RecordingStatus done = recorder.stop().orElseThrow();
                LoopBenchmark.add(with, b.counts());
                overrunsWith += b.overruns();
                bytes += done.bytes();
                messages += done.messages().values().stream().mapToLong(Long::longValue).sum();
                lost += done.lost().values().stream().mapToLong(Long::longValue).sum();
                recordedSeconds += done.seconds();
                streams = done.streams();
                Files.delete(done.file());
            }
            if (!safety.mayMove()) {
                System.out.println("note: the supervisor tripped during the run: " + safety.tripReason().map(Object::toString).orElse(""));
            }
            left.setSetpoint(0);

            long period = Math.round(1e6 / stats.rateHz());
            double w99 = LoopBenchmark.percentile(without, 99);
            double w999 = LoopBenchmark.percentile(without, 99.9);
            double r99 = LoopBenchmark.percentile(with, 99);
            double r999 = LoopBenchmark.percentile(with, 99.9);
            System.out.printf(Locale.ROOT, "recorded: %s%n", String.join(", ", streams));
            System.out.printf(Locale.ROOT, "written: %.0f messages/s, %.0f kB/s; lost: %d of %d (target 0)%n", messages / recordedSeconds,
                    bytes / recordedSeconds / 1000, lost, messages + lost);
            double slices = pairs * seconds;
            System.out.printf(Locale.ROOT, "allocated on the producers' threads (%s*): %.0f bytes/s while recording (%.3f bytes per message "
                    + "recorded), %.0f bytes/s while not (target: 0 more while recording)%n", String.join("*, ", PRODUCERS), allocatedWith / slices,
                    allocatedWith / (double) Math.max(1, messages), allocatedWithout / slices);
            System.out.printf(Locale.ROOT, "%n%-18s %10s %8s %9s %16s %16s%n", "", "wake-ups", "p99 us", "p99.9 us", ">= 1 period late", "periods skipped");
            System.out.printf(Locale.ROOT, "%-18s %10d %8.0f %9.0f %16d %16d%n", "without recording", LoopBenchmark.total(without), w99, w999,
                    LoopBenchmark.countFrom(without, period), overrunsWithout);
            System.out.printf(Locale.ROOT, "%-18s %10d %8.0f %9.0f %16d %16d%n", "with recording", LoopBenchmark.total(with), r99, r999,
                    LoopBenchmark.countFrom(with, period), overrunsWith);
            System.out.printf(Locale.ROOT, "ratio with/without: p99 %.2f (target <= 1.1), p99.9 %.2f%n", r99 / Math.max(1, w99), r999 / Math.max(1, w999));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    /** @return the bytes allocated so far by the threads that produce what is recorded, all together */
    private static long producerAllocation() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            String name = e.getKey().getName();
            if (PRODUCERS.stream().anyMatch(name::startsWith)) {
                long b = threads.getThreadAllocatedBytes(e.getKey().getId());
                total += Math.max(0, b);
            }
        }
        return total;
    }
}
