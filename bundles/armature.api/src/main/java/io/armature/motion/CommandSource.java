package io.armature.motion;

import java.util.Objects;

/**
 * A source of motion commands as configured: who it is, how it ranks, how long one command
 * holds and whether it may reset a trip.
 *
 * @param name        the source's name, for example {@code gogo}, {@code web}, {@code rosbridge}
 * @param priority    the higher one owns a loop when several sources command it, 0..1000
 * @param leaseMillis how long one command holds without a renewal, in ms; 0 for until it is
 *                    replaced or released (local operator interfaces)
 * @param mayReset    true when the source may reset a trip
 */
public record CommandSource(String name, int priority, long leaseMillis, boolean mayReset) {
    public CommandSource {
        Objects.requireNonNull(name, "name");
        if (priority < 0 || priority > 1000) {
            throw new IllegalArgumentException("source '" + name + "': priority must be 0..1000, was " + priority);
        }
        if (leaseMillis < 0 || leaseMillis > 600_000) {
            throw new IllegalArgumentException("source '" + name + "': lease must be 0..600000 ms, was " + leaseMillis);
        }
    }

    /** @return true when a command of this source lapses unless renewed */
    public boolean leased() {
        return leaseMillis > 0;
    }
}
