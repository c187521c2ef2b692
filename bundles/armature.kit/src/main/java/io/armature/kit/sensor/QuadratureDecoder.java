package io.armature.kit.sensor;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.Registration;

/**
 * Counts a quadrature encoder from the edges of its A and B inputs (x4 decoding). An edge that
 * finds its line already at the new level means the opposite edge was missed (the board lost
 * it, or the encoder outran the inputs): the direction of those transitions is unknown, so they
 * are counted as an error, never guessed. Edge times are those the board stamped the edges with, so
 * late delivery of an edge shifts no velocity estimate.
 *
 * <p>Thread-safe: edges arrive on the board's event thread; {@link #read(long[])} takes the
 * count and its edge time as one consistent pair without a lock, so a control loop never waits
 * for the event thread.
 */
public final class QuadratureDecoder implements AutoCloseable {

    // [previous state][new state] -> count change; state = A << 1 | B. Edges change one bit only.
    private static final int[][] STEP = {
            {0, -1, 1, 0},
            {1, 0, 0, -1},
            {-1, 0, 0, 1},
            {0, 1, -1, 0}};

    private final AtomicLong errors = new AtomicLong();
    private int state; // guarded by this
    // Two slots of (count, edge time): an edge writes the slot readers are not pointed at, then
    // moves them to it by bumping the version. A reader never waits for a writer in the middle of
    // an edge (a real-time loop thread spinning on a preempted event thread would stall both).
    private final long[] countSlot = new long[2];
    private final long[] timeSlot = {Long.MIN_VALUE, Long.MIN_VALUE};
    private volatile long version;
    private final Registration onA;
    private final Registration onB;

    /** Starts counting from 0 at the inputs' present state; {@link #close()} stops listening. */
    public QuadratureDecoder(DigitalInput a, DigitalInput b) {
        this.state = (a.read() ? 2 : 0) | (b.read() ? 1 : 0);
        this.onA = a.onEdge(Edge.BOTH, (ch, level, t) -> update(2, level, t));
        this.onB = b.onEdge(Edge.BOTH, (ch, level, t) -> update(1, level, t));
    }

    private synchronized void update(int bit, boolean level, long timestampNanos) {
        int next = level ? state | bit : state & ~bit;
        if (next == state) {
            // the line is already at this level: its opposite edge was missed, and with it the
            // direction of two transitions
            errors.incrementAndGet();
            return;
        }
        long v = version;
        int current = (int) (v & 1);
        int other = current ^ 1;
        countSlot[other] = countSlot[current] + STEP[state][next];
        timeSlot[other] = timestampNanos;
        state = next;
        version = v + 1; // volatile: the slot's writes are visible before readers move to it
    }

    /**
     * Reads the count and the time of the edge that made it, as one consistent pair, without a
     * lock (the loop thread must not wait for the board's event thread).
     *
     * @param into {@code into[0]} receives the count, {@code into[1]} the time of the edge that
     *             made it in ns ({@link System#nanoTime()} clock), {@code Long.MIN_VALUE} before
     *             the first counted edge
     */
    public void read(long[] into) {
        while (true) {
            long v = version;
            int i = (int) (v & 1);
            long c = countSlot[i];
            long t = timeSlot[i];
            VarHandle.loadLoadFence(); // the slot is read before the version is checked again
            if (v == version) {
                into[0] = c;
                into[1] = t;
                return;
            }
            // two edges went by while we read: the slot was reused; the newest is complete now
        }
    }

    /** @return counts since start, signed: positive with A leading B */
    public long counts() {
        while (true) {
            long v = version;
            long c = countSlot[(int) (v & 1)];
            VarHandle.loadLoadFence();
            if (v == version) {
                return c;
            }
        }
    }

    /** @return edges that found their line already at their level: missed transitions */
    public long errors() {
        return errors.get();
    }

    /** Stops listening to the inputs. */
    @Override
    public void close() {
        onA.close();
        onB.close();
    }
}
