package io.armature.deploy;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Applies a feature (a bundle set pinned by SHA-256, read from the configured feature repository)
 * to the running framework: installs and updates side by side, waits for the health gate and
 * rolls back to the previous set by itself when the gate fails. One change runs at a time.
 */
@ProviderType
public interface FeatureDeployer {

    /** @return the names of the features in the repository, sorted; empty when it holds none */
    List<String> available();

    /**
     * @return the feature the running set was last applied from, or the one the runtime was
     *         started with (framework property {@code armature.robot}); empty when unknown
     */
    Optional<String> installed();

    /**
     * What applying a feature would change, without changing anything.
     *
     * @param feature a name from {@link #available()}
     * @return the bundles to install, update and uninstall; empty when the running set matches
     * @throws IllegalArgumentException for a name that is not in the repository or a descriptor
     *                                  that cannot be read; the message is one sentence
     */
    List<BundleChange> diff(String feature);

    /**
     * Applies a feature and waits until it is done: verifies every checksum before touching
     * anything, installs and updates, then waits for the health gate (every component active,
     * the safety supervisor healthy, every loop at its rate). Blocks for at most the configured
     * gate time-out plus the time to install.
     *
     * @param feature a name from {@link #available()}
     * @return what happened; a refused change or a rollback is a result, never an exception
     */
    ApplyResult apply(String feature);
}
