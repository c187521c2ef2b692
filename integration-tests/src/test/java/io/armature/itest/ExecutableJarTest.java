package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run command as a user types it: {@code java -jar features/target/sim-rover.jar} from a
 * directory holding {@code runtime-config/sim-rover/}, in a JVM of its own.
 */
class ExecutableJarTest {

    @TempDir
    Path cwd;
    private Process process;
    private final StringBuffer output = new StringBuffer();

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private int start(String consolePassword) throws Exception {
        Path config = Files.createDirectories(cwd.resolve("runtime-config/sim-rover"));
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("armature.runtime-config.dir", "../runtime-config"), "sim-rover"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, config.resolve(f.getFileName()));
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path jar = Path.of(System.getProperty("armature.features.dir", "../features/target"), "sim-rover.jar").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.osgi.service.http.port=" + port, "-jar", jar.toString()))
                .directory(cwd.toFile()).redirectErrorStream(true);
        if (consolePassword != null) {
            pb.environment().put("ARMATURE_CONSOLE_PASSWORD", consolePassword);
        } else {
            pb.environment().remove("ARMATURE_CONSOLE_PASSWORD");
        }
        process = pb.start();
        ProcessOutput.collect(process, output, "sim-rover-output");
        return port;
    }

    @Test
    void theShellOnTheTerminalRunsCommandsAndTheRobotOutlivesClosedStdin() throws Exception {
        int port = start("from-the-environment");
        assertTrue(Poll.until(60_000, () -> output.toString().contains("Armature sim-rover ready")), output.toString());
        OutputStream stdin = process.getOutputStream();
        stdin.write("hal:pwm motor.left.pwm 1234\nhal:pwm motor.left.pwm 99999\n".getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        assertTrue(Poll.until(10_000, () -> output.toString().contains("motor.left.pwm duty 1234/65535")), output.toString());
        assertTrue(Poll.until(10_000, () -> output.toString().contains("duty must be 0..65535, was 99999")), output.toString());
        stdin.close(); // as under a service manager: the shell ends, the robot does not

        Thread.sleep(1_000);
        assertTrue(process.isAlive(), "still running after stdin closed:\n" + output);
        assertEquals(200, Http.get(port, "/system/console/bundles", "admin", "from-the-environment"));
        assertEquals(401, Http.get(port, "/system/console/bundles", "admin", "admin"));
        assertTrue(!output.toString().contains("shown once"), "no password is generated when the environment gives one");
        assertTrue(Files.notExists(cwd.resolve("armature-data/console-password.sha256")));
    }

    @Test
    void firstStartGeneratesAPasswordInTheDataDirectory() throws Exception {
        int port = start(null);
        assertTrue(Poll.until(60_000, () -> output.toString().contains("Armature sim-rover ready")), output.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("password (\\S+) \\(shown once").matcher(output);
        assertTrue(m.find(), output.toString());
        assertTrue(Files.readString(cwd.resolve("armature-data/console-password.sha256")).startsWith("{sha-256}"));
        String password = m.group(1);
        assertTrue(Poll.until(10_000, () -> Http.get(port, "/system/console/bundles", "admin", password) == 200));
        assertEquals(401, Http.get(port, "/system/console/bundles", "admin", "admin"));
    }
}
