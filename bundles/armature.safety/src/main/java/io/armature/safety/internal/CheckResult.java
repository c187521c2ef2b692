package io.armature.safety.internal;

/**
 * What one {@link SafetyCheck} found.
 *
 * @param status      how bad it is
 * @param source      the trip's source, for example {@code board:sim}
 * @param tripMessage the trip's message; null for a result that does not trip
 * @param resetReason why a reset is refused, in words; null for a fault that trips but is
 *                    past by the time anyone resets (too many invalid samples in one second)
 */
record CheckResult(Status status, String source, String tripMessage, String resetReason) {

    /** How bad a result is. */
    enum Status {
        OK,
        /** Not healthy enough for a reset, not reason enough to trip (a bouncing button, a stream restarting). */
        NOT_READY,
        /** Something required is not there: trips once the start-up grace is over. */
        MISSING,
        /** Trips. */
        FAILED
    }

    static final CheckResult OK = new CheckResult(Status.OK, null, null, null);

    static CheckResult failed(String source, String tripMessage, String resetReason) {
        return new CheckResult(Status.FAILED, source, tripMessage, resetReason);
    }

    /** @param starting true during the start-up grace, while something required is still missing */
    boolean trips(boolean starting) {
        return status == Status.FAILED || status == Status.MISSING && !starting;
    }

    boolean refusesReset() {
        return status != Status.OK && resetReason != null;
    }
}
