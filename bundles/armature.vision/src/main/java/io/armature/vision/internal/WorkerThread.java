package io.armature.vision.internal;

import java.util.function.Consumer;

/**
 * The one daemon thread a source, a pipeline or the follower runs on: started under a name that
 * says whose it is, told to end by {@link #stop}, and joined for a bounded time so a thread stuck
 * in native code cannot hold up a deactivation. The body loops while {@link #isCurrent()}.
 */
final class WorkerThread {

    private final long joinMillis;
    private volatile Thread thread;

    /** @param joinMillis how long {@link #stop} waits for the thread to end */
    WorkerThread(long joinMillis) {
        this.joinMillis = joinMillis;
    }

    /** Starts {@code body} on a new daemon thread; {@code onDeath} hears of an exception that ended it. */
    void start(String name, Runnable body, Consumer<Throwable> onDeath) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> onDeath.accept(e));
        thread = t;
        t.start();
    }

    /** @return true on the thread this worker last started, until it is stopped or started again */
    boolean isCurrent() {
        return thread == Thread.currentThread();
    }

    /** Tells the thread to end, interrupts it and waits for it. */
    void stop() {
        stop(() -> { });
    }

    /**
     * Tells the thread to end, runs {@code wake} (to release what the thread may wait on, once it
     * can see it should end), interrupts it and waits for it.
     */
    void stop(Runnable wake) {
        Thread t = thread;
        thread = null;
        wake.run();
        if (t != null) {
            t.interrupt();
            try {
                t.join(joinMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
