package io.armature.safety.internal;

import java.util.function.Predicate;

/**
 * A board or control loop the configuration requires: its absence trips, after the start-up
 * grace; a loop away with its bundle (an in-place update) trips only when it is not back in time.
 */
final class RequiredRole implements SafetyCheck {

    private final String name;
    private final Predicate<String> there;
    private final ReturningLoops returning; // null for a board
    private final CheckResult missing;
    private final CheckResult away;

    private RequiredRole(String name, Predicate<String> there, ReturningLoops returning, String source, String tripMessage, String resetReason) {
        this.name = name;
        this.there = there;
        this.returning = returning;
        this.missing = new CheckResult(CheckResult.Status.MISSING, source, tripMessage, resetReason);
        this.away = new CheckResult(CheckResult.Status.NOT_READY, source, null, resetReason + " (its bundle is starting again)");
    }

    /** @param present whether a board of an id is there */
    static RequiredRole board(String id, Predicate<String> present) {
        return new RequiredRole(id, present, null, "board:" + id, "required board '" + id + "' is not present", "board '" + id + "' is not present");
    }

    /**
     * @param running   whether a loop of a name is there
     * @param returning loops away with their bundle: one of those is awaited, not missing, until its time is up
     */
    static RequiredRole loop(String name, Predicate<String> running, ReturningLoops returning) {
        return new RequiredRole(name, running, returning, "loop:" + name, "required loop '" + name + "' is not running",
                "loop '" + name + "' is not running");
    }

    @Override
    public boolean present() {
        return there.test(name);
    }

    @Override
    public CheckResult evaluate(long now) {
        if (present()) {
            return CheckResult.OK;
        }
        return returning != null && returning.awaited(name, now) ? away : missing;
    }
}
