package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.deploy.BundleChange;

class SetDiffTest {

    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);

    private static FeatureDescriptor.Entry entry(String bsn, String version, String sha) {
        return new FeatureDescriptor.Entry(bsn, version, 10, sha, "bundles/" + bsn + ".jar");
    }

    private static List<String> changes(List<SetDiff.Running> running, FeatureDescriptor target) {
        return SetDiff.diff(running, target).stream().map(s -> s.change().toString()).toList();
    }

    @Test
    void theSameSetNeedsNoChange() {
        List<SetDiff.Running> running = List.of(new SetDiff.Running(1, "a", "1.0.0", SHA_A), new SetDiff.Running(2, "b", "2.0.0", null));
        FeatureDescriptor target = new FeatureDescriptor("f", List.of(entry("a", "1.0.0", SHA_A), entry("b", "2.0.0", SHA_B)));
        assertEquals(List.of(), changes(running, target), "b's content is unknown, so its version decides");
    }

    @Test
    void installsUpdatesAndUninstallsInThatOrder() {
        List<SetDiff.Running> running = List.of(new SetDiff.Running(1, "keep", "1.0.0", SHA_A), new SetDiff.Running(2, "old", "1.0.0", SHA_A),
                new SetDiff.Running(3, "swap", "1.0.0", SHA_A));
        FeatureDescriptor target = new FeatureDescriptor("f",
                List.of(entry("keep", "1.0.0", SHA_A), entry("swap", "1.1.0", SHA_B), entry("new", "3.0.0", SHA_B)));
        assertEquals(List.of("install new 3.0.0", "update swap 1.0.0 -> 1.1.0", "uninstall old 1.0.0"), changes(running, target));
        List<SetDiff.Step> steps = SetDiff.diff(running, target);
        assertEquals(3, steps.get(1).from().id(), "the update replaces the running swap");
        assertEquals(BundleChange.Kind.UNINSTALL, steps.get(2).change().kind());
    }

    @Test
    void theSameVersionWithOtherContentIsAnUpdate() {
        List<SetDiff.Running> running = List.of(new SetDiff.Running(1, "a", "1.0.0", SHA_A));
        FeatureDescriptor target = new FeatureDescriptor("f", List.of(entry("a", "1.0.0", SHA_B)));
        assertEquals(List.of("update a 1.0.0 -> 1.0.0"), changes(running, target));
    }

    @Test
    void aSecondCopyLeftBySideBySideIsUninstalled() {
        // what a change cut short by a restart leaves: the old and the new version both installed
        List<SetDiff.Running> running = List.of(new SetDiff.Running(1, "a", "1.0.0", SHA_A), new SetDiff.Running(7, "a", "1.1.0", SHA_B));
        FeatureDescriptor previous = new FeatureDescriptor("f", List.of(entry("a", "1.0.0", SHA_A)));
        List<SetDiff.Step> steps = SetDiff.diff(running, previous);
        assertEquals(List.of("uninstall a 1.1.0"), steps.stream().map(s -> s.change().toString()).toList());
        assertEquals(7, steps.get(0).from().id());
    }

    @Test
    void anEntryWithUnknownContentMatchesByVersion() {
        List<SetDiff.Running> running = List.of(new SetDiff.Running(1, "a", "1.0.0", SHA_A));
        FeatureDescriptor previous = new FeatureDescriptor("f", List.of(entry("a", "1.0.0", FeatureDescriptor.UNKNOWN_SHA256)));
        assertEquals(List.of(), changes(running, previous));
    }
}
