package io.armature.board.jetson.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The board's motion permit (see {@link io.armature.hal.Board#permitMotion}): unsupervised until
 * the first feed, then valid only until the fed expiry on the monotonic clock. Also tells the
 * channels when the board has stopped, after which they take no command but the safe one.
 */
final class MotionPermit {
    private final String boardId;
    private volatile boolean armed;
    private volatile long expiryNanos;
    private volatile boolean stopped;
    private final AtomicLong refused = new AtomicLong();

    MotionPermit(String boardId) {
        this.boardId = boardId;
    }

    void feed(long expiry) {
        expiryNanos = expiry;
        armed = true;
    }

    void revoke() {
        expiryNanos = System.nanoTime() - 1;
        armed = true;
    }

    boolean valid() {
        return !armed || System.nanoTime() - expiryNanos < 0;
    }

    /** @return false, counting a refused write, when a write that would move an actuator must not take effect */
    boolean admits() {
        if (valid()) {
            return true;
        }
        refused.incrementAndGet();
        return false;
    }

    long refused() {
        return refused.get();
    }

    void stop() {
        stopped = true;
    }

    void checkRunning(String channel) {
        if (stopped) {
            throw new IllegalStateException("board '" + boardId + "' is stopped; channel " + channel + " is gone");
        }
    }
}
