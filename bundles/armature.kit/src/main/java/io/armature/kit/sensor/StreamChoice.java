package io.armature.kit.sensor;

import java.util.Map;

import io.armature.kit.service.NamedServices;

/**
 * For a consumer that reads a stream by name: of the streams registered under that name, the one
 * to read is the highest {@code service.ranking} (the newest of equals). A recording replayed
 * under a live stream's name ({@code robot:replay <file> fast replace}) ranks higher, so its
 * consumers read it while it plays and fall back to the live stream when it ends.
 * Thread-safe; allocates only when streams come and go.
 *
 * @param <S> the stream type the consumer holds
 */
public final class StreamChoice<S> {

    private static final String NAME = "";
    // the ranking rule lives in NamedServices.byNameRanked; this holds one name's streams
    private final NamedServices<S> streams = NamedServices.byNameRanked(s -> NAME);
    private S chosen;

    /**
     * A stream of the name came.
     *
     * @param properties its service properties, for {@code service.ranking}
     * @return true when the chosen stream changed
     */
    public synchronized boolean add(S stream, Map<String, ?> properties) {
        streams.add(stream, properties);
        return choose();
    }

    /** @return true when the chosen stream changed: it was the one that went */
    public synchronized boolean remove(S stream) {
        if (streams.nameOf(stream) == null) {
            return false;
        }
        streams.remove(stream);
        return choose();
    }

    /** @return the stream to read now, or null when none of the name is there */
    public synchronized S chosen() {
        return chosen;
    }

    private boolean choose() {
        S best = streams.get(NAME);
        boolean changed = best != chosen;
        chosen = best;
        return changed;
    }
}
