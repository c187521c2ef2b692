package io.armature.shell.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Services by name where a name may have more than one instance for a while (during a
 * side-by-side update); {@code pick} chooses the one a command talks to.
 */
final class NamedInstances<T> {

    private final Map<String, List<T>> byName = new ConcurrentHashMap<>();
    private final Function<List<T>, T> pick;

    NamedInstances(Function<List<T>, T> pick) {
        this.pick = pick;
    }

    void add(String name, T instance) {
        byName.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(instance);
    }

    void remove(String name, T instance) {
        List<T> all = byName.get(name);
        if (all != null) {
            all.remove(instance);
        }
    }

    /** @return the chosen instance for the name, or null when there is none */
    T get(String name) {
        List<T> all = byName.get(name);
        return all == null || all.isEmpty() ? null : pick.apply(all);
    }

    /** @return the names that have at least one instance, sorted */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        byName.forEach((name, all) -> {
            if (!all.isEmpty()) {
                names.add(name);
            }
        });
        return names;
    }
}
