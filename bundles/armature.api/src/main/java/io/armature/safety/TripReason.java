package io.armature.safety;

import java.util.Objects;

/**
 * Why the supervisor tripped.
 *
 * @param source          what tripped it, for example {@code estop:gogo} or {@code loop:left}
 * @param message         a one-line human explanation
 * @param monotonicNanos  when, on the {@link System#nanoTime()} clock
 */
public record TripReason(String source, String message, long monotonicNanos) {
    public TripReason {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(message, "message");
    }
}
