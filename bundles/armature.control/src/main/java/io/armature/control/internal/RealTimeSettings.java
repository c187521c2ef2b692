package io.armature.control.internal;

/**
 * How a loop thread is scheduled: the time it spins before each deadline instead of parking,
 * its SCHED_FIFO priority (0 for none), and the CPU it is pinned to (-1 for none).
 */
record RealTimeSettings(long spinNanos, int priority, int cpu) {

    /** Nothing real-time: the thread sleeps to each deadline at normal priority, wherever the kernel puts it. */
    static final RealTimeSettings NONE = new RealTimeSettings(0, 0, -1);
}
