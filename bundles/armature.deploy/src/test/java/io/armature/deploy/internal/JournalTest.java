package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {

    @TempDir
    Path dir;

    private static FeatureDescriptor set(String name, String sha) {
        return new FeatureDescriptor(name, List.of(new FeatureDescriptor.Entry("a", "1.0.0", 10, sha, "store/" + sha + ".jar")));
    }

    @Test
    void anUnfinishedChangeIsFoundByTheNextInstance() throws IOException {
        Journal j = new Journal(dir);
        String sha = j.put("jar a".getBytes(StandardCharsets.UTF_8));
        j.begin("sim-rover-next", set("sim-rover", sha));

        Journal afterRestart = new Journal(dir);
        Journal.Pending p = afterRestart.pending().orElseThrow();
        assertEquals("sim-rover-next", p.target());
        assertEquals(set("sim-rover", sha), p.previous());
        assertArrayEquals("jar a".getBytes(StandardCharsets.UTF_8), afterRestart.get(sha));
    }

    @Test
    void aFinishedChangeLeavesNoJournalAndRecordsTheSet() throws IOException {
        Journal j = new Journal(dir);
        String sha = j.put("jar a".getBytes(StandardCharsets.UTF_8));
        j.begin("next", set("sim-rover", sha));
        j.finish(set("next", sha));
        assertTrue(new Journal(dir).pending().isEmpty());
        assertEquals("next", new Journal(dir).installed().orElseThrow().name());
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.toString().endsWith(".tmp")), "no temporary file is left");
        }
    }

    @Test
    void aDamagedCopyIsNotReturned() throws IOException {
        Journal j = new Journal(dir);
        String sha = j.put("jar a".getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve(Journal.STORE).resolve(sha + ".jar"), "jar b");
        IOException e = assertThrows(IOException.class, () -> j.get(sha));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }

    @Test
    void retainKeepsOnlyTheNamedCopies() throws IOException {
        Journal j = new Journal(dir);
        String a = j.put("jar a".getBytes(StandardCharsets.UTF_8));
        String b = j.put("jar b".getBytes(StandardCharsets.UTF_8));
        j.retain(Set.of(b));
        assertFalse(j.has(a));
        assertTrue(j.has(b));
    }

    @Test
    void theChecksumIsSha256() {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.of(new byte[0]));
    }
}
