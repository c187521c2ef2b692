package io.armature.control.internal;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;

import io.armature.control.ControlLoop;
import io.armature.control.LoopSample;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.kit.stream.BroadcastStream;

/**
 * One {@link ControlLoop} at a fixed rate, run by a {@link RealTimeExecutor}: its deadlines,
 * its two phases (read, then cycle) and its statistics. A cycle that starts a whole period or
 * more late skips the deadlines it missed (counted as overruns) instead of catching up in a
 * burst; each deadline passed is still one lateness sample, with its true lateness. Statistics
 * are recorded without allocation (HdrHistogram {@link Recorder}) and read by other threads
 * without a lock shared with the loop.
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
    private final RealTimeSettings settings;
    private final FaultHandler faults;
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
    /** The executor that runs this loop; null until it joins one. */
    private volatile RealTimeExecutor executor;
    private volatile long cycles;
    private volatile long overruns;
    private volatile long boundedSteps;
    private volatile double allocatedPerCycle = Double.NaN;

    // the executor's thread only
    /** The next deadline; Long.MIN_VALUE until the first tick after joining. */
    private long deadline = Long.MIN_VALUE;
    private long previousStart;
    private long cycleStart;
    private long cycleLate;
    private double cycleDt;
    private long readNanos;
    private boolean readThisTick;
    private long allocatedInWindow;
    private boolean allocationCounted;
    private boolean windowStarted;

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
        this.settings = settings;
        this.faults = faults;
        this.tunable = cycles != null && loop instanceof TunableLoop t ? t : null;
        this.cycleStream = tunable == null ? null : cycles; // published only with a tunable loop to read
        this.lateNanos = Math.max(periodNanos / 10, LATE_FLOOR_NANOS);
        this.lateWakeUps = new BroadcastStream<>("late." + name, rateHz, LATE_QUEUE, LateWakeUp::new);
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

    /**
     * Takes the loop out of its executor's schedule (at most one tick later), ends the executor
     * when it was the loop's own, and drives the loop's outputs safe.
     */
    void stop() {
        running = false;
        RealTimeExecutor e = executor;
        if (e != null) {
            e.remove(this);
            e.closeIfOwnAndEmpty();
        }
        safeOutputs();
    }

    private void safeOutputs() {
        try {
            loop.stopOutputs();
        } catch (RuntimeException e) {
            // nothing more can be done here; the supervisor's permit expiry is the next line of defence
        }
    }

    /** A read or cycle threw: on the executor's thread, which has already taken the loop out of its schedule. */
    void fail(Throwable e) {
        running = false;
        readThisTick = false;
        safeOutputs();
        if (faults != null) {
            faults.loopFailed(this, e);
        }
    }

    /** Joins {@code e}'s schedule: the loop runs from its next tick. */
    void start(RealTimeExecutor e) {
        e.add(this);
    }

    /** Runs on a real-time thread of its own, {@code armature-loop-<name>}. */
    void start() {
        RealTimeExecutor own = new RealTimeExecutor("armature-loop-" + name, periodNanos, settings, true);
        own.add(this);
    }

    void joined(RealTimeExecutor e) {
        executor = e;
    }

    // --- on the executor's thread only ---

    /** @return true when the loop runs at the tick of {@code tickDeadline}; a loop that just joined runs at its first tick */
    boolean due(long tickDeadline) {
        if (!running) {
            return false;
        }
        if (deadline == Long.MIN_VALUE) {
            deadline = tickDeadline;
            previousStart = tickDeadline - periodNanos;
        }
        return deadline <= tickDeadline;
    }

    /**
     * The first phase of a cycle: counts the deadline (and any it missed), bounds the time step,
     * and lets the loop read its sensors.
     *
     * @param now             this loop's start in the tick
     * @param tickDeadline    the tick's deadline: the loop serves its latest deadline not after it, and the ones before are missed
     * @param previousTickEnd when the executor's previous tick ended: past this deadline, the deadline was lost to a cycle overrunning
     */
    void read(long now, long tickDeadline, long previousTickEnd) {
        long firstDeadline = deadline;
        long firstLate = now - deadline;
        // Missed deadlines are counted against the tick's, not this loop's start: the loops of
        // one tick stay on one schedule however long the loops before them in the tick took.
        long missed = (tickDeadline - deadline) / periodNanos;
        if (missed > 0) {
            overruns += missed;
            // Each deadline passed counts, with its true lateness, as cyclictest counts it:
            // a stall shows as every deadline it cost, not as one late sample.
            for (long k = 0; k < missed; k++) {
                recordLateness(firstLate - k * periodNanos);
            }
            deadline += missed * periodNanos; // skip the missed deadlines: no burst to catch up
        }
        long late = now - deadline;
        recordLateness(late);
        // the deadlines missed (each a period late or more) and the one served if it is late too
        long lateCount = missed + (late >= lateNanos ? 1 : 0);
        if (lateCount > 0) {
            publishLate(firstDeadline, now, lateCount, previousTickEnd > firstDeadline);
        }
        long sinceLast = now - previousStart;
        if (TimeStep.bounded(sinceLast, periodNanos)) {
            boundedSteps++; // a stall: the cycle steps as if it had missed two periods, not by the whole stall
        }
        cycleStart = now;
        cycleLate = late;
        cycleDt = TimeStep.boundedNanos(sinceLast, periodNanos) * 1e-9;
        readThisTick = true;
        loop.read(now, cycleDt);
        readNanos = System.nanoTime() - now;
    }

    /** @return true when the loop read in this tick and its cycle is still to run */
    boolean readThisTick() {
        return readThisTick;
    }

    /** The second phase: the loop's cycle (decide, write), its statistics, and the next deadline. */
    void update() {
        readThisTick = false;
        long start = System.nanoTime();
        loop.cycle(cycleStart, cycleDt);
        publishCycle(cycleStart, cycleLate);
        execution.recordValue(Math.max(1, Math.min(readNanos + System.nanoTime() - start, HIGHEST_NANOS)));
        long c = cycles + 1;
        cycles = c;
        if (c % ALLOCATION_WINDOW == 0 && allocationCounted) {
            // A window, not the total since start: one-time costs (class loading, call-site
            // linking the first time a branch runs) age out, steady allocation stays visible.
            if (windowStarted) {
                allocatedPerCycle = (double) allocatedInWindow / ALLOCATION_WINDOW;
            }
            windowStarted = true;
            allocatedInWindow = 0;
        }
        previousStart = cycleStart;
        deadline += periodNanos;
    }

    /**
     * Counts the bytes this loop's thread allocated between two readings of its counter as this
     * loop's (the executor reads it around each phase of each loop).
     *
     * @return {@code after}, the next phase's start
     */
    long allocated(long before, long after) {
        if (before >= 0 && after >= 0) {
            allocatedInWindow += after - before;
            allocationCounted = true;
        }
        return after;
    }

    /**
     * Counts the deadlines this wake-up met late: the previous cycle's when it ran past the first
     * of them, otherwise published for attribution. No allocation.
     */
    private void publishLate(long deadline, long now, long deadlines, boolean cycleRanPast) {
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
        RealTimeExecutor e = executor;
        return e != null && e.realTime();
    }

    @Override
    public String executor() {
        RealTimeExecutor e = executor;
        return e == null ? "not started" : e.describe();
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
        RealTimeExecutor e = executor;
        return e == null ? "not started" : e.realTimeMessage();
    }
}
