package io.armature.deploy.internal;

import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.BundleChange;
import io.armature.deploy.FeatureDeployer;

/** {@code feature:list} and {@code feature:apply <name>}. */
@Component(service = FeatureCommands.class, immediate = true, property = {
        "osgi.command.scope=feature",
        "osgi.command.function=list",
        "osgi.command.function=apply"})
public final class FeatureCommands {

    private final FeatureDeployer deployer;

    @Activate
    public FeatureCommands(@Reference FeatureDeployer deployer) {
        this.deployer = deployer;
    }

    /** feature:list — the features in the repository, the installed one, and what applying each would change. */
    public String list() {
        List<String> names = deployer.available();
        Optional<String> installed = deployer.installed();
        StringBuilder out = new StringBuilder("installed: ").append(installed.orElse("unknown")).append('\n');
        if (names.isEmpty()) {
            return out.append("no feature in the repository (configuration armature.deploy, repository)").toString();
        }
        for (String name : names) {
            out.append(installed.filter(name::equals).isPresent() ? "* " : "  ").append(name).append(": ");
            List<BundleChange> changes;
            try {
                changes = deployer.diff(name);
            } catch (IllegalArgumentException e) {
                out.append(e.getMessage()).append('\n');
                continue;
            }
            if (changes.isEmpty()) {
                out.append("the running set\n");
                continue;
            }
            out.append(changes.size()).append(changes.size() == 1 ? " change\n" : " changes\n");
            for (BundleChange c : changes) {
                out.append("      ").append(c).append('\n');
            }
        }
        return out.toString().stripTrailing();
    }

    /** feature:apply — applies a feature and prints what happened. */
    public String apply(String name) {
        if (!deployer.available().contains(name)) {
            deployer.diff(name); // says in one sentence why the name is not a feature
        }
        ApplyResult r = deployer.apply(name);
        StringBuilder out = new StringBuilder(r.outcome().name()).append(": ").append(r.message())
                .append(" (").append(r.durationMillis()).append(" ms)");
        for (BundleChange c : r.changes()) {
            out.append("\n  ").append(c);
        }
        return out.toString();
    }
}
