package io.armature.hal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The motion permit of one board, as {@link Board#permitMotion}, {@link Board#revokeMotion} and
 * {@link Board#motionPermitted} describe it: unsupervised until the first feed, then armed; while
 * armed, motion is allowed only until the last fed expiry. Backends share it so that every board
 * keeps the same rules; it is thread-safe and allocates nothing.
 *
 * <p>A channel checks {@link #allowsMotion()} before a write that would move an actuator, and
 * re-checks {@link #permitted()} after the write: a revoke between the two wins.
 */
public final class MotionPermit {

    private volatile boolean armed;
    private volatile long expiryNanos;
    private final AtomicLong refused = new AtomicLong();

    /** Motion is allowed until {@code expiryNanos} ({@link System#nanoTime()} clock); arms the permit. */
    public void permit(long expiryNanos) {
        this.expiryNanos = expiryNanos;
        armed = true;
    }

    /** Ends the permit now; arms it. */
    public void revoke() {
        expiryNanos = System.nanoTime() - 1;
        armed = true;
    }

    /** @return true while unarmed (unsupervised) or within the fed expiry */
    public boolean permitted() {
        return !armed || System.nanoTime() - expiryNanos < 0;
    }

    /** @return true once a supervisor fed or revoked the permit */
    public boolean armed() {
        return armed;
    }

    /** @return false, counting the refusal, when a write that would move an actuator must not take effect */
    public boolean allowsMotion() {
        if (permitted()) {
            return true;
        }
        refused.incrementAndGet();
        return false;
    }

    /** @return writes refused since start */
    public long refusedWrites() {
        return refused.get();
    }
}
