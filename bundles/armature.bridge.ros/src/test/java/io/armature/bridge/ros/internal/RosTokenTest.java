package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RosTokenTest {

    @TempDir
    Path dataDir;

    private final List<String> log = new ArrayList<>();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private RosToken resolve(String configured) {
        return RosToken.resolve(configured, dataDir, RosBridgeTest.logger(log), out);
    }

    @Test
    void generatedAtFirstStartStoredForThisUserOnlyAndPrintedOnce() throws Exception {
        RosToken first = resolve("");
        Path file = dataDir.resolve("ros-token");
        String token = Files.readString(file).trim();
        assertTrue(token.matches("[A-Za-z0-9_-]{22}"), token);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("ROS bridge token " + token + " (needed to command through rosbridge and Foxglove; generated now, kept in "
                + file.toAbsolutePath() + ", readable only by this user)\n", printed.toString(StandardCharsets.UTF_8));
        assertTrue(first.matches(token));
        assertTrue(first.matches(" " + token + "\n"));
        assertFalse(first.matches(token.substring(1)));
        assertFalse(first.matches(null));

        printed.reset();
        RosToken again = resolve("");
        assertTrue(again.matches(token), "the same token after a restart");
        assertEquals("", printed.toString(StandardCharsets.UTF_8), "printed once");
        assertEquals(file.toAbsolutePath().toString(), again.where());
    }

    @Test
    void aConfiguredTokenWinsAndTheFileIsLeftAlone() {
        RosToken t = resolve("configured-token-0123");
        assertTrue(t.matches("configured-token-0123"));
        assertFalse(Files.exists(dataDir.resolve("ros-token")));
        assertEquals("", printed.toString(StandardCharsets.UTF_8));
        assertEquals("token must be at least 16 characters, was 3", assertThrows(IllegalArgumentException.class, () -> RosToken.of("abc"))
                .getMessage());
        assertEquals("token must be printable ASCII without spaces, '&', '#', '%' or '+' (it travels in a URL)",
                assertThrows(IllegalArgumentException.class, () -> RosToken.of("a token with spaces")).getMessage());
    }

    @Test
    void aMalformedFileLeavesNoTokenWithOneLineAndNothingMatches() throws Exception {
        Files.writeString(dataDir.resolve("ros-token"), "short\n");
        RosToken t = resolve("");
        assertFalse(t.present());
        assertFalse(t.matches("short"));
        assertFalse(t.matches(""));
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).startsWith("cannot use the ROS bridge token file " + dataDir.resolve("ros-token").toAbsolutePath()
                + ": the token in "), log.get(0));
        assertTrue(log.get(0).endsWith("; commands through the ROS bridges are refused. Delete the file to generate a new token, or set "
                + "token in armature.bridge.ros.cfg"), log.get(0));
        assertEquals("short\n", Files.readString(dataDir.resolve("ros-token")), "left as it is");
    }
}
