package io.armature.kit.board;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The settings a board fixes while it runs (its id, its hardware, its supervision): a new
 * configuration that changes any of them is refused with one message naming them all, and the
 * running one stays in force. Used from a board's {@code @Modified}; not thread-safe.
 */
public final class FixedSettings {

    private final List<String> changed = new ArrayList<>();

    /** Notes {@code name} as changed when {@code running} and {@code next} differ. */
    public FixedSettings compare(String name, Object running, Object next) {
        if (!Objects.equals(running, next)) {
            changed.add(name);
        }
        return this;
    }

    /** @throws IllegalArgumentException naming every changed setting, when there is one */
    public void refuseChanges() {
        if (!changed.isEmpty()) {
            throw new IllegalArgumentException(String.join(", ", changed)
                    + " cannot change while the board runs; restart the bundle to change it. The previous configuration stays in force");
        }
    }
}
