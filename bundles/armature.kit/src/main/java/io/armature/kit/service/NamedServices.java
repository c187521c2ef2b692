package io.armature.kit.service;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.osgi.framework.Constants;

/**
 * The services of one kind a component tracks by name (loops by {@code armature.loop.name},
 * streams by {@code armature.stream}, boards by {@code armature.board}), fed from a dynamic
 * multiple reference's bind and unbind methods. A name may have more than one instance for a
 * while (during a side-by-side update, or a replay ranked above a live stream): {@code pick}
 * chooses the one a caller talks to. Thread-safe; lookups do not lock.
 *
 * @param <T> the service type
 */
public final class NamedServices<T> {

    // Each name's instances as an immutable list, replaced whole under the lock: a reader holds one
    // consistent list (a pick that reads its size and then an element cannot see it shrink between).
    private final Map<String, List<T>> byName = new ConcurrentHashMap<>();
    private final Map<T, String> names = new ConcurrentHashMap<>();
    private final Function<T, String> nameOf;
    private final String property;
    private final Function<List<T>, T> pick;
    /** per instance, its {@code service.ranking}; only for {@link #byNameRanked} */
    private final Map<T, Integer> rankings;

    private NamedServices(Function<T, String> nameOf, String property, Function<List<T>, T> pick, boolean ranked) {
        this.nameOf = nameOf;
        this.property = property;
        this.rankings = ranked ? new ConcurrentHashMap<>() : null;
        this.pick = ranked ? this::highestRanked : pick;
    }

    /**
     * Tracks services by a service property.
     *
     * @param property the service property that names a service ({@code String})
     * @param pick     of the instances of one name (never empty, in arrival order), the one to use
     */
    public static <T> NamedServices<T> byProperty(String property, Function<List<T>, T> pick) {
        return new NamedServices<>(null, property, pick, false);
    }

    /** Tracks services by the service property {@code property}; of several of one name, the newest is used. */
    public static <T> NamedServices<T> byProperty(String property) {
        return byProperty(property, NamedServices::newest);
    }

    /** Tracks services by a name the service itself gives; of several of one name, the newest is used. */
    public static <T> NamedServices<T> byName(Function<T, String> nameOf) {
        return new NamedServices<>(nameOf, null, NamedServices::newest, false);
    }

    /**
     * Tracks services by a name the service itself gives; of several of one name, the one of the
     * highest {@code service.ranking} is used, the newest of equals. A recording replayed under a
     * live stream's name ranks higher: it is read while it plays, the live stream when it ends.
     * Add with {@link #add(Object, Map)}, which reads the ranking.
     */
    public static <T> NamedServices<T> byNameRanked(Function<T, String> nameOf) {
        return new NamedServices<>(nameOf, null, null, true);
    }

    /** The pick that uses the newest instance of a name. */
    public static <T> T newest(List<T> all) {
        return all.get(all.size() - 1);
    }

    /**
     * Tracks a service under the name its properties give (the name property of {@link #byProperty}),
     * or the name it gives itself ({@link #byName}, {@link #byNameRanked}: the properties hold its ranking).
     */
    public void add(T service, Map<String, ?> properties) {
        if (rankings != null) {
            Object r = properties.get(Constants.SERVICE_RANKING);
            rankings.put(service, r instanceof Integer i ? i : 0);
        }
        add(service, property == null ? nameOf.apply(service) : String.valueOf(properties.get(property)));
    }

    /** Tracks a service that names itself ({@link #byName}). */
    public void add(T service) {
        add(service, nameOf.apply(service));
    }

    /** Tracks a service under {@code name}. */
    public void add(T service, String name) {
        synchronized (byName) {
            names.put(service, name);
            List<T> more = new ArrayList<>(byName.getOrDefault(name, List.of()));
            more.add(service);
            byName.put(name, List.copyOf(more));
        }
    }

    /** Stops tracking a service; one that was not tracked is ignored. */
    public void remove(T service) {
        synchronized (byName) {
            String name = names.remove(service);
            List<T> all = name == null ? null : byName.get(name);
            if (all != null) {
                List<T> fewer = new ArrayList<>(all);
                fewer.remove(service);
                if (fewer.isEmpty()) {
                    byName.remove(name);
                } else {
                    byName.put(name, List.copyOf(fewer));
                }
            }
            if (rankings != null) {
                rankings.remove(service);
            }
        }
    }

    private T highestRanked(List<T> all) {
        T best = null;
        int bestRank = Integer.MIN_VALUE;
        for (T t : all) {
            int rank = rankings.getOrDefault(t, 0);
            if (rank >= bestRank) { // the newest of equals: the list is in arrival order
                best = t;
                bestRank = rank;
            }
        }
        return best;
    }

    /** @return the chosen instance for the name, or null when there is none */
    public T get(String name) {
        List<T> all = byName.get(name);
        return all == null || all.isEmpty() ? null : pick.apply(all);
    }

    /** @return every instance of the name, in arrival order (empty when there is none) */
    public List<T> all(String name) {
        List<T> all = byName.get(name);
        return all == null ? List.of() : all;
    }

    /** @return the name a tracked service was added under, or null */
    public String nameOf(T service) {
        return names.get(service);
    }

    /** @return the names that have at least one instance, sorted */
    public Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(byName.keySet()));
    }

    /** @return the chosen instance of every name, sorted by name */
    public Map<String, T> chosen() {
        Map<String, T> out = new TreeMap<>();
        for (String name : byName.keySet()) {
            T t = get(name);
            if (t != null) {
                out.put(name, t);
            }
        }
        return out;
    }

    /** @return every tracked instance, of every name: by name, and of one name in arrival order */
    public List<T> instances() {
        List<T> out = new ArrayList<>();
        for (String name : new TreeSet<>(byName.keySet())) {
            out.addAll(all(name));
        }
        return out;
    }

    /** @return true when nothing is tracked */
    public boolean isEmpty() {
        return names.isEmpty();
    }
}
