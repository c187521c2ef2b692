package io.armature.board.jetson.gpio;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/** One requested line. Closing it releases the line; closing twice is harmless. */
@ConsumerType
public interface GpioLine extends AutoCloseable {

    /** @return the line's offset on its chip */
    int offset();

    /** @return the line's level: true is high (active-high, as requested) */
    boolean get() throws IOException;

    /**
     * Drives an output line.
     *
     * @throws IOException for a line requested as input ({@code EPERM}) or a released one
     */
    void set(boolean high) throws IOException;

    /**
     * Waits for the next edge of an input line.
     *
     * @param into          receives the edge
     * @param timeoutMillis how long to wait, at least 0
     * @return false when no edge came within the time-out
     * @throws IOException for an output line or a released one
     */
    boolean awaitEdge(GpioEdge into, long timeoutMillis) throws IOException;

    @Override
    void close();
}
