package io.armature.hal;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives edges of a {@link DigitalInput}. Called on the board's event thread: return quickly,
 * do not block and do not allocate on a hot path.
 */
@ConsumerType
@FunctionalInterface
public interface EdgeListener {

    /**
     * @param channel         the input's channel name
     * @param level           the new level: true after a rising edge, false after a falling one
     * @param timestampNanos  when the edge happened, on the {@link System#nanoTime()} clock
     */
    void onEdge(String channel, boolean level, long timestampNanos);
}
