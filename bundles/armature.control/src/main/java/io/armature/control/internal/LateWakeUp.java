package io.armature.control.internal;

import io.armature.sensor.Sample;

/**
 * A loop thread woke late: when the first deadline it missed was due, when it woke, how many
 * deadlines were late, and how many had been published for attribution up to and including
 * these (so a reader that lost some knows how many deadlines it lost).
 */
final class LateWakeUp implements Sample<LateWakeUp> {

    long deadlineNanos;
    long wokeNanos;
    long deadlines;
    long publishedDeadlines;

    @Override
    public long timestampNanos() {
        return wokeNanos;
    }

    @Override
    public boolean valid() {
        return true;
    }

    @Override
    public void copyFrom(LateWakeUp other) {
        deadlineNanos = other.deadlineNanos;
        wokeNanos = other.wokeNanos;
        deadlines = other.deadlines;
        publishedDeadlines = other.publishedDeadlines;
    }
}
