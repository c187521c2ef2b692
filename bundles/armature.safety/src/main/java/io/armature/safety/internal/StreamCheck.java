package io.armature.safety.internal;

/**
 * A watched sensor stream keeps delivering valid samples: it is there, it publishes within the
 * stall limit, and it delivers no more invalid samples in a second than allowed.
 */
final class StreamCheck implements SafetyCheck {

    private final String name;
    private final WatchedStreams streams;
    private final Settings limits;
    // what it finds while no stream of the name is there; made once, so that the cycle does not allocate
    private final CheckResult neverCame;
    private final CheckResult restarting;

    /** @param limits the stall limit and the invalid samples allowed per second */
    StreamCheck(String name, WatchedStreams streams, Settings limits) {
        String notPresent = "sensor stream '" + name + "' is not present";
        this.name = name;
        this.streams = streams;
        this.limits = limits;
        this.neverCame = new CheckResult(CheckResult.Status.MISSING, "stream:" + name, "watched " + notPresent, notPresent);
        this.restarting = new CheckResult(CheckResult.Status.NOT_READY, "stream:" + name, null, notPresent);
    }

    private String source() {
        return "stream:" + name;
    }

    @Override
    public boolean present() {
        return streams.watch(name) != null;
    }

    /** Follows its progress even while tripped, so that a reset can see it flowing again; counts invalid samples only while not. */
    @Override
    public void observe(long now, boolean tripped) {
        WatchedStreams.Watch w = streams.watch(name);
        if (w == null) {
            return;
        }
        w.progress(now);
        if (!tripped && now - w.lastProgress <= limits.stallNanos()) {
            w.countInvalid(now);
        }
    }

    @Override
    public CheckResult evaluate(long now) {
        WatchedStreams.Watch w = streams.watch(name);
        if (w == null) {
            Long since = streams.goneSince(name);
            if (since == null) {
                return neverCame;
            }
            return now - since > limits.stallNanos()
                    ? CheckResult.failed(source(), "watched sensor stream '" + name + "' went away " + (now - since) / 1_000_000 + " ms ago",
                            restarting.resetReason())
                    : restarting;
        }
        if (w.lastPublished >= 0 && now - w.lastProgress > limits.stallNanos()) {
            return CheckResult.failed(source(), "sensor stream '" + name + "' stalled: no sample for " + (now - w.lastProgress) / 1_000_000 + " ms",
                    "sensor stream '" + name + "' is stalled");
        }
        if (w.invalidInWindow > limits.maxInvalidPerSecond()) {
            // a fault of the last second: it trips, and is past by the time anyone resets
            return CheckResult.failed(source(), "sensor stream '" + name + "' delivered " + w.invalidInWindow
                    + " invalid samples within a second (limit " + limits.maxInvalidPerSecond() + ")", null);
        }
        return CheckResult.OK;
    }
}
