package io.armature.control.internal;

import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;

import io.armature.control.ControlLoop;
import io.armature.control.LoopSample;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.kit.service.Threads;
import io.armature.kit.realtime.CpuPlacement;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.stream.BroadcastStream;

/**
 * Runs one {@link ControlLoop} at a fixed rate on its own named thread: park until
 * {@code spinNanos} before the deadline, then spin to it. A cycle that starts a whole period
 * or more late skips the deadlines it missed (counted as overruns) instead of catching up in a
 * burst; each deadline passed is still one lateness sample, with its true lateness. Statistics
 * are recorded without allocation (HdrHistogram {@link Recorder}) and read
 * by other threads without a lock shared with the loop.
 */
final class LoopRunner implements LoopStatistics {

    /** Largest value the histograms hold, ns; larger ones are recorded as this. */
    static final long HIGHEST_NANOS = 10_000_000_000L;
    /** Cycles per allocation window: the figure reported is that of the last complete window. */
    static final int ALLOCATION_WINDOW = 1024;

    /** Called once, off the hot path, when a cycle throws. */
    interface FaultHandler {
        void loopFailed(LoopRunner runner, Throwable error);
    }

    private final String name;
    private final ControlLoop loop;
    private final long periodNanos;
    private final long spinNanos;
    private final RealTimeSettings settings;
    private final FaultHandler faults;
    private final Thread thread;
    private final BroadcastStream<LoopSample> cycleStream;
    private final TunableLoop tunable;

    private final Recorder lateness = new Recorder(1, HIGHEST_NANOS, 3);
    private final Recorder execution = new Recorder(1, HIGHEST_NANOS, 3);
    private final Histogram totalLateness = new Histogram(1, HIGHEST_NANOS, 3);
    private final Histogram totalExecution = new Histogram(1, HIGHEST_NANOS, 3);
    private Histogram recycleLateness;
    private Histogram recycleExecution;

    /** Late wake-ups, for {@link LatenessAttribution}; published on the loop thread without allocation. */
    private final BroadcastStream<LateWakeUp> lateWakeUps;
    /** Lateness from which a deadline counts as late: a tenth of the period, at least {@value #LATE_FLOOR_NANOS} ns. */
    private final long lateNanos;
    static final long LATE_FLOOR_NANOS = 50_000;
    /** Late wake-ups kept for attribution: the recorder's stream reads them every second or so. */
    static final int LATE_QUEUE = 1024;
    private volatile long lateDeadlines;
    private volatile long lateOverran;
    /** Late deadlines published for attribution, loop thread only. */
    private long latePublished;
    // written by the attribution's thread alone
    private volatile long lateInSafepoint;
    private volatile long lateInGcPause;
    private volatile long lateOutsideJvm;
    private volatile long lateLost;
    /** Who attributes this loop's late deadlines; null for a loop outside the engine (robot:latency). */
    private volatile LatenessAttribution attribution;

    private volatile boolean running = true;
    private volatile long cycles;
    private volatile long overruns;
    private volatile long boundedSteps;
    private long allocationAtWindowStart = -1;
    private volatile double allocatedPerCycle = Double.NaN;
    private volatile boolean realTime;
    private volatile String realTimeMessage = "not started";

    LoopRunner(String name, ControlLoop loop, double rateHz, RealTimeSettings settings, FaultHandler faults) {
        this(name, loop, rateHz, settings, faults, null);
    }

    /** @param cycles where each cycle of a {@link TunableLoop} is published, or null for nowhere */
    LoopRunner(String name, ControlLoop loop, double rateHz, RealTimeSettings settings, FaultHandler faults, BroadcastStream<LoopSample> cycles) {
        String refused = refusal(name, rateHz, settings.spinNanos());
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        this.name = name;
        this.loop = loop;
        this.periodNanos = TimeStep.periodNanos(rateHz);
        this.spinNanos = settings.spinNanos();
        this.settings = settings;
        this.faults = faults;
        this.tunable = cycles != null && loop instanceof TunableLoop t ? t : null;
        this.cycleStream = tunable == null ? null : cycles; // published only with a tunable loop to read
        this.lateNanos = Math.max(periodNanos / 10, LATE_FLOOR_NANOS);
        this.lateWakeUps = new BroadcastStream<>("late." + name, rateHz, LATE_QUEUE, LateWakeUp::new);
        this.thread = new Thread(this::run, "armature-loop-" + name);
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.setUncaughtExceptionHandler((t, e) -> fail(e));
    }

    void start() {
        thread.start();
    }

