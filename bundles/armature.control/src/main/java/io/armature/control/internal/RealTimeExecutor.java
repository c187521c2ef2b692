package io.armature.control.internal;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.StringJoiner;
import java.util.concurrent.locks.LockSupport;

import io.armature.kit.realtime.CpuPlacement;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.service.Threads;

/**
 * One real-time thread that runs loops in a fixed order, the ros2_control way: at each tick it
 * wakes at the deadline (parking until {@code spinNanos} before it, then spinning), lets every
 * loop due at that tick read its sensors, then runs every one of their cycles (decide and
 * write). Loops run in the order of their names. A loop's period is a whole multiple of the
 * executor's base period, so a 500 Hz loop runs at every second tick of a 1 kHz executor.
 * <p>
 * A tick that starts a whole base period or more late skips the ticks it missed instead of
 * catching up in a burst; each loop counts its own missed deadlines ({@link LoopRunner}). A
 * loop whose read or cycle throws leaves the schedule at once with its outputs safe; the others
 * run on. Loops join and leave from other threads without a lock the tick would take: the
 * schedule is an array replaced as a whole, and a loop that leaves is never run again once
 * {@link #remove} returns.
 */
final class RealTimeExecutor {

    private final long periodNanos;
    private final long spinNanos;
    private final RealTimeSettings settings;
    private final Thread thread;
    /** A loop's own executor: it ends when its loop leaves. */
    private final boolean own;
    private final com.sun.management.ThreadMXBean allocation = allocationCounter();

    /** The loops of the schedule in order; replaced as a whole, read once per tick. */
    private volatile LoopRunner[] members = new LoopRunner[0];
    /** Ticks begun plus ticks ended: odd while a tick runs. */
    private volatile long ticks;
    private volatile boolean running = true;
    private volatile boolean realTime;
    private volatile String realTimeMessage = "not started";

    /**
     * @param threadName    the thread's name: the kernel keeps its first 15 characters
     * @param periodNanos   the base period: every loop's period is a whole multiple of it
     * @param own           one loop's own thread, which ends when its loop leaves
     */
    RealTimeExecutor(String threadName, long periodNanos, RealTimeSettings settings, boolean own) {
        this.own = own;
        this.periodNanos = periodNanos;
        this.spinNanos = Math.min(settings.spinNanos(), periodNanos / 2);
        this.settings = settings;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    /** @return why {@code runner} cannot join this schedule, or null when it can: its period is a whole multiple of the base period */
    String refusal(LoopRunner runner) {
        if (runner.periodNanos() % periodNanos != 0) {
            return String.format(java.util.Locale.ROOT, "its period of %.1f µs is not a whole multiple of the %s thread's %.1f µs",
                    runner.periodNanos() / 1e3, thread.getName(), periodNanos / 1e3);
        }
        return null;
    }

    /** Adds {@code runner} to the schedule, in name order; it first runs at the next tick. */
    synchronized void add(LoopRunner runner) {
        String refused = refusal(runner);
        if (refused != null) {
            throw new IllegalArgumentException("loop '" + runner.name() + "' cannot join: " + refused);
        }
        LoopRunner[] now = members;
        LoopRunner[] next = Arrays.copyOf(now, now.length + 1);
        int at = now.length;
        while (at > 0 && next[at - 1].name().compareTo(runner.name()) > 0) {
            next[at] = next[at - 1];
            at--;
        }
        next[at] = runner;
        runner.joined(this);
        members = next;
    }

    /**
     * Takes {@code runner} out of the schedule. Returns once it can no longer be running: at the
     * end of a tick under way (at most 2 s, so a cycle stuck in a driver cannot hold the caller).
     */
    void remove(LoopRunner runner) {
        drop(runner);
        if (Thread.currentThread() == thread) {
            return; // a loop that failed, from inside the tick: it does not run again
        }
        long seen = ticks;
        long giveUp = System.nanoTime() + 2_000_000_000L;
        while ((seen & 1) == 1 && ticks == seen && System.nanoTime() < giveUp && thread.isAlive()) {
            LockSupport.parkNanos(50_000);
        }
    }

    private synchronized void drop(LoopRunner runner) {
        LoopRunner[] now = members;
        int at = Arrays.asList(now).indexOf(runner);
        if (at < 0) {
            return;
        }
        LoopRunner[] next = new LoopRunner[now.length - 1];
        System.arraycopy(now, 0, next, 0, at);
        System.arraycopy(now, at + 1, next, at, now.length - at - 1);
        members = next;
    }

    /** @return true when no loop is scheduled */
    boolean isEmpty() {
        return members.length == 0;
    }

    /** Ends the thread, at most one tick later; its loops must already have left. */
    void close() {
        running = false;
        Threads.wakeAndJoin(thread, 2_000);
    }

    /** Ends a loop's own thread once its loop has left. */
    void closeIfOwnAndEmpty() {
        if (own && isEmpty()) {
            close();
        }
    }

    boolean realTime() {
        return realTime;
    }

    /** @return how the thread is scheduled, or "not started" before it has tried */
    String realTimeMessage() {
        return realTimeMessage;
    }

    /** @return the thread's name and its loops in the order they run, for example {@code armature-loops: left, right} */
    String describe() {
        StringJoiner loops = new StringJoiner(", ", thread.getName() + ": ", "");
        for (LoopRunner r : members) {
            loops.add(r.name());
        }
        return loops.toString();
    }

    Thread thread() {
        return thread;
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

        long next = System.nanoTime() + periodNanos;
        long previousEnd = next - periodNanos;
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
            if (now - next >= periodNanos) {
                next += (now - next) / periodNanos * periodNanos; // no burst to catch up: each loop counts what it missed
            }
            ticks++; // odd: a tick runs
            tick(members, next, previousEnd);
            previousEnd = System.nanoTime();
            ticks++;
            next += periodNanos;
        }
    }

    /** One tick: every due loop reads, then every due loop runs its cycle. No allocation unless a loop throws. */
    private void tick(LoopRunner[] loops, long deadline, long previousEnd) {
        long bytes = allocatedBytes();
        for (LoopRunner r : loops) {
            if (r.due(deadline)) {
                try {
                    r.read(System.nanoTime(), deadline, previousEnd);
                } catch (Throwable e) {
                    failed(r, e);
                }
                bytes = r.allocated(bytes, allocatedBytes());
            }
        }
        for (LoopRunner r : loops) {
            if (r.readThisTick()) {
                try {
                    r.update();
                } catch (Throwable e) {
                    failed(r, e);
                }
                bytes = r.allocated(bytes, allocatedBytes());
            }
        }
    }

    private void failed(LoopRunner r, Throwable e) {
        drop(r);
        if (own && isEmpty()) {
            running = false; // a loop's own thread ends with it; a restart gets a new one
        }
        r.fail(e);
    }

    private long allocatedBytes() {
        return allocation == null ? -1 : allocation.getCurrentThreadAllocatedBytes();
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
}
