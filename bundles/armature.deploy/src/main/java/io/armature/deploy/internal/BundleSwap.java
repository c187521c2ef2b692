package io.armature.deploy.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToIntFunction;

import org.osgi.framework.Version;

import io.armature.deploy.FeatureDeployer;

/**
 * The set a one-bundle swap turns the running set into: the same bundles, with the one named
 * replaced by the uploaded jar. The jar is checked before anything is touched: it must be a
 * bundle of that symbolic name with a version higher than the running one.
 */
final class BundleSwap {

    private BundleSwap() {
    }

    /**
     * @param name         the name the set keeps: the installed feature's
     * @param running      the running set
     * @param symbolicName the bundle to replace
     * @param jar          its new version's jar
     * @param startLevel   the start level of a running bundle, by id
     * @throws Deployer.Refused in one sentence, when the jar is not a newer version of a running bundle
     */
    static FeatureDescriptor target(String name, List<SetDiff.Running> running, String symbolicName, byte[] jar, LongToIntFunction startLevel)
            throws Deployer.Refused {
        if (jar.length > FeatureDeployer.MAX_JAR_BYTES) {
            throw new Deployer.Refused("the jar is larger than " + FeatureDeployer.MAX_JAR_BYTES / (1024 * 1024) + " MB; nothing changed");
        }
        if (jar.length == 0) {
            throw new Deployer.Refused("the upload is empty; a swap takes the jar of a bundle; nothing changed");
        }
        String[] identity = BundleJar.identity(jar);
        if (identity[0].equals("?")) {
            throw new Deployer.Refused("the upload is not an OSGi bundle (no jar manifest with a Bundle-SymbolicName); nothing changed");
        }
        if (!identity[0].equals(symbolicName)) {
            throw new Deployer.Refused("the upload is bundle " + identity[0] + ", not " + symbolicName + "; nothing changed");
        }
        Version next;
        try {
            next = Version.parseVersion(identity[1]);
        } catch (IllegalArgumentException e) {
            throw new Deployer.Refused("bundle " + symbolicName + " has no valid Bundle-Version ('" + identity[1] + "'); nothing changed");
        }
        List<SetDiff.Running> same = running.stream().filter(r -> r.symbolicName().equals(symbolicName)).toList();
        if (same.isEmpty()) {
            throw new Deployer.Refused("no bundle " + symbolicName
                    + " is installed; a swap replaces a running bundle by a newer version of it (a feature adds bundles); nothing changed");
        }
        if (same.size() > 1) {
            throw new Deployer.Refused(same.size() + " versions of bundle " + symbolicName
                    + " are installed (a side-by-side update not finished); uninstall all but one first; nothing changed");
        }
        SetDiff.Running old = same.get(0);
        Version now = Version.parseVersion(old.version());
        if (next.compareTo(now) <= 0) {
            throw new Deployer.Refused("bundle " + symbolicName + " " + next + " is not newer than the running " + now
                    + "; a swap takes a higher version (a feature can go back); nothing changed");
        }
        List<FeatureDescriptor.Entry> entries = new ArrayList<>();
        for (SetDiff.Running r : running) {
            int level = startLevel.applyAsInt(r.id());
            entries.add(r == old
                    ? new FeatureDescriptor.Entry(symbolicName, next.toString(), level, Sha256.of(jar), "-")
                    : new FeatureDescriptor.Entry(r.symbolicName(), r.version(), level,
                            r.sha256() == null ? FeatureDescriptor.UNKNOWN_SHA256 : r.sha256(), "-"));
        }
        try {
            return new FeatureDescriptor(name, entries);
        } catch (IllegalArgumentException e) {
            throw new Deployer.Refused("the running set cannot be recorded for a rollback: " + e.getMessage() + "; nothing changed");
        }
    }
}
