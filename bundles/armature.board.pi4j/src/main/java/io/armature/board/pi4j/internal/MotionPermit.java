package io.armature.board.pi4j.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The board's motion permit and its watcher. Before the first feed the board runs
 * unsupervised; from then on a write that would move an actuator takes effect only while the
 * permit is valid, and a daemon thread drives every actuator safe within about a millisecond of
 * the permit lapsing. All times are on the {@link System#nanoTime()} clock.
 */
final class MotionPermit {

    private static final long WATCH_NANOS = 1_000_000L;

    private final String boardId;
    private final Runnable toSafeState;
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean armed;
    private volatile long expiry;
    private volatile boolean stopped;
    private volatile long lapses;
    private final Thread watcher;

    /**
     * @param toSafeState drives every actuator safe; called from the watcher thread
     */
    MotionPermit(String boardId, Runnable toSafeState) {
        this.boardId = boardId;
        this.toSafeState = toSafeState;
        this.watcher = new Thread(this::watch, "armature-pi4j-permit-" + boardId);
        watcher.setDaemon(true);
        watcher.setUncaughtExceptionHandler((t, e) -> toSafeState.run());
        watcher.start();
    }

    void permit(long expiryNanos) {
        expiry = expiryNanos;
        armed = true;
    }

    void revoke() {
        expiry = System.nanoTime() - 1;
        armed = true;
    }

    boolean permitted() {
        return !armed || System.nanoTime() - expiry < 0;
    }

    /** @return false, counting the refusal, when a moving write must not take effect */
    boolean allowsMotion() {
        if (permitted()) {
            return true;
        }
        refused.incrementAndGet();
        return false;
    }

    long refusedWrites() {
        return refused.get();
    }

    /** @return times the watcher drove the actuators safe because the permit lapsed */
    long lapses() {
        return lapses;
    }

    void stop() {
        stopped = true;
        LockSupport.unpark(watcher);
        try {
            watcher.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    boolean stopped() {
        return stopped;
    }

    /** @throws IllegalStateException once the board has stopped */
    void check(String channel) {
        if (stopped) {
            throw new IllegalStateException("board '" + boardId + "' is stopped; channel " + channel + " is gone");
        }
    }

    private void watch() {
        boolean wasPermitted = true;
        while (!stopped) {
            boolean now = permitted();
            if (wasPermitted && !now) {
                toSafeState.run();
                lapses++;
            }
            wasPermitted = now;
            long left = armed ? expiry - System.nanoTime() : WATCH_NANOS;
            LockSupport.parkNanos(Math.max(50_000L, Math.min(left, WATCH_NANOS)));
        }
    }
}
