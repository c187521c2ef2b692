package io.armature.control;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Always-on statistics of one running loop, read without disturbing it. Registered as a service
 * with {@link ControlLoop#PROPERTY_NAME}.
 */
@ProviderType
public interface LoopStatistics {

    /** @return the loop name */
    String name();

    /** @return the configured rate in Hz */
    double rateHz();

    /** @return cycles run */
    long cycles();

    /** @return cycles skipped because a cycle overran its period (skipped, never caught up in a burst) */
    long overruns();

    /**
     * @return cycles whose time step was bounded to two periods because the previous cycle
     *         started longer ago than that (a stall): the controller and the motion profile never
     *         integrate a whole stall at once
     */
    long boundedSteps();

    /**
     * @param percentile 0..100, for example 99.9
     * @return wake-up lateness at that percentile since the loop started, in nanoseconds
     */
    long latenessNanos(double percentile);

    /**
     * The lateness histogram since the loop started, in linear buckets, for pooling and plots.
     *
     * @param bucketNanos width of each bucket in nanoseconds, at least 1
     * @param buckets     number of buckets, at least 1; the last one also counts everything later
     * @return counts: element i counts deadlines met late by [i·bucketNanos, (i+1)·bucketNanos); a
     *         deadline the loop skipped after a stall counts too, with its true lateness
     */
    long[] latenessCounts(long bucketNanos, int buckets);

    /** @return the deadlines met late since the loop started, by cause */
    LatenessCauses latenessCauses();

    /** @return the largest wake-up lateness since the loop started, in nanoseconds */
    long maxLatenessNanos();

    /**
     * @param percentile 0..100
     * @return cycle execution time at that percentile, in nanoseconds
     */
    long executionNanos(double percentile);

    /**
     * @return bytes allocated on the loop thread per cycle over the last second or so (a window
     *         of cycles, so one-time costs age out); NaN until the first window is complete
     */
    double allocatedBytesPerCycle();

    /** @return true when the loop thread runs at real-time priority (SCHED_FIFO) */
    boolean realTime();

    /**
     * @return why the loop is not running, once its cycle threw more often than the engine
     *         restarts it; empty while it runs (or is waiting for a restart)
     */
    java.util.Optional<String> failure();

    /** @return times the engine restarted the loop after its cycle threw */
    int restarts();

    /**
     * @return the real-time thread that runs this loop and the loops it runs, in the order they
     *         run, for example {@code armature-loops: left, right}
     * @since 2.4
     */
    default String executor() {
        return "unknown";
    }
}
