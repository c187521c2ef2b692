package io.armature.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.log.Logger;

class ConsoleCredentialsTest {

    @TempDir
    Path dataDir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final List<String> logged = new ArrayList<>();
    private Dictionary<String, Object> consoleConfig;

    @SuppressWarnings("unchecked")
    private ConfigurationAdmin configAdmin() {
        Configuration config = (Configuration) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Configuration.class},
                (p, m, a) -> switch (m.getName()) {
                    case "getProperties" -> consoleConfig;
                    case "update" -> {
                        consoleConfig = (Dictionary<String, Object>) a[0];
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (ConfigurationAdmin) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ConfigurationAdmin.class},
                (p, m, a) -> {
                    if (m.getName().equals("getConfiguration") && ConsoleCredentials.CONSOLE_PID.equals(a[0])) {
                        return config;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class}, (p, m, a) -> {
            if (a != null && a.length > 0 && a[0] instanceof String s) {
                logged.add(m.getName() + " " + s);
            }
            return null;
        });
    }

    private ConsoleCredentials start(Map<String, String> env) throws Exception {
        return new ConsoleCredentials(configAdmin(), logger(), new PrintStream(printed, true, StandardCharsets.UTF_8), env::get, dataDir);
    }

    @Test
    void passwordFromTheEnvironmentIsHashedAndNothingIsPrintedOrStored() throws Exception {
        start(Map.of(ConsoleCredentials.ENV, "s3cret-rover"));
        assertEquals("admin", consoleConfig.get("username"));
        assertEquals(ConsolePassword.hash("s3cret-rover"), consoleConfig.get("password"));
        assertEquals("", printed.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(dataDir.resolve(ConsoleCredentials.FILE_NAME)));
    }

    @Test
    void firstStartGeneratesAPasswordPrintsItOnceAndStoresOnlyItsHash() throws Exception {
        start(Map.of());
        String out = printed.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("password (\\S+) \\(shown once").matcher(out);
        assertTrue(m.find(), out);
        String password = m.group(1);
        assertTrue(password.length() >= 20, "128 random bits");
        Path file = dataDir.resolve(ConsoleCredentials.FILE_NAME);
        String stored = Files.readString(file).trim();
        assertEquals(ConsolePassword.hash(password), stored);
        assertFalse(Files.readString(file).contains(password), "the clear password is never stored");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(stored, consoleConfig.get("password"));

        printed.reset();
        consoleConfig = null;
        start(Map.of());
        assertEquals("", printed.toString(StandardCharsets.UTF_8), "printed once only");
        assertEquals(stored, consoleConfig.get("password"), "the stored hash is used on the next start");
    }

    @Test
    void aCorruptPasswordFileLocksTheConsoleWithAClearError() throws Exception {
        Files.writeString(dataDir.resolve(ConsoleCredentials.FILE_NAME), "admin\n");
        start(Map.of());
        assertNull(consoleConfig, "console configuration untouched: it stays locked");
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("error console password file")), logged.toString());
        assertEquals("admin\n", Files.readString(dataDir.resolve(ConsoleCredentials.FILE_NAME)), "the file is left for the operator");
    }

    @Test
    void anEmptyEnvironmentVariableIsIgnoredWithAWarning() throws Exception {
        start(Map.of(ConsoleCredentials.ENV, " "));
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("warn") && l.contains("empty")), logged.toString());
        assertTrue(ConsolePassword.isHash((String) consoleConfig.get("password")));
        assertTrue(Files.exists(dataDir.resolve(ConsoleCredentials.FILE_NAME)));
    }

    @Test
    void acceptsOnlyAdminWithTheConsolePassword() throws Exception {
        ConsoleCredentials c = start(Map.of(ConsoleCredentials.ENV, "s3cret-rover"));
        assertTrue(c.accepts("admin", "s3cret-rover"));
        assertFalse(c.accepts("admin", "s3cret-rove"));
        assertFalse(c.accepts("admin", "admin"));
        assertFalse(c.accepts("root", "s3cret-rover"));
        assertFalse(c.accepts("admin", null));
    }

    @Test
    void aLockedConsoleAcceptsNoPassword() throws Exception {
        Files.writeString(dataDir.resolve(ConsoleCredentials.FILE_NAME), "admin\n");
        ConsoleCredentials c = start(Map.of());
        assertFalse(c.accepts("admin", "admin"));
        assertFalse(c.accepts("admin", ""));
    }

    @Test
    void hashesHaveTheConsoleFormat() {
        // SHA-256("admin") is 8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918
        assertEquals("{sha-256}jGl25bVBBBW96Qi9Te4V37Fnqchz/Eu4qB9vKrRIqRg=", ConsolePassword.hash("admin"));
        assertTrue(ConsolePassword.isHash(ConsolePassword.hash("x")));
        assertFalse(ConsolePassword.isHash("{sha-256}not-base64!"));
        assertFalse(ConsolePassword.isHash("admin"));
    }
}
