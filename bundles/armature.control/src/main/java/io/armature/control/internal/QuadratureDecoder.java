package io.armature.control.internal;

import java.util.concurrent.atomic.AtomicLong;

import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.Registration;

/**
 * Counts a quadrature encoder from the edges of its A and B inputs (x4 decoding). A transition
 * that skips a state (both signals changed between two edges) cannot tell the direction: it is
 * counted as an error, never guessed.
 */
final class QuadratureDecoder implements AutoCloseable {

    // [previous state][new state] -> count change; state = A << 1 | B. 2 marks an invalid jump.
    private static final int[][] STEP = {
            {0, -1, 1, 2},
            {1, 0, 2, -1},
            {-1, 2, 0, 1},
            {2, 1, -1, 0}};

    private final DigitalInput a;
    private final DigitalInput b;
    private final AtomicLong counts = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile int state;
    private volatile long lastEdgeNanos = Long.MIN_VALUE;
    private volatile long version; // odd while an edge is being applied
    private final Registration onA;
    private final Registration onB;

    QuadratureDecoder(DigitalInput a, DigitalInput b) {
        this.a = a;
        this.b = b;
        this.state = (a.read() ? 2 : 0) | (b.read() ? 1 : 0);
        this.onA = a.onEdge(Edge.BOTH, (ch, level, t) -> update((level ? 2 : 0) | (state & 1), t));
        this.onB = b.onEdge(Edge.BOTH, (ch, level, t) -> update((state & 2) | (level ? 1 : 0), t));
    }

    private synchronized void update(int next, long timestampNanos) {
        int step = STEP[state][next];
        version++;
        if (step == 2) {
            errors.incrementAndGet();
        } else if (step != 0) {
            counts.addAndGet(step);
            lastEdgeNanos = timestampNanos;
        }
        state = next;
        version++;
    }

    /**
     * Reads the count and the time of the edge that made it, as one consistent pair, without a
     * lock (the loop thread must not wait for the board's event thread).
     *
     * @param into {@code into[0]} receives the count, {@code into[1]} the edge time in ns
     */
    void read(long[] into) {
        while (true) {
            long v = version;
            long c = counts.get();
            long t = lastEdgeNanos;
            if ((v & 1) == 0 && v == version) {
                into[0] = c;
                into[1] = t;
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** @return counts since start, signed: positive with A leading B */
    long counts() {
        return counts.get();
    }

    /** @return transitions that skipped a state */
    long errors() {
        return errors.get();
    }

    @Override
    public void close() {
        onA.close();
        onB.close();
    }
}
