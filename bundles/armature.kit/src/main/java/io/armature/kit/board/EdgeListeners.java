package io.armature.kit.board;

import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.Registration;

import java.util.Arrays;
import java.util.Objects;

/**
 * The {@link EdgeListener}s of one digital input, for backends: {@link #add} serves
 * {@link DigitalInput#onEdge}, and the backend's event thread hands each edge to
 * {@link #fire}. Thread-safe; firing allocates nothing, and a listener that throws neither
 * stops the others nor the event thread.
 */
public final class EdgeListeners {

    private record Entry(Edge edge, EdgeListener target) {
    }

    private volatile Entry[] entries = new Entry[0];

    /** Adds a listener for {@code edge}; closing the returned registration removes it. */
    public Registration add(Edge edge, EdgeListener listener) {
        Entry e = new Entry(Objects.requireNonNull(edge, "edge"), Objects.requireNonNull(listener, "listener"));
        synchronized (this) {
            Entry[] now = Arrays.copyOf(entries, entries.length + 1);
            now[now.length - 1] = e;
            entries = now;
        }
        return () -> remove(e);
    }

    private synchronized void remove(Entry e) {
        Entry[] now = entries;
        for (int i = 0; i < now.length; i++) {
            if (now[i] == e) {
                Entry[] less = new Entry[now.length - 1];
                System.arraycopy(now, 0, less, 0, i);
                System.arraycopy(now, i + 1, less, i, now.length - i - 1);
                entries = less;
                return;
            }
        }
    }

    /**
     * Hands an edge to every listener whose {@link Edge} selects it.
     *
     * @param channel        the input's channel name
     * @param level          the new level: true after a rising edge
     * @param timestampNanos when the edge happened, on the {@link System#nanoTime()} clock
     */
    public void fire(String channel, boolean level, long timestampNanos) {
        for (Entry e : entries) {
            if (e.edge.matches(level)) {
                try {
                    e.target.onEdge(channel, level, timestampNanos);
                } catch (RuntimeException faulty) {
                    // a faulty listener must not stop the others or the board's event thread
                }
            }
        }
    }
}
