package io.armature.deploy.internal;

import java.util.Collection;
import java.util.Set;

import org.osgi.framework.Bundle;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;

/**
 * While a change installs new bundles beside the ones they replace, keeps the new ones from wiring
 * to the old ones' exports. A bundle that exports and imports the same package (armature.control
 * and io.armature.control.pid) would otherwise import it from its retiring predecessor, and the
 * refresh that removes the predecessor would then restart the new bundle too: its loops would stop
 * and the supervisor trip. Where no other provider is offered, the old one stays a candidate.
 */
final class PreferNewExports implements ResolverHookFactory {

    private final Set<Bundle> added;
    private final Set<Bundle> retiring;

    PreferNewExports(Set<Bundle> added, Set<Bundle> retiring) {
        this.added = added;
        this.retiring = retiring;
    }

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new ResolverHook() {
            @Override
            public void filterResolvable(Collection<BundleRevision> candidates) {
                // every bundle may resolve
            }

            @Override
            public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisionCandidates) {
                // singletons are the framework's to judge
            }

            @Override
            public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
                if (!added.contains(requirement.getRevision().getBundle())) {
                    return;
                }
                boolean otherProvider = candidates.stream().anyMatch(c -> !retiring.contains(c.getRevision().getBundle()));
                if (otherProvider) {
                    candidates.removeIf(c -> retiring.contains(c.getRevision().getBundle()));
                }
            }

            @Override
            public void end() {
                // nothing held
            }
        };
    }
}
