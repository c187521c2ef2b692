package io.armature.deploy.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.osgi.framework.Version;

/**
 * The feature repository directory as the deployer reads it: the features it holds, a feature's
 * descriptor, and the jars a descriptor pins, each checked against its SHA-256 and manifest.
 */
final class FeatureRepository {

    private final Path directory;

    FeatureRepository(Path directory) {
        this.directory = directory;
    }

    Path directory() {
        return directory;
    }

    /** @return the names of the features in the repository, sorted; none when it cannot be read */
    List<String> available() {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(FeatureDescriptor.SUFFIX))
                    .map(n -> n.substring(0, n.length() - FeatureDescriptor.SUFFIX.length())).filter(FeatureDescriptor::validName)
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** @throws IllegalArgumentException in one sentence, for an unknown name or a bad descriptor */
    FeatureDescriptor load(String feature) {
        if (!FeatureDescriptor.validName(feature)) {
            throw new IllegalArgumentException("'" + feature + "' is not a feature name; available: " + availableList());
        }
        Path file = directory.resolve(feature + FeatureDescriptor.SUFFIX);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no feature '" + feature + "' in " + directory + "; available: " + availableList());
        }
        FeatureDescriptor d;
        try {
            d = FeatureDescriptor.read(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("feature " + feature + " cannot be read: " + e.getMessage());
        }
        if (!d.name().equals(feature)) {
            throw new IllegalArgumentException(file.getFileName() + " describes feature '" + d.name() + "', not '" + feature + "'");
        }
        return d;
    }

    private String availableList() {
        List<String> names = available();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** Reads every jar the feature names, checks its checksum and manifest, and returns them by symbolic name. */
    Map<String, byte[]> verify(FeatureDescriptor target) throws Deployer.Refused {
        Map<String, byte[]> jars = new HashMap<>();
        for (FeatureDescriptor.Entry e : target.bundles()) {
            Path file = directory.resolve(e.location()).normalize();
            byte[] jar;
            try {
                jar = Files.readAllBytes(file);
            } catch (IOException ex) {
                throw new Deployer.Refused("bundle " + e.symbolicName() + " of feature " + target.name() + " cannot be read from " + e.location()
                        + " (" + ex.getClass().getSimpleName() + "); nothing changed");
            }
            String sha = Sha256.of(jar);
            if (!sha.equals(e.sha256())) {
                throw new Deployer.Refused("bundle " + e.symbolicName() + " " + e.version() + " refused: its jar " + e.location() + " has SHA-256 "
                        + sha + " but feature " + target.name() + " pins " + e.sha256() + "; nothing changed");
            }
            String[] identity = BundleJar.identity(jar);
            if (!e.symbolicName().equals(identity[0]) || !Version.parseVersion(e.version()).equals(Version.parseVersion(identity[1]))) {
                throw new Deployer.Refused("bundle " + e.symbolicName() + " " + e.version() + " refused: its jar " + e.location() + " is "
                        + identity[0] + " " + identity[1] + "; nothing changed");
            }
            jars.put(e.symbolicName(), jar);
        }
        return jars;
    }

    /** @return the jar of that bundle and version from a feature that pins it (checksum checked), or null */
    byte[] pinnedJar(String symbolicName, Version version) {
        for (String name : available()) {
            try {
                FeatureDescriptor d = FeatureDescriptor.read(directory.resolve(name + FeatureDescriptor.SUFFIX));
                FeatureDescriptor.Entry e = d.entry(symbolicName);
                if (e != null && Version.parseVersion(e.version()).equals(version)) {
                    byte[] jar = Files.readAllBytes(directory.resolve(e.location()).normalize());
                    if (Sha256.of(jar).equals(e.sha256())) {
                        return jar;
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                // not this one
            }
        }
        return null;
    }
}
