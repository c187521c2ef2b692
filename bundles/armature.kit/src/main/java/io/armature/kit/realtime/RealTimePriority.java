package io.armature.kit.realtime;

/**
 * Puts the calling thread under SCHED_FIFO. Java has no API for it, so the thread finds its
 * own kernel id through {@code /proc/thread-self} and asks {@code chrt} (util-linux). Needs
 * root or CAP_SYS_NICE, and a kernel that grants real-time time (sched_rt_runtime_us). Loop
 * threads and the samplers of the streams loops control on use it.
 */
public final class RealTimePriority {

    /** Outcome: whether the thread now runs at real-time priority, and if not, why not. */
    public record Result(boolean applied, String message) {
    }

    private RealTimePriority() {
    }

    /** @return the kernel thread id of the calling thread, or -1 where /proc has none */
    public static long currentTid() {
        return ThreadTool.currentTid();
    }

    /** Applies SCHED_FIFO at {@code priority} (1..99) to the calling thread. Call once, off the hot path. */
    public static Result applyToCurrentThread(int priority) {
        if (priority < 1 || priority > 99) {
            return new Result(false, "real-time priority is off (configured " + priority + ")");
        }
        return ThreadTool.runForCurrentThread("SCHED_FIFO", java.util.List.of("chrt", "-f", "-p", Integer.toString(priority)),
                "SCHED_FIFO priority " + priority + " on thread {tid}", "run as root or grant CAP_SYS_NICE (see README, running as a service)");
    }

}
