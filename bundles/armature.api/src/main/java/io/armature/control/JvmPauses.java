package io.armature.control;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The JVM's own pauses, its safepoints and the garbage collector's pauses among them, on the
 * {@link System#nanoTime()} clock, as the JVM reports them (a second or two after the fact).
 * One per JVM, from a bundle that a swap of the loop engine leaves running: the loop engine
 * asks it why its late deadlines were late ({@link LatenessCauses}).
 *
 * @since 2.4
 */
@ProviderType
public interface JvmPauses {

    /** {@link #pauseDuring}: no pause of the JVM. */
    int NONE = 0;
    /** {@link #pauseDuring}: a safepoint, with every Java thread held, but no garbage-collector pause. */
    int SAFEPOINT = 1;
    /** {@link #pauseDuring}: a garbage-collector pause (which is in a safepoint). */
    int GC_PAUSE = 2;

    /** @return the time from which pauses are known; {@link Long#MIN_VALUE} until the JVM reports any */
    long reportedFromNanos();

    /** @return the time up to which every pause has been reported; {@link Long#MIN_VALUE} until the JVM reports any */
    long reportedUntilNanos();

    /**
     * @return the pause in force at some time between {@code fromNanos} and {@code toNanos}:
     *         {@link #GC_PAUSE}, {@link #SAFEPOINT} or {@link #NONE}; meaningful only for a span
     *         within what has been reported
     */
    int pauseDuring(long fromNanos, long toNanos);

    /** @return how the pauses are found, or why they are not, one phrase */
    String method();
}
