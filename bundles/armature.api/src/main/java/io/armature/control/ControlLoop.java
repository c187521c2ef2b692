package io.armature.control;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A periodic control loop run by the loop engine on its own real-time thread. Register it as a
 * service with {@link #PROPERTY_NAME} and, optionally, {@link #PROPERTY_RATE}.
 */
@ConsumerType
public interface ControlLoop {

    /** Service property: the loop name ({@code String}), for example {@code left}. */
    String PROPERTY_NAME = "armature.loop.name";

    /** Service property: the loop rate in Hz ({@code Double} or {@code Integer}); default 1000. */
    String PROPERTY_RATE = "armature.loop.rate";

    /**
     * Runs one cycle. Called on the loop thread only: must not block, log or allocate.
     *
     * @param nowNanos    the cycle's start on the {@link System#nanoTime()} clock
     * @param dtSeconds   time since the previous cycle's start, in seconds, at most two periods
     *                    (after a stall the engine bounds the step and counts it)
     */
    void cycle(long nowNanos, double dtSeconds);

    /** Drives the loop's outputs to their safe state; called when the loop stops or faults. */
    void stopOutputs();
}
