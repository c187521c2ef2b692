package io.armature.control;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A periodic control loop run by the loop engine on a real-time thread, with the robot's other
 * loops (or on a thread of its own when its period is not a whole multiple of theirs). Register it as a
 * service with {@link #PROPERTY_NAME} and, optionally, {@link #PROPERTY_RATE}.
 */
@ConsumerType
public interface ControlLoop {

    /** Service property: the loop name ({@code String}), for example {@code left}. */
    String PROPERTY_NAME = "armature.loop.name";

    /** Service property: the loop rate in Hz ({@code Double} or {@code Integer}); default 1000. */
    String PROPERTY_RATE = "armature.loop.rate";

    /**
     * The first phase of a cycle: reads the loop's sensors. The engine runs the loops of one
     * real-time thread in a fixed order, the ros2_control way: at each tick every loop due reads,
     * then every one of them runs its {@link #cycle} (decide and write), so the loops' sensors are
     * read together and their actuators written together. Called on the loop thread only, just
     * before {@link #cycle} with the same arguments: must not block, log or allocate. A loop that
     * reads in its cycle needs nothing here.
     *
     * @since 2.4
     */
    default void read(long nowNanos, double dtSeconds) {
    }

    /**
     * Runs one cycle: decide and write, after this tick's {@link #read}. Called on the loop
     * thread only: must not block, log or allocate.
     *
     * @param nowNanos    the cycle's start on the {@link System#nanoTime()} clock
     * @param dtSeconds   time since the previous cycle's start, in seconds, at most two periods
     *                    (after a stall the engine bounds the step and counts it)
     */
    void cycle(long nowNanos, double dtSeconds);

    /** Drives the loop's outputs to their safe state; called when the loop stops or faults. */
    void stopOutputs();
}
