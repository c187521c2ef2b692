package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/start.sh, which scripts/run.sh and the systemd units start a robot with: the first
 * start makes a class-data archive of the start-up (a start that stops when ready, with data of
 * its own), every start runs with it and with ZGC; a new build of the jar makes a new archive.
 * Runs the sim-rover jar as a process, as an operator would.
 */
class StartScriptTest {

    @TempDir
    static Path work;
    static Path jar;

    @BeforeAll
    static void copyTheFeature() throws IOException {
        jar = work.resolve("sim-rover.jar");
        Files.copy(Path.of(System.getProperty("armature.features.dir", "../features/target")).resolve("sim-rover.jar"), jar);
        Path config = Files.createDirectories(work.resolve("runtime-config/sim-rover"));
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("armature.runtime-config.dir", "../runtime-config")).resolve("sim-rover"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, config.resolve(f.getFileName()));
            }
        }
    }

    /** What one start printed up to its ready line, and the JVM's command line and mapped files while it ran. */
    private record Started(List<String> lines, String commandLine, String maps) {
        boolean trained() {
            return lines.stream().anyMatch(l -> l.startsWith("Armature: making a class-data archive of this build's start-up, once: "));
        }
    }

    /** The robot's data directory in these starts: each test its own, as each robot has. */
    private static final Path DATA = Path.of("data");
    private static final Path DATA_WITHOUT_CDS = Path.of("data-without-cds");

    private static Started start(String... jvmOptions) throws Exception {
        return start(DATA, Map.of(), jvmOptions);
    }

    private static Started start(Path data, Map<String, String> environment, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("../scripts/start.sh").toAbsolutePath().normalize().toString(), jar.toString(),
                "-Darmature.data.dir=" + work.resolve(data), "-Dorg.osgi.service.http.port=" + freePort()));
        cmd.addAll(List.of(jvmOptions));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("ARMATURE_CONSOLE_PASSWORD", "start-script-test");
        pb.environment().putAll(environment);
        Process p = pb.start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String line;
            while ((line = out.readLine()) != null && System.nanoTime() < end) {
                lines.add(line);
                if (line.contains(" ready: ")) {
                    // start.sh execs the JVM: the process is the robot's JVM itself
                    String commandLine = Files.readString(Path.of("/proc/" + p.pid() + "/cmdline")).replace('\0', ' ');
                    String maps = Files.readString(Path.of("/proc/" + p.pid() + "/maps"));
                    return new Started(lines, commandLine, maps);
                }
            }
            throw new AssertionError("no ready line: " + String.join("\n", lines));
        } finally {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void theFirstStartMakesAnArchiveEveryStartUsesItAndANewBuildMakesANewOne() throws Exception {
        Path archive = work.resolve("sim-rover.jsa");
        Started first = start();
        assertTrue(first.trained(), "the first start makes the archive: " + first.lines());
        assertTrue(Files.size(archive) > 1_000_000, "an archive of the start-up's classes: " + Files.size(archive) + " bytes");
        assertTrue(first.commandLine().contains("-XX:+UseZGC"), first.commandLine());
        assertTrue(first.maps().contains(archive.toString()), "the robot's JVM maps the archive");
        assertTrue(first.lines().stream().anyMatch(l -> l.contains("generated now, kept in " + work.resolve(DATA).resolve("ros-token"))),
                "the training start used data of its own: the robot's own first start makes its ROS token: " + first.lines());

        Started second = start();
        assertFalse(second.trained(), "the archive is made once: " + second.lines());
        assertTrue(second.maps().contains(archive.toString()), "the second start maps it too");

        // a new build of the jar (or of the JVM) makes a new archive
        FileTime made = Files.getLastModifiedTime(archive);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(made.toMillis() + 5_000));
        Started rebuilt = start();
        assertTrue(rebuilt.trained(), "a newer jar makes a new archive: " + rebuilt.lines());
        assertTrue(rebuilt.maps().contains(archive.toString()));

        // a collector named by the operator replaces ZGC, and its archive is made for it
        Started g1 = start("-XX:+UseG1GC");
        assertTrue(g1.trained(), "other -X options make an archive for them: " + g1.lines());
        assertFalse(g1.commandLine().contains("-XX:+UseZGC"), g1.commandLine());
        assertTrue(g1.maps().contains(archive.toString()), "and it is mapped under G1");
        assertEquals(List.of(), g1.lines().stream().filter(l -> l.contains("[cds]") || l.contains("shared archive")).toList(),
                "no CDS warning on the robot's console");
    }

    @Test
    void aJvmThatCannotMakeAnArchiveStartsWithoutOneAndIsNotAskedAgainAtEveryStart() throws Exception {
        // a JVM without a base archive refuses -XX:ArchiveClassesAtExit: this one refuses it so
        Path java = work.resolve("java-without-cds");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo 'no base archive' >&2; exit 1;; esac; done\n"
                + "exec java \"$@\"\n");
        assertTrue(java.toFile().setExecutable(true));
        Path archive = work.resolve("no-cds.jsa");
        Map<String, String> env = Map.of("JAVA", java.toString(), "ARMATURE_ARCHIVE", archive.toString());
        Started first = start(DATA_WITHOUT_CDS, env);
        assertTrue(first.trained(), first.lines().toString());
        assertTrue(first.lines().contains("Armature: no class-data archive could be made (see " + archive + ".log); starting without one"),
                first.lines().toString());
        assertTrue(Files.readString(Path.of(archive + ".log")).contains("no base archive"), "the training's output is kept");
        assertFalse(first.commandLine().contains("SharedArchiveFile"), first.commandLine());
        Started second = start(DATA_WITHOUT_CDS, env);
        assertFalse(second.trained(), "not tried again until the jar, the JVM or the options change: " + second.lines());
        assertFalse(second.commandLine().contains("SharedArchiveFile"), second.commandLine());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
