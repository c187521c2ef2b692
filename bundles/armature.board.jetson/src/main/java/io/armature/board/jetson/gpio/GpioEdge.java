package io.armature.board.jetson.gpio;

/**
 * One edge event, reused by the reader so that waiting for edges does not allocate.
 * {@link #timestampNanos} is on {@code CLOCK_MONOTONIC}, the clock of {@link System#nanoTime()}
 * on Linux.
 */
public final class GpioEdge {
    /** true for a rising edge (the line went high), false for a falling one */
    public boolean rising;
    /** when the kernel saw the edge, in nanoseconds on the monotonic clock */
    public long timestampNanos;
    /** the event's sequence number on its line, from 1 */
    public long sequence;
}
