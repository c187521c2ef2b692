package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class FeatureDescriptorTest {

    static final String SHA_A = "a".repeat(64);
    static final String SHA_B = "b".repeat(64);

    @Test
    void formatAndParseRoundTrip() {
        FeatureDescriptor d = new FeatureDescriptor("sim-rover", List.of(
                new FeatureDescriptor.Entry("armature.api", "0.1.0.202611260930", 10, SHA_A, "bundles/armature.api-0.1.0.jar"),
                new FeatureDescriptor.Entry("armature.control", "0.1.1", 24, SHA_B, "bundles/armature.control-0.1.1.jar")));
        String text = d.format("generated");
        assertTrue(text.startsWith("# generated\nfeature sim-rover\nbundle armature.api 0.1.0.202611260930 10 " + SHA_A), text);
        assertEquals(d, FeatureDescriptor.parse(text, "x.feature"));
    }

    @Test
    void aBadLineIsNamedWithItsNumber() {
        String text = "feature f\nbundle a 1.0.0 1 " + SHA_A + " bundles/a.jar\nbundle b 1.0.0 1 ABC bundles/b.jar\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureDescriptor.parse(text, "f.feature"));
        assertEquals("f.feature line 3: the sha256 must be 64 lower-case hex digits, was 'ABC'", e.getMessage());
    }

    @Test
    void aLocationOutsideTheRepositoryIsRefused() {
        String text = "feature f\nbundle a 1.0.0 1 " + SHA_A + " ../../etc/a.jar\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureDescriptor.parse(text, "f.feature"));
        assertTrue(e.getMessage().contains("must be a path inside the repository"), e.getMessage());
    }

    @Test
    void aStartLevelBelowOneIsRefused() {
        String text = "feature f\nbundle a 1.0.0 0 " + SHA_A + " bundles/a.jar\n";
        assertThrows(IllegalArgumentException.class, () -> FeatureDescriptor.parse(text, "f.feature"));
    }

    @Test
    void aBundleListedTwiceIsRefused() {
        String text = "feature f\nbundle a 1.0.0 1 " + SHA_A + " bundles/a.jar\nbundle a 1.0.1 1 " + SHA_B + " bundles/a2.jar\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureDescriptor.parse(text, "f.feature"));
        assertEquals("feature f lists bundle a twice", e.getMessage());
    }

    @Test
    void aDescriptorWithoutAFeatureLineIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FeatureDescriptor.parse("# nothing\n", "f.feature"));
    }

    @Test
    void namesAreWordsNotPaths() {
        assertTrue(FeatureDescriptor.validName("sim-rover_2.lite"));
        assertEquals(false, FeatureDescriptor.validName("../sim-rover"));
        assertEquals(false, FeatureDescriptor.validName(""));
        assertEquals(false, FeatureDescriptor.validName(null));
    }
}
