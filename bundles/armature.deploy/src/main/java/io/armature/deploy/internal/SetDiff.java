package io.armature.deploy.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.armature.deploy.BundleChange;

/** What it takes to turn the running bundle set into a feature's. */
final class SetDiff {

    private SetDiff() {
    }

    /**
     * A running bundle.
     *
     * @param id           its bundle id
     * @param symbolicName its symbolic name
     * @param version      its version
     * @param sha256       the SHA-256 of its jar, or null when it cannot be known (then the version decides)
     */
    record Running(long id, String symbolicName, String version, String sha256) {
    }

    /**
     * One change.
     *
     * @param change what happens
     * @param from   the running bundle it replaces or removes; null for an install
     * @param to     the feature's bundle; null for an uninstall
     */
    record Step(BundleChange change, Running from, FeatureDescriptor.Entry to) {
    }

    /**
     * @return the installs, updates and uninstalls, in that order, each group by symbolic name;
     *         empty when the running set is the feature's
     */
    static List<Step> diff(List<Running> running, FeatureDescriptor target) {
        List<Step> installs = new ArrayList<>();
        List<Step> updates = new ArrayList<>();
        List<Step> uninstalls = new ArrayList<>();
        Set<Running> kept = new HashSet<>();
        for (FeatureDescriptor.Entry e : target.bundles()) {
            List<Running> same = running.stream().filter(r -> r.symbolicName().equals(e.symbolicName())).toList();
            Running match = same.stream().filter(r -> matches(r, e)).findFirst().orElse(null);
            if (match != null) {
                kept.add(match);
            } else if (same.isEmpty()) {
                installs.add(new Step(new BundleChange(BundleChange.Kind.INSTALL, e.symbolicName(), "", e.version()), null, e));
            } else {
                Running from = same.get(0);
                kept.add(from);
                updates.add(new Step(new BundleChange(BundleChange.Kind.UPDATE, e.symbolicName(), from.version(), e.version()), from, e));
            }
        }
        for (Running r : running) {
            if (!kept.contains(r)) {
                uninstalls.add(new Step(new BundleChange(BundleChange.Kind.UNINSTALL, r.symbolicName(), r.version(), ""), r, null));
            }
        }
        Comparator<Step> byName = Comparator.comparing(s -> s.change().symbolicName());
        installs.sort(byName);
        updates.sort(byName);
        uninstalls.sort(byName);
        List<Step> all = new ArrayList<>(installs);
        all.addAll(updates);
        all.addAll(uninstalls);
        return all;
    }

    /** Same version and, where the running jar's checksum is known, the same content. */
    private static boolean matches(Running r, FeatureDescriptor.Entry e) {
        return r.version().equals(e.version())
                && (r.sha256() == null || e.sha256().equals(FeatureDescriptor.UNKNOWN_SHA256) || r.sha256().equals(e.sha256()));
    }
}
