package io.armature.hal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The motion permit of one board, as {@link Board#permitMotion}, {@link Board#revokeMotion} and
 * {@link Board#motionPermitted} describe it: fail-closed, motion is allowed only until the last
 * fed expiry, so a board that no supervisor feeds does not move. Only a board configured
 * {@code unsupervised} (a bench, with no supervisor at all) allows motion before its first feed;
 * once fed or revoked it is armed like any other. Backends share it so that every board keeps
 * the same rules; it is thread-safe and allocates nothing.
 *
 * <p>A channel checks {@link #allowsMotion()} before a write that would move an actuator, and
 * re-checks {@link #permitted()} after the write: a revoke between the two wins.
 */
public final class MotionPermit {

    private final boolean unsupervised;
    private volatile boolean armed;
    private volatile long expiryNanos;
    private final AtomicLong refused = new AtomicLong();

    /** A supervised permit: no motion before the first feed. */
    public MotionPermit() {
        this(false);
    }

    /**
     * @param unsupervised true to allow motion until the first feed or revoke: a bench without
     *                     a supervisor, never a robot
     */
    public MotionPermit(boolean unsupervised) {
        this.unsupervised = unsupervised;
    }

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

    /** @return true within the fed expiry, or, for an unsupervised permit, before the first feed or revoke */
    public boolean permitted() {
        if (!armed) {
            return unsupervised;
        }
        return System.nanoTime() - expiryNanos < 0;
    }

    /** @return true when this permit allows motion before any supervisor fed it (bench mode) */
    public boolean unsupervised() {
        return unsupervised;
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
