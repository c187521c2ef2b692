package io.armature.control.internal;

/**
 * The time step a loop's cycle is given: the time since the previous cycle started, but at most
 * {@link #MAX_PERIODS} periods. After a stall (the process paused, the machine busy) a controller
 * would otherwise integrate the whole stall at once, and a motion profile jump by it; with the
 * bound the loop goes on as if it had missed a period or two. The engine counts each bounded step.
 * One rule for the engine and for a replay of a recording ({@code LoopReplay}), which must step
 * its loop exactly as the engine did.
 */
public final class TimeStep {

    /** The largest step, in periods. */
    public static final int MAX_PERIODS = 2;

    private TimeStep() {
    }

    /** @return the period of a loop at {@code rateHz}, ns, as the engine keeps it */
    public static long periodNanos(double rateHz) {
        return Math.round(1e9 / rateHz);
    }

    /** @return the step in ns: {@code sinceLastNanos}, at most {@link #MAX_PERIODS} periods */
    public static long boundedNanos(long sinceLastNanos, long periodNanos) {
        return Math.min(sinceLastNanos, MAX_PERIODS * periodNanos);
    }

    /** @return true when {@code sinceLastNanos} is longer than the step a cycle is given */
    public static boolean bounded(long sinceLastNanos, long periodNanos) {
        return sinceLastNanos > MAX_PERIODS * periodNanos;
    }
}
