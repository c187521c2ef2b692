package io.armature.safety.internal;

import java.util.function.Consumer;

import io.armature.safety.Heartbeat;

/** One heartbeat, and the check that it beats in time; beating is a volatile write. */
final class HeartbeatCheck implements Heartbeat, SafetyCheck {

    private final String name;
    private final long timeoutNanos;
    private final long created = System.nanoTime();
    private final Consumer<HeartbeatCheck> onClose;
    private volatile long last = created;
    private volatile boolean beaten;
    private volatile boolean closed;

    /** @param onClose takes it out of the supervisor's checks */
    HeartbeatCheck(String name, long timeoutNanos, Consumer<HeartbeatCheck> onClose) {
        this.name = name;
        this.timeoutNanos = timeoutNanos;
        this.onClose = onClose;
    }

    String name() {
        return name;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public void beat() {
        last = System.nanoTime();
        beaten = true;
    }

    @Override
    public void close() {
        closed = true;
        onClose.accept(this);
    }

    @Override
    public CheckResult evaluate(long now) {
        long silent = lapsed(now);
        if (silent < 0) {
            return CheckResult.OK;
        }
        return CheckResult.failed("heartbeat:" + name, name + " missed its heartbeat: none for " + silent / 1_000_000 + " ms (limit "
                + timeoutNanos / 1_000_000 + " ms)", name + " has no heartbeat");
    }

    /**
     * Lapsed: no beat within the timeout. Before its first beat the owner may still be starting
     * (a loop whose engine is not up yet), so it gets ten timeouts, at least one second.
     *
     * @return how long it has been silent, in ns, when that is past its limit; -1 while it is alive
     */
    private long lapsed(long now) {
        if (closed) {
            return -1;
        }
        long seen = last; // one read: the age reported is the age judged
        if (!beaten) {
            return now - created > Math.max(10 * timeoutNanos, 1_000_000_000L) ? now - created : -1;
        }
        return now - seen > timeoutNanos ? now - seen : -1;
    }
}
