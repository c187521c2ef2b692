package io.armature.safety.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.armature.kit.sensor.StreamChoice;
import io.armature.sensor.SampleStream;

/**
 * The sensor streams there are, by name, and what the supervisor knows of the one it watches
 * for each name: the highest-ranked (a replay registered over a live stream is watched while it
 * plays, then the live one again). The cycle reads without locking.
 */
final class WatchedStreams {

    /** What the supervisor knows of one watched stream; updated only on the supervisor's thread. */
    static final class Watch {
        final SampleStream<?> stream;
        long lastPublished = -1;
        long lastProgress;
        long invalidAtWindowStart = -1;
        long windowStart;
        long invalidInWindow;

        Watch(SampleStream<?> stream) {
            this.stream = stream;
        }

        /** Notes a new sample, if there is one: a stream that publishes is no stall. */
        void progress(long now) {
            long published = stream.published();
            if (published != lastPublished) {
                lastPublished = published;
                lastProgress = now;
            }
        }

        /** Counts the invalid samples within the current one-second window. */
        void countInvalid(long now) {
            long invalid = stream.invalidCount();
            if (invalidAtWindowStart < 0 || now - windowStart >= 1_000_000_000L) {
                invalidAtWindowStart = invalid;
                windowStart = now;
                invalidInWindow = 0;
            } else {
                invalidInWindow = invalid - invalidAtWindowStart;
            }
        }
    }

    private final Map<String, StreamChoice<SampleStream<?>>> choices = new HashMap<>();
    private final Map<String, Watch> watched = new ConcurrentHashMap<>();
    private final Map<String, Long> gone = new ConcurrentHashMap<>();

    /**
     * Under one lock with {@link #remove}: SCR may bind a restarted source's new stream on one
     * thread while it unbinds the old one on another, and the new one must not be lost.
     */
    synchronized void add(SampleStream<?> stream, Map<String, Object> properties) {
        StreamChoice<SampleStream<?>> choice = choices.computeIfAbsent(stream.name(), n -> new StreamChoice<>());
        if (choice.add(stream, properties)) {
            watched.put(stream.name(), new Watch(choice.chosen()));
            gone.remove(stream.name());
        }
    }

    /**
     * A stream that goes away, with no other of its name, is a stall that began now: if it is not
     * back (a source restarting on a swapped board comes back within milliseconds) before the
     * stall limit, the supervisor trips.
     */
    synchronized void remove(SampleStream<?> stream) {
        StreamChoice<SampleStream<?>> choice = choices.get(stream.name());
        if (choice == null || !choice.remove(stream)) {
            return;
        }
        SampleStream<?> next = choice.chosen();
        if (next != null) {
            watched.put(stream.name(), new Watch(next));
            return;
        }
        // "gone" first: the supervision cycle, which reads without the lock, must never see the
        // stream in neither map ("not present" is for a stream that never came)
        gone.put(stream.name(), System.nanoTime());
        watched.remove(stream.name());
    }

    /** @return the watch of the stream of that name; null when none is there */
    Watch watch(String name) {
        return watched.get(name);
    }

    /** @return when the last stream of that name went away; null when none was there, or one is back */
    Long goneSince(String name) {
        return gone.get(name);
    }
}
