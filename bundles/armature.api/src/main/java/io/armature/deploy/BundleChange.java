package io.armature.deploy;

import java.util.Objects;

/**
 * One bundle that a feature change installs, updates or uninstalls.
 *
 * @param kind         what happens to it
 * @param symbolicName its Bundle-SymbolicName
 * @param fromVersion  the running version; empty for {@link Kind#INSTALL}
 * @param toVersion    the feature's version; empty for {@link Kind#UNINSTALL}
 */
public record BundleChange(Kind kind, String symbolicName, String fromVersion, String toVersion) {

    /** What happens to a bundle. */
    public enum Kind {
        /** not running; the feature adds it */
        INSTALL,
        /** running in another version or with other content; replaced side by side */
        UPDATE,
        /** running; the feature does not have it */
        UNINSTALL
    }

    public BundleChange {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(symbolicName, "symbolicName");
        Objects.requireNonNull(fromVersion, "fromVersion");
        Objects.requireNonNull(toVersion, "toVersion");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case INSTALL -> "install " + symbolicName + " " + toVersion;
            case UPDATE -> "update " + symbolicName + " " + fromVersion + " -> " + toVersion;
            case UNINSTALL -> "uninstall " + symbolicName + " " + fromVersion;
        };
    }
}
