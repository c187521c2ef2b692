package io.armature.safety.internal;

/**
 * The supervisor's own configuration. Sticky: once refused, it fails until a good one is
 * accepted (the trip it caused stays latched after that, until a reset).
 */
final class ConfigCheck implements SafetyCheck {

    private volatile String refused;

    /** @return the failure the refusal is, to trip on */
    CheckResult refuse(String reason) {
        refused = reason;
        return result(reason);
    }

    /** @return true when the configuration was refused before: the supervisor runs tripped on its defaults */
    boolean accept() {
        boolean wasRefused = refused != null;
        refused = null;
        return wasRefused;
    }

    boolean refused() {
        return refused != null;
    }

    @Override
    public CheckResult evaluate(long now) {
        String reason = refused;
        return reason == null ? CheckResult.OK : result(reason);
    }

    private static CheckResult result(String reason) {
        return CheckResult.failed("config", "configuration refused: " + reason, "the configuration was refused (" + reason + "); fix armature.safety first");
    }
}
