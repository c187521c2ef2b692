package io.armature.deploy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.BundleChange;
import io.armature.deploy.FeatureDeployer;

/** {@code feature:list}, {@code feature:apply <name>} and {@code feature:swap <bundle> <jar>}. */
@Component(service = FeatureCommands.class, immediate = true, property = {
        "osgi.command.scope=feature",
        "osgi.command.function=list",
        "osgi.command.function=apply",
        "osgi.command.function=swap"})
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
        return report(deployer.apply(name));
    }

    /** feature:swap — replaces a running bundle by a newer version of it from a jar file, side by side, and prints what happened. */
    public String swap(String bundle, String jarFile) throws IOException {
        Path file = Path.of(jarFile);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no jar file " + jarFile);
        }
        if (Files.size(file) > FeatureDeployer.MAX_JAR_BYTES) {
            throw new IllegalArgumentException(jarFile + " is larger than " + FeatureDeployer.MAX_JAR_BYTES / (1024 * 1024) + " MB");
        }
        return report(deployer.swap(bundle, Files.readAllBytes(file)));
    }

    private static String report(ApplyResult r) {
        StringBuilder out = new StringBuilder(r.outcome().name()).append(": ").append(r.message())
                .append(" (").append(r.durationMillis()).append(" ms)");
        for (BundleChange c : r.changes()) {
            out.append("\n  ").append(c);
        }
        return out.toString();
    }
}
