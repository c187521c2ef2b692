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

    /** The largest jar {@link #swap(String, byte[])} takes, in bytes (the OpenCV bundle, the largest, is about 70 MB). */
    int MAX_JAR_BYTES = 256 * 1024 * 1024;

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

    /**
     * Replaces one running bundle by a newer version of it, side by side, as {@link #apply} does
     * for a feature: the new version is installed and started beside the running one, which then
     * goes (a new {@code armature.control} takes its loops over without an undriven cycle); then
     * the health gate, and a rollback to the running version when the gate fails. Verifies before
     * anything is touched that the jar is a bundle of that symbolic name with a higher version.
     *
     * @param symbolicName the running bundle to replace
     * @param jar          the new version's jar
     * @return what happened, for the set named after the installed feature; a refused swap or a
     *         rollback is a result, never an exception
     */
    ApplyResult swap(String symbolicName, byte[] jar);

    /**
     * What the change running now has done so far, for an operator to watch while {@link #apply}
     * or {@link #swap} blocks on another thread; once it has ended, the last change with its result
     * (until the next one begins).
     *
     * @return the running change or the last one; empty when none has run since the deployer started
     */
    Optional<ChangeProgress> progress();
}