    /**
     * @return why a loop of this rate cannot run with this spin, or null when it can: the rate is
     *         above 0 and at most 100 kHz, and the spin at most half the period (a thread spinning
     *         the whole period would keep its CPU busy all the time, and starve the machine)
     */
    static String refusal(String name, double rateHz, long spinNanos) {
        if (!(rateHz > 0) || rateHz > 100_000 || Double.isNaN(rateHz)) {
            return "loop '" + name + "': rate must be above 0 and at most 100000 Hz, was " + rateHz;
        }
        long period = TimeStep.periodNanos(rateHz);
        if (spinNanos < 0 || spinNanos > period / 2) {
            return String.format(java.util.Locale.ROOT, "loop '%s': at %.0f Hz its period is %d µs; spinning %d µs before each deadline is more than "
                    + "half of it, and would keep a CPU busy; set spinMicros to at most %d (armature.control.engine)", name, rateHz, period / 1000,
                    spinNanos / 1000, period / 2000);
        }
        return null;
    }

    /** Stops the thread (at most one cycle later) and drives the loop's outputs safe. */
    void stop() {
        running = false;
        Threads.wakeAndJoin(thread, 2_000);
        safeOutputs();
    }

    private void safeOutputs() {
        try {
            loop.stopOutputs();
        } catch (RuntimeException e) {
            // nothing more can be done here; the supervisor's permit expiry is the next line of defence
        }
    }

    private void fail(Throwable e) {
        running = false;
        safeOutputs();
        if (faults != null) {
            faults.loopFailed(this, e);
        }
    }

    private void run() {
        RealTimePriority.Result rt = RealTimePriority.applyToCurrentThread(settings.priority());
        String placement = "";
        if (settings.cpu() >= 0) {
            RealTimePriority.Result pinned = CpuPlacement.pinCurrentThread(settings.cpu());
            placement = pinned.applied() ? ", " + pinned.message() : "; not pinned: " + pinned.message();
        }
        realTime = rt.applied();
        realTimeMessage = rt.message() + placement;
        com.sun.management.ThreadMXBean allocation = allocationCounter();

        long next = System.nanoTime() + periodNanos;
        long previousStart = next - periodNanos;
        long previousEnd = previousStart;
        while (running) {
            long wakeAt = next - spinNanos;
            long now;
            while ((now = System.nanoTime()) < wakeAt) {
                LockSupport.parkNanos(wakeAt - now);
                if (!running) {
                    return;
                }
            }
            while ((now = System.nanoTime()) < next) {
                Thread.onSpinWait();
            }
            long late = now - next;
            if (late >= lateNanos) {
                publishLate(next, now, late, previousEnd > next);
            }
            if (late >= periodNanos) {
                long missed = late / periodNanos;
                overruns += missed;
                // Each deadline passed counts, with its true lateness, as cyclictest counts it:
                // a stall shows as every deadline it cost, not as one late sample.
                for (long k = 0; k < missed; k++) {
                    recordLateness(late - k * periodNanos);
                }
                next += missed * periodNanos; // skip the missed deadlines: no burst to catch up
                recordLateness(now - next);
            } else {
                recordLateness(late);
            }

            long sinceLast = now - previousStart;
            if (TimeStep.bounded(sinceLast, periodNanos)) {
                boundedSteps++; // a stall: the cycle steps as if it had missed two periods, not by the whole stall
            }
            loop.cycle(now, TimeStep.boundedNanos(sinceLast, periodNanos) * 1e-9);
            publishCycle(now, late);

            long end = System.nanoTime();
            execution.recordValue(Math.max(1, Math.min(end - now, HIGHEST_NANOS)));
            long c = cycles + 1;
            cycles = c;
            if (allocation != null && c % ALLOCATION_WINDOW == 0) {
                // A window, not the total since start: one-time costs (class loading, call-site
                // linking the first time a branch runs) age out, steady allocation stays visible.
                long bytes = allocation.getCurrentThreadAllocatedBytes();
                if (allocationAtWindowStart >= 0) {
                    allocatedPerCycle = (double) (bytes - allocationAtWindowStart) / ALLOCATION_WINDOW;
                }
                allocationAtWindowStart = bytes;
            }
            previousStart = now;
            previousEnd = end;
            next += periodNanos;
        }
    }

    /**
     * Counts the deadlines this wake-up met late: the previous cycle's when it ran past the first
     * of them, otherwise published for attribution. No allocation.
     */
    private void publishLate(long deadline, long now, long lateBy, boolean cycleRanPast) {
        // the deadlines passed: one per whole period, and the one served if it is late too
        long deadlines = lateBy / periodNanos + ((lateBy % periodNanos) >= lateNanos ? 1 : 0);
        lateDeadlines += deadlines;
        if (cycleRanPast) {
            lateOverran += deadlines;
            return;
        }
        LateWakeUp w = lateWakeUps.claim();
        w.deadlineNanos = deadline;
        w.wokeNanos = now;
        w.deadlines = deadlines;
        latePublished += deadlines;
        w.publishedDeadlines = latePublished;
        lateWakeUps.publish();
    }

