package io.armature.vision.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.opencv.core.Mat;

/**
 * Latest-frame hand-over from a source's capture thread to one pipeline: a triple buffer of
 * Mats that each side reuses. The source fills the back buffer and swaps it with the middle;
 * the pipeline swaps the middle with its front buffer when a fresh frame is there. A frame
 * replaced in the middle before the pipeline took it is dropped and counted. Nothing is
 * allocated per frame: the Mats keep their pixel memory once they have the frame's size.
 */
final class FrameSlot {

    private static final int FRESH = 4;
    private static final int INDEX = 3;

    private final Mat[] mats = {new Mat(), new Mat(), new Mat()};
    private final long[] sequence = new long[3];
    private final long[] timestamp = new long[3];
    private final AtomicInteger middle = new AtomicInteger(1);
    private int back = 0;
    private int front = 2;
    private volatile Thread consumer;
    private volatile long dropped;
    private volatile boolean closed;

    // --- source side (one capture thread)

    /** @return the Mat the source copies the next frame into */
    Mat back() {
        return mats[back];
    }

    void publish(long frameSequence, long frameTimestampNanos) {
        sequence[back] = frameSequence;
        timestamp[back] = frameTimestampNanos;
        int old = middle.getAndSet(back | FRESH);
        if ((old & FRESH) != 0) {
            dropped++; // only the capture thread writes it
        }
        back = old & INDEX;
        Thread t = consumer;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // --- pipeline side (one pipeline thread)

    /**
     * Waits for a frame fresher than the one in front, at most {@code timeoutNanos}.
     *
     * @return true when the front buffer now holds a new frame
     */
    boolean await(long timeoutNanos) {
        consumer = Thread.currentThread();
        long deadline = System.nanoTime() + timeoutNanos;
        while (!closed) {
            if ((middle.get() & FRESH) != 0) {
                front = middle.getAndSet(front) & INDEX;
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(this, left);
        }
        return false;
    }

    Mat front() {
        return mats[front];
    }

    long frontSequence() {
        return sequence[front];
    }

    long frontTimestampNanos() {
        return timestamp[front];
    }

    long dropped() {
        return dropped;
    }

    /** Wakes the pipeline and makes {@link #await(long)} return false from now on. */
    void close() {
        closed = true;
        Thread t = consumer;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
