package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureRepositoryBuilderTest {

    @TempDir
    Path dir;

    static byte[] bundle(String bsn, String version) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Bundle-SymbolicName", bsn + ";singleton:=true");
        m.getMainAttributes().putValue("Bundle-Version", version);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            j.putNextEntry(new JarEntry("readme.txt"));
            j.write(bsn.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    @Test
    void anExportedFeatureJarBecomesADescriptorPinningEachBundle() throws IOException {
        byte[] api = bundle("armature.api", "0.1.0.202611260930");
        byte[] scr = bundle("org.apache.felix.scr", "2.2.18");
        Path features = Files.createDirectories(dir.resolve("target"));
        try (OutputStream f = Files.newOutputStream(features.resolve("sim-rover.jar")); JarOutputStream j = new JarOutputStream(f)) {
            j.putNextEntry(new JarEntry("launcher.properties"));
            j.write(("launch.bundles=jar/armature.api-0.1.0-SNAPSHOT.jar,jar/org.apache.felix.scr-2.2.18.jar\n"
                    + "launch.runbundles.attrs=armature.api;version\\=\"0.1.0.202611260930\";startlevel\\=10,"
                    + "org.apache.felix.scr;version\\=\"2.2.18\";startlevel\\=19\n").getBytes(StandardCharsets.ISO_8859_1));
            j.putNextEntry(new JarEntry("jar/armature.api-0.1.0-SNAPSHOT.jar"));
            j.write(api);
            j.putNextEntry(new JarEntry("jar/org.apache.felix.scr-2.2.18.jar"));
            j.write(scr);
        }
        Files.write(features.resolve("plain.jar"), bundle("plain", "1.0.0"));

        Path repository = dir.resolve("repository");
        assertEquals(List.of("sim-rover"), FeatureRepositoryBuilder.build(features, repository));

        FeatureDescriptor d = FeatureDescriptor.read(repository.resolve("sim-rover.feature"));
        assertEquals("sim-rover", d.name());
        assertEquals(List.of(
                new FeatureDescriptor.Entry("armature.api", "0.1.0.202611260930", 10, Sha256.of(api), "bundles/armature.api-0.1.0.202611260930.jar"),
                new FeatureDescriptor.Entry("org.apache.felix.scr", "2.2.18", 19, Sha256.of(scr), "bundles/org.apache.felix.scr-2.2.18.jar")),
                d.bundles());
        assertArrayEquals(api, Files.readAllBytes(repository.resolve("bundles/armature.api-0.1.0.202611260930.jar")));
    }
}
