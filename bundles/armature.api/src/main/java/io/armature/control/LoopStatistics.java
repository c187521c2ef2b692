package io.armature.control;

import org.osgi.annotation.versioning.ProviderType;

/** Always-on statistics of one running loop, read without disturbing it. */
@ProviderType
public interface LoopStatistics {

    /** @return the loop name */
    String name();

    /** @return the configured rate in Hz */
    double rateHz();

    /** @return cycles run */
    long cycles();

    /** @return cycles skipped because the previous one overran its period */
    long overruns();

    /**
     * @param percentile 0..100, for example 99.9
     * @return wake-up lateness at that percentile, in nanoseconds
     */
    long latenessNanos(double percentile);

    /** @return bytes allocated on the loop thread per cycle, averaged over the steady state */
    double allocatedBytesPerCycle();
}
