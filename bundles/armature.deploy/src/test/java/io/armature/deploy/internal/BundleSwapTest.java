package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

class BundleSwapTest {

    private static final String SHA = "a".repeat(64);
    private final List<SetDiff.Running> running = List.of(new SetDiff.Running(3, "armature.api", "0.1.0", SHA),
            new SetDiff.Running(7, "armature.control", "0.1.0.202612071200", null));

    private static byte[] jar(String bsn, String version) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", bsn + ";singleton:=true");
        }
        if (version != null) {
            m.getMainAttributes().putValue("Bundle-Version", version);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
        return out.toByteArray();
    }

    private FeatureDescriptor swap(String bsn, byte[] jar) throws Deployer.Refused {
        return BundleSwap.target("sim-rover", running, bsn, jar, id -> (int) id * 10);
    }

    private String refusal(String bsn, byte[] jar) {
        return assertThrows(Deployer.Refused.class, () -> swap(bsn, jar)).getMessage();
    }

    @Test
    void aNewerVersionReplacesTheRunningOneAndEverythingElseStays() throws Exception {
        byte[] jar = jar("armature.control", "0.1.1");
        FeatureDescriptor target = swap("armature.control", jar);
        assertEquals("sim-rover", target.name());
        assertEquals(new FeatureDescriptor.Entry("armature.api", "0.1.0", 30, SHA, "-"), target.entry("armature.api"));
        assertEquals(new FeatureDescriptor.Entry("armature.control", "0.1.1", 70, Sha256.of(jar), "-"), target.entry("armature.control"),
                "the new version at the running one's start level, pinned to the upload's checksum");
        assertEquals(List.of("update armature.control 0.1.0.202612071200 -> 0.1.1"),
                SetDiff.diff(running, target).stream().map(s -> s.change().toString()).toList(), "one update, nothing else");
    }

    @Test
    void whatIsNotANewerVersionOfARunningBundleIsRefusedInOneSentence() throws Exception {
        assertEquals("the upload is empty; a swap takes the jar of a bundle; nothing changed", refusal("armature.control", new byte[0]));
        assertEquals("the upload is not an OSGi bundle (no jar manifest with a Bundle-SymbolicName); nothing changed",
                refusal("armature.control", "not a jar".getBytes()));
        assertEquals("the upload is not an OSGi bundle (no jar manifest with a Bundle-SymbolicName); nothing changed",
                refusal("armature.control", jar(null, "1.0.0")));
        assertEquals("the upload is bundle armature.web, not armature.control; nothing changed",
                refusal("armature.control", jar("armature.web", "9.0.0")));
        assertEquals("bundle armature.control 0.1.0.202612071200 is not newer than the running 0.1.0.202612071200; "
                + "a swap takes a higher version (a feature can go back); nothing changed",
                refusal("armature.control", jar("armature.control", "0.1.0.202612071200")));
        assertEquals("bundle armature.control 0.0.9 is not newer than the running 0.1.0.202612071200; "
                + "a swap takes a higher version (a feature can go back); nothing changed",
                refusal("armature.control", jar("armature.control", "0.0.9")));
        assertEquals("bundle armature.control has no valid Bundle-Version ('one'); nothing changed",
                refusal("armature.control", jar("armature.control", "one")));
        assertEquals("no bundle armature.vision is installed; a swap replaces a running bundle by a newer version of it "
                + "(a feature adds bundles); nothing changed", refusal("armature.vision", jar("armature.vision", "1.0.0")));
    }

    @Test
    void aBundleInstalledTwiceIsRefusedUntilOneGoes() throws Exception {
        List<SetDiff.Running> twice = List.of(new SetDiff.Running(7, "armature.control", "0.1.0", null),
                new SetDiff.Running(9, "armature.control", "0.1.1", null));
        assertEquals("2 versions of bundle armature.control are installed (a side-by-side update not finished); uninstall all but one first; "
                + "nothing changed", assertThrows(Deployer.Refused.class,
                        () -> BundleSwap.target("sim-rover", twice, "armature.control", jar("armature.control", "0.2.0"), id -> 1)).getMessage());
    }
}