    BroadcastStream<LateWakeUp> lateWakeUps() {
        return lateWakeUps;
    }

    void attributedBy(LatenessAttribution by) {
        attribution = by;
    }

    /** From the attribution's thread: {@code deadlines} late ones whose wake-ups it never read. */
    void attributionLost(long deadlines) {
        lateLost += deadlines;
    }

    /** From the attribution's thread: {@code deadlines} late ones, during a safepoint (a GC pause among them) or not. */
    void attributed(long deadlines, boolean safepoint, boolean gcPause) {
        if (safepoint) {
            lateInSafepoint += deadlines;
            if (gcPause) {
                lateInGcPause += deadlines;
            }
        } else {
            lateOutsideJvm += deadlines;
        }
    }

    @Override
    public io.armature.control.LatenessCauses latenessCauses() {
        return new io.armature.control.LatenessCauses(lateDeadlines, lateOverran, lateInSafepoint, lateInGcPause, lateOutsideJvm, lateLost,
                attribution == null ? "not attributed: the loop runs outside the engine" : attribution.method());
    }

    private void recordLateness(long nanos) {
        lateness.recordValue(Math.max(1, Math.min(nanos, HIGHEST_NANOS)));
    }

    /** Publishes what the cycle did into the loop's cycle stream: no allocation. */
    private void publishCycle(long start, long late) {
        if (cycleStream == null) {
            return;
        }
        LoopSample c = cycleStream.claim();
        c.timestampNanos = start;
        c.latenessNanos = late;
        tunable.describeCycle(c);
        cycleStream.publish();
    }

    /** @return the HotSpot per-thread allocation counter, or null where the JVM has none */
    private static com.sun.management.ThreadMXBean allocationCounter() {
        try {
            java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            return mx instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported() ? t : null;
        } catch (LinkageError notHotSpot) {
            return null;
        }
    }

    private synchronized void drain() {
        recycleLateness = lateness.getIntervalHistogram(recycleLateness);
        totalLateness.add(recycleLateness);
        recycleExecution = execution.getIntervalHistogram(recycleExecution);
        totalExecution.add(recycleExecution);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public double rateHz() {
        return 1e9 / periodNanos;
    }

    long periodNanos() {
        return periodNanos;
    }

    @Override
    public long cycles() {
        return cycles;
    }

    @Override
    public long overruns() {
        return overruns;
    }

    @Override
    public long boundedSteps() {
        return boundedSteps;
    }

    @Override
    public synchronized long latenessNanos(double percentile) {
        drain();
        return totalLateness.getValueAtPercentile(percentile);
    }

    @Override
    public synchronized long[] latenessCounts(long bucketNanos, int buckets) {
        if (bucketNanos < 1 || buckets < 1) {
            throw new IllegalArgumentException("bucketNanos and buckets must be at least 1, were " + bucketNanos + " and " + buckets);
        }
        drain();
        long[] counts = new long[buckets];
        // Each recorded value once, in the bucket of its histogram cell's middle. Not
        // getCountBetweenValues per bucket: above a few ms a cell is wider than a narrow bucket,
        // and a value would be counted in every bucket its cell overlaps.
        for (HistogramIterationValue v : totalLateness.recordedValues()) {
            long value = totalLateness.medianEquivalentValue(v.getValueIteratedTo());
            counts[(int) Math.min(value / bucketNanos, buckets - 1)] += v.getCountAtValueIteratedTo();
        }
        return counts;
    }

    @Override
    public synchronized long maxLatenessNanos() {
        drain();
        return totalLateness.getMaxValue();
    }

    @Override
    public synchronized long executionNanos(double percentile) {
        drain();
        return totalExecution.getValueAtPercentile(percentile);
    }

    /** @return a copy of the lateness histogram since start, for benchmarks and the web page */
    synchronized Histogram latenessHistogram() {
        drain();
        return totalLateness.copy();
    }

    /** @return bytes per cycle over the last complete window of {@value #ALLOCATION_WINDOW} cycles; NaN before the first */
    @Override
    public double allocatedBytesPerCycle() {
        return allocatedPerCycle;
    }

    @Override
    public boolean realTime() {
        return realTime;
    }

    private volatile String failedFor;
    private volatile int restarts;

    @Override
    public java.util.Optional<String> failure() {
        return java.util.Optional.ofNullable(failedFor);
    }

    @Override
    public int restarts() {
        return restarts;
    }

    void markFailed(String reason) {
        failedFor = reason;
    }

    void countRestart(int n) {
        restarts = n;
    }

    String realTimeMessage() {
        return realTimeMessage;
    }

    boolean isRunning() {
        return running && thread.isAlive();
    }

    Thread thread() {
        return thread;
    }
}
