package io.armature.deploy;

import java.util.List;
import java.util.Objects;

/**
 * A change of the bundle set as it goes ({@link FeatureDeployer#progress()}): what it is, the steps
 * done so far in an operator's words, and, once it has ended, its result.
 *
 * @param change        the change, for example {@code feature sim-rover-next} or
 *                      {@code bundle armature.control 0.1.1}
 * @param running       true while the change runs
 * @param steps         what has been done so far, oldest first, one line each
 * @param elapsedMillis time since the change began, in ms (to its end once it has ended)
 * @param result        the result once the change has ended; null while it runs, and when it
 *                      ended in an error the deployer did not expect (its last step says so)
 */
public record ChangeProgress(String change, boolean running, List<String> steps, long elapsedMillis, ApplyResult result) {

    public ChangeProgress {
        Objects.requireNonNull(change, "change");
        steps = List.copyOf(steps);
    }
}
