package io.armature.deploy;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link FeatureDeployer#apply(String)} or {@link FeatureDeployer#swap(String, byte[])}.
 *
 * @param feature        the feature asked for; for a swap, the installed feature the set was
 * @param outcome        what happened
 * @param message        one sentence for an operator: what was done, or why not
 * @param changes        the bundle changes made (for {@link Outcome#ROLLED_BACK}: made, then undone;
 *                       for {@link Outcome#REFUSED}: none)
 * @param durationMillis how long the whole change took, in ms
 */
public record ApplyResult(String feature, Outcome outcome, String message, List<BundleChange> changes, long durationMillis) {

    /** What an apply did. */
    public enum Outcome {
        /** the feature is running and passed the health gate */
        APPLIED,
        /** the running set already was the feature: nothing changed */
        UNCHANGED,
        /** refused before anything changed (unknown name, checksum mismatch, another change running) */
        REFUSED,
        /** the feature failed the health gate and the previous set is running again */
        ROLLED_BACK
    }

    public ApplyResult {
        Objects.requireNonNull(feature, "feature");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(message, "message");
        changes = List.copyOf(changes);
    }
}
