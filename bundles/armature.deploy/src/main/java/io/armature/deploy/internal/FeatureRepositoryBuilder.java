package io.armature.deploy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Builds a feature repository from exported feature jars (bnd's executable jars, which embed the
 * resolved bundles and list them in {@code launcher.properties}): every bundle jar under
 * {@code bundles/<symbolic-name>-<version>.jar} and one {@code <feature>.feature} descriptor per
 * feature jar, each bundle pinned by SHA-256 with its start level. Run at build time, so
 * descriptors are never written by hand:
 *
 * <pre>java -cp armature.deploy.jar io.armature.deploy.internal.FeatureRepositoryBuilder features/target features/target/repository</pre>
 */
public final class FeatureRepositoryBuilder {

    private FeatureRepositoryBuilder() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: FeatureRepositoryBuilder <directory of feature jars> <repository directory>");
        }
        List<String> built = build(Path.of(args[0]), Path.of(args[1]));
        System.out.println("feature repository " + args[1] + ": " + String.join(", ", built));
    }

    /** @return the names of the features written */
    static List<String> build(Path featureJars, Path repository) throws IOException {
        Files.createDirectories(repository.resolve("bundles"));
        List<Path> jars;
        try (Stream<Path> files = Files.list(featureJars)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        List<String> built = new ArrayList<>();
        for (Path jar : jars) {
            String name = jar.getFileName().toString().replaceFirst("\\.jar$", "");
            FeatureDescriptor d = describe(jar, name, repository);
            if (d != null) {
                Files.writeString(repository.resolve(name + FeatureDescriptor.SUFFIX),
                        d.format("generated from features/" + name + ".bndrun at build time; do not edit"));
                built.add(name);
            }
        }
        return built;
    }

    /** @return the feature in an exported jar, its bundles copied into the repository; null for a jar that is no feature */
    private static FeatureDescriptor describe(Path featureJar, String name, Path repository) throws IOException {
        try (JarFile j = new JarFile(featureJar.toFile())) {
            JarEntry launcher = j.getJarEntry("launcher.properties");
            if (launcher == null) {
                return null;
            }
            Properties p = new Properties();
            try (InputStream in = j.getInputStream(launcher)) {
                p.load(in);
            }
            List<String> entries = Arrays.stream(p.getProperty("launch.bundles", "").split(",")).map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
            String[] attrs = p.getProperty("launch.runbundles.attrs", "").split(",");
            List<FeatureDescriptor.Entry> bundles = new ArrayList<>();
            for (int i = 0; i < entries.size(); i++) {
                JarEntry e = j.getJarEntry(entries.get(i));
                if (e == null) {
                    throw new IOException(featureJar + " lists " + entries.get(i) + " but does not hold it");
                }
                byte[] bytes;
                try (InputStream in = j.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                String[] id = BundleJar.identity(bytes);
                String location = "bundles/" + id[0] + "-" + id[1] + ".jar";
                Path target = repository.resolve(location);
                String sha = Sha256.of(bytes);
                // a bundle rebuilt under an unchanged version (a SNAPSHOT): the newest build wins
                if (!Files.exists(target) || !Sha256.of(Files.readAllBytes(target)).equals(sha)) {
                    Files.write(target, bytes);
                }
                bundles.add(new FeatureDescriptor.Entry(id[0], id[1], startLevel(i < attrs.length ? attrs[i] : ""), sha, location));
            }
            return new FeatureDescriptor(name, bundles);
        }
    }

    private static int startLevel(String attrs) {
        int at = attrs.indexOf("startlevel=");
        if (at < 0) {
            return 1;
        }
        String digits = attrs.substring(at + "startlevel=".length()).replaceAll("[^0-9].*$", "");
        return digits.isEmpty() ? 1 : Integer.parseInt(digits);
    }
}
