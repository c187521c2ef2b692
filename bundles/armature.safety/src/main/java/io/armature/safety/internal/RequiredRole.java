package io.armature.safety.internal;

import java.util.function.Predicate;

/** A board or control loop the configuration requires: its absence trips, after the start-up grace. */
final class RequiredRole implements SafetyCheck {

    private final String name;
    private final Predicate<String> there;
    private final CheckResult missing;

    private RequiredRole(String name, Predicate<String> there, String source, String tripMessage, String resetReason) {
        this.name = name;
        this.there = there;
        this.missing = new CheckResult(CheckResult.Status.MISSING, source, tripMessage, resetReason);
    }

    /** @param present whether a board of an id is there */
    static RequiredRole board(String id, Predicate<String> present) {
        return new RequiredRole(id, present, "board:" + id, "required board '" + id + "' is not present", "board '" + id + "' is not present");
    }

    /** @param running whether a loop of a name is there */
    static RequiredRole loop(String name, Predicate<String> running) {
        return new RequiredRole(name, running, "loop:" + name, "required loop '" + name + "' is not running", "loop '" + name + "' is not running");
    }

    @Override
    public boolean present() {
        return there.test(name);
    }

    @Override
    public CheckResult evaluate(long now) {
        return present() ? CheckResult.OK : missing;
    }
}
