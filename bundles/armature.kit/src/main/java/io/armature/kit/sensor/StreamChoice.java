package io.armature.kit.sensor;

import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.Constants;

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

    private final Map<S, Integer> candidates = new LinkedHashMap<>();
    private S chosen;

    /**
     * A stream of the name came.
     *
     * @param properties its service properties, for {@code service.ranking}
     * @return true when the chosen stream changed
     */
    public synchronized boolean add(S stream, Map<String, ?> properties) {
        Object r = properties.get(Constants.SERVICE_RANKING);
        candidates.put(stream, r instanceof Integer i ? i : 0);
        return choose();
    }

    /** @return true when the chosen stream changed: it was the one that went */
    public synchronized boolean remove(S stream) {
        return candidates.remove(stream) != null && choose();
    }

    /** @return the stream to read now, or null when none of the name is there */
    public synchronized S chosen() {
        return chosen;
    }

    private boolean choose() {
        S best = null;
        int bestRank = Integer.MIN_VALUE;
        for (Map.Entry<S, Integer> e : candidates.entrySet()) {
            if (e.getValue() >= bestRank) { // the newest of equals: entries are in arrival order
                best = e.getKey();
                bestRank = e.getValue();
            }
        }
        boolean changed = best != chosen;
        chosen = best;
        return changed;
    }
}
