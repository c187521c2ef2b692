package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import io.armature.control.TunableLoop;
import io.armature.deploy.ApplyResult;
import io.armature.deploy.FeatureDeployer;
import io.armature.safety.SafetySupervisor;

/**
 * Feature deployment on a running sim-rover: the repository the build wrote
 * ({@code features/target/repository}) is copied, variants of sim-rover are written beside it as
 * an operator's build would, and the deployer is pointed at the copy.
 */
class DeployTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BROKEN = "armature.itest.broken";

    private FeatureRuntime robot;
    private Path repository;

    private void boot(int gateTimeoutSeconds) throws Exception {
        repository = Files.createTempDirectory("armature-repository-");
        Path built = Path.of(System.getProperty("armature.features.dir", "../features/target")).resolve("repository");
        assertTrue(Files.isRegularFile(built.resolve("sim-rover.feature")), "the build writes " + built.resolve("sim-rover.feature"));
        try (Stream<Path> files = Files.walk(built)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = repository.resolve(built.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        robot = FeatureRuntime.startReady("sim-rover", Map.of(), config -> {
            FeatureRuntime.setConfig(config.resolve("armature.deploy.cfg"), "repository", repository.toString());
            FeatureRuntime.setConfig(config.resolve("armature.deploy.cfg"), "gateTimeoutSeconds", Integer.toString(gateTimeoutSeconds));
            // These tests judge deployment, not the safety margins: on this shared 2-core machine
            // (load averages above 20 while other builds run) a freshly loaded bundle's first
            // samples can come 0.5-1 s late, which the robot's 500 ms stream watch rightly trips on
            // and the gate then rightly rolls back. Give the watch room for the host, not the code.
            FeatureRuntime.setConfig(config.resolve("armature.safety.cfg"), "streamStallMillis", "3000");
            FeatureRuntime.setConfig(config.resolve("armature.control.wheel-left.cfg"), "heartbeatTimeoutMillis", "1000");
            FeatureRuntime.setConfig(config.resolve("armature.control.wheel-right.cfg"), "heartbeatTimeoutMillis", "1000");
        });
        assertTrue(Poll.until(10_000, () -> deployer().available().contains("sim-rover")), "the deployer reads the copied repository");
        // On this shared 2-core machine a start-up under load can trip the supervisor (a loop's
        // first cycles late); a change is refused while tripped, so start from a healthy robot.
        SafetySupervisor s = robot.service(SafetySupervisor.class, null, 10_000);
        if (!s.mayMove()) {
            s.reset("test");
        }
    }

    @AfterEach
    void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
        if (repository != null) {
            try (Stream<Path> files = Files.walk(repository)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private FeatureDeployer deployer() throws Exception {
        return robot.service(FeatureDeployer.class, null, 10_000);
    }

    @Test
    void theBuiltRepositoryDescribesTheRunningSetAndTheOtherRobots() throws Exception {
        boot(30);
        String list = robot.gogo("feature:list");
        assertTrue(list.contains("installed: sim-rover"), list);
        assertTrue(list.contains("* sim-rover: the running set"), "every running bundle matches its pinned checksum:\n" + list);
        assertTrue(list.contains("  rpi4-rover: "), list);
        assertTrue(list.contains("install armature.board.pi4j "), "rpi4-rover differs by its board backend:\n" + list);
        assertTrue(list.contains("uninstall armature.board.sim "), list);
        assertEquals("gogo: IllegalArgumentException: no feature 'moon-rover' in " + repository
                + "; available: esp32-rover, jetson-vision, rpi4-rover, sim-rover", robot.gogo("feature:apply moon-rover").strip());
    }

    @Test
    void aVariantIsAppliedSideBySideWhileTheWheelTurnsAndTheOriginalComesBack() throws Exception {
        boot(30);
        int mark = robot.console().length();
        String original = robot.bundle("armature.board.sim").getVersion().toString();
        String control = robot.bundle("armature.control").getVersion().toString();
        variant("sim-rover-next", lines -> {
            List<String> out = swap(swap(lines, "armature.board.sim", "0.1.1.next"), "armature.control", "0.1.1.next");
            out.removeIf(l -> l.startsWith("bundle armature.telemetry.mqtt ") || l.startsWith("bundle org.eclipse.paho.client.mqttv3 "));
            return out;
        });
        robot.healthySupervisor();
        assertEquals("left setpoint 15 rad/s", robot.gogo("robot:setpoint left 15").trim());
        TunableLoop left = activeLoop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 15) < 0.5), "at speed: " + left.measurement() + "\n" + robot.gogo("robot:status"));

        String applied = robot.gogo("feature:apply sim-rover-next");
        assertTrue(applied.startsWith("APPLIED: feature sim-rover-next applied and healthy: 0 installed, 2 updated, 2 uninstalled"), applied);
        assertTrue(applied.contains("update armature.control " + control + " -> 0.1.1.next"), applied);
        assertEquals("0.1.1.next", robot.bundle("armature.control").getVersion().toString());
        assertTrue(applied.contains("update armature.board.sim " + original + " -> 0.1.1.next"), applied);
        assertTrue(applied.contains("uninstall armature.telemetry.mqtt"), applied);
        assertEquals("0.1.1.next", robot.bundle("armature.board.sim").getVersion().toString());
        assertEquals(Bundle.ACTIVE, robot.bundle("armature.board.sim").getState());
        assertEquals(List.of(), symbolicNames().stream().filter(n -> n.contains("mqtt")).toList());
        TunableLoop next = activeLoop("left");
        assertTrue(next != left, "the new control bundle's loop drives");
        assertEquals(15.0, next.setpoint(), "the setpoint carried over to the new loop");
        assertTrue(Poll.until(3_000, () -> Math.abs(next.measurement() - 15) < 0.5), "the new board's wheel at speed: " + next.measurement());
        String list = robot.gogo("feature:list");
        assertTrue(list.contains("installed: sim-rover-next") && list.contains("* sim-rover-next: the running set"), list);

        ApplyResult back = deployer().apply("sim-rover");
        assertEquals(ApplyResult.Outcome.APPLIED, back.outcome(), back.message());
        assertEquals(original, robot.bundle("armature.board.sim").getVersion().toString());
        assertEquals(control, robot.bundle("armature.control").getVersion().toString());
        assertEquals(Bundle.ACTIVE, robot.bundle("armature.telemetry.mqtt").getState());
        TunableLoop again = activeLoop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(again.measurement() - 15) < 0.5), "the wheel at speed: " + again.measurement());
        assertEquals(ApplyResult.Outcome.UNCHANGED, deployer().apply("sim-rover").outcome());
        assertFalse(robot.console().substring(mark).contains("ERROR"), robot.console().substring(mark));
        Matcher took = Pattern.compile("\\((\\d+) ms\\)").matcher(applied);
        assertTrue(took.find(), applied);
        System.out.printf("feature change (board and control swapped, 2 bundles removed) applied and through the health gate in %s ms; back in %d ms%n",
                took.group(1), back.durationMillis());
    }

    @Test
    void aFeatureWhoseComponentCannotActivateIsRolledBackByItselfAndTheRobotStillDrives() throws Exception {
        boot(3);
        String original = robot.bundle("armature.board.sim").getVersion().toString();
        // java.lang.Math has no public constructor: SCR loads it and fails to activate the component
        variant("sim-rover-broken", lines -> {
            List<String> out = swap(lines, "armature.board.sim", "0.1.1.next");
            out.add(bundleLine(BROKEN, "1.0.0", 30, brokenBundle("java.lang.Math", "1.0.0")));
            return out;
        });
        Matcher m = Pattern.compile("Web Console user 'admin', password (\\S+) \\(shown once").matcher(robot.console());
        assertTrue(m.find(), robot.console());
        String password = m.group(1);
        String api = "http://127.0.0.1:" + robot.httpPort() + "/armature/api/";

        HttpResponse<String> features = CLIENT.send(request(api + "features", password).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, features.statusCode(), features.body());
        assertTrue(features.body().contains("{\"name\":\"sim-rover-broken\",\"installed\":false,\"changes\":[{\"kind\":\"INSTALL\",\"bundle\":\""
                + BROKEN + "\",\"from\":\"\",\"to\":\"1.0.0\"}"), features.body());

        // while the apply blocks its request, GET deployment shows the steps done so far
        List<String> whileRunning = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread watcher = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    String p = CLIENT.send(request(api + "deployment", password).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
                    if (p.contains("\"running\":true")) {
                        whileRunning.add(p);
                    }
                    Thread.sleep(100);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                whileRunning.add("failed: " + e);
            }
        }, "test-progress");
        watcher.start();
        HttpResponse<String> r = CLIENT.send(request(api + "features/sim-rover-broken/apply", password)
                .header("X-Armature-CSRF", token(api, password)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        watcher.interrupt();
        watcher.join(5_000);
        assertTrue(whileRunning.stream().anyMatch(p -> p.contains("\"change\":\"feature sim-rover-broken\"")
                && p.contains("\"installed " + BROKEN + " 1.0.0\"") && p.contains("\"result\":null")),
                "the steps were shown while the change ran: " + whileRunning);
        String after = CLIENT.send(request(api + "deployment", password).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(after.contains("\"running\":false") && after.contains("\"outcome\":\"ROLLED_BACK\""), after);
        assertTrue(after.contains("\"failed the health gate: component " + BROKEN + " failed to activate: "), "the rollback is a step: " + after);
        assertTrue(after.contains("\"health gate passed\"]"), "the restored set passed the gate last: " + after);
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"outcome\":\"ROLLED_BACK\""), r.body());
        assertTrue(r.body().contains("failed the health gate (component " + BROKEN + " failed to activate: "), r.body());
        assertTrue(r.body().contains("rolled back to sim-rover\""), r.body());
        assertTrue(robot.console().contains("feature sim-rover-broken failed the health gate"), "said on the console:\n" + robot.console());
        assertRestored(original);

        // a component whose class is missing: SCR 2.2.18 logs it and leaves it SATISFIED, never ACTIVE
        variant("sim-rover-missing", lines -> {
            List<String> out = new ArrayList<>(lines);
            out.add(bundleLine(BROKEN, "1.0.1", 30, brokenBundle(BROKEN + ".Missing", "1.0.1")));
            return out;
        });
        ApplyResult missing = deployer().apply("sim-rover-missing");
        assertEquals(ApplyResult.Outcome.ROLLED_BACK, missing.outcome(), missing.message());
        assertTrue(missing.message().contains("(component " + BROKEN + " is satisfied but was never activated)"), missing.message());
        assertRestored(original);
    }

    @Test
    void aFeatureAppliedFromTheRobotPageThatFailsTheGateShowsItsStepsAndWhyItRolledBack() throws Exception {
        boot(3);
        String original = robot.bundle("armature.board.sim").getVersion().toString();
        variant("sim-rover-broken", lines -> {
            List<String> out = new ArrayList<>(lines);
            out.add(bundleLine(BROKEN, "1.0.0", 30, brokenBundle("java.lang.Math", "1.0.0")));
            return out;
        });
        BrowserScenario.run(robot, "apply-page.mjs", Map.of("ARMATURE_FEATURE", "sim-rover-broken", "ARMATURE_FAILING_BUNDLE", BROKEN), line -> { });
        assertRestored(original);
    }

    private void assertRestored(String boardVersion) throws Exception {
        assertFalse(symbolicNames().contains(BROKEN), "the bundle that could not activate is gone");
        assertEquals(boardVersion, robot.bundle("armature.board.sim").getVersion().toString(), "the previous board is back");
        assertEquals("installed: sim-rover", robot.gogo("feature:list").lines().findFirst().orElseThrow());
        SafetySupervisor s = robot.service(SafetySupervisor.class, null, 10_000);
        assertTrue(s.mayMove(), "the supervisor is healthy after the rollback: " + s.tripReason());
        robot.gogo("robot:setpoint left 12");
        TunableLoop left = activeLoop("left");
        assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement() - 12) < 0.5), "the robot still drives: " + left.measurement());
        robot.gogo("robot:setpoint left 0");
    }

    @Test
    void aJarWhoseChecksumDoesNotMatchIsRefusedAndNothingChanges() throws Exception {
        boot(30);
        variant("sim-rover-tampered", lines -> swap(lines, "armature.board.sim", "0.1.1.next"));
        Path jar = repository.resolve("bundles/armature.board.sim-0.1.1.next.jar");
        byte[] bytes = Files.readAllBytes(jar);
        bytes[bytes.length / 2] ^= 1; // one bit flipped after the descriptor pinned it
        Files.write(jar, bytes);
        List<String> before = bundleStates();

        String out = robot.gogo("feature:apply sim-rover-tampered");
        assertTrue(out.matches("(?s)REFUSED: bundle armature\\.board\\.sim 0\\.1\\.1\\.next refused: its jar bundles/armature\\.board\\.sim-0\\.1\\.1\\.next\\.jar "
                + "has SHA-256 [0-9a-f]{64} but feature sim-rover-tampered pins [0-9a-f]{64}; nothing changed \\(\\d+ ms\\)"), out);
        assertEquals(before, bundleStates(), "not one bundle was touched");
        assertTrue(robot.gogo("feature:list").startsWith("installed: sim-rover\n"));
    }

    @Test
    void aRestartInTheMiddleOfAChangeRestoresThePreviousSet() throws Exception {
        boot(60);
        String original = robot.bundle("armature.board.sim").getVersion().toString();
        variant("sim-rover-broken", lines -> {
            List<String> out = swap(lines, "armature.board.sim", "0.1.1.next");
            out.add(bundleLine(BROKEN, "1.0.0", 30, brokenBundle(BROKEN + ".Missing", "1.0.0")));
            return out;
        });
        FeatureDeployer deployer = deployer();
        AtomicReference<ApplyResult> result = new AtomicReference<>();
        Thread change = new Thread(() -> result.set(deployer.apply("sim-rover-broken")), "test-apply");
        change.start();
        // the change is waiting for its health gate (60 s): the new set is in place, the old board gone
        assertTrue(Poll.until(10_000, () -> symbolicNames().contains(BROKEN) && robot.bundle("armature.board.sim").getVersion().toString().equals("0.1.1.next")),
                "the change is under way");

        robot.restart();
        change.join(15_000);
        assertEquals(ApplyResult.Outcome.REFUSED, result.get().outcome(), result.get().message());
        assertTrue(result.get().message().contains("the previous set is restored when it starts again"), result.get().message());

        assertTrue(Poll.until(30_000, () -> robot.console().contains("the previous bundle set sim-rover is restored and healthy")),
                "restored after the restart:\n" + robot.console());
        assertTrue(robot.console().contains("the change to feature sim-rover-broken was cut short by a restart"), robot.console());
        assertFalse(symbolicNames().contains(BROKEN));
        assertEquals(original, robot.bundle("armature.board.sim").getVersion().toString());
        robot.gogo("robot:setpoint left 12");
        TunableLoop left = activeLoop("left");
        assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement() - 12) < 0.5), "the restored robot drives: " + left.measurement());
        assertEquals("installed: sim-rover", robot.gogo("feature:list").lines().findFirst().orElseThrow());
    }

    // --- helpers -------------------------------------------------------------------------------

    private TunableLoop activeLoop(String name) throws Exception {
        assertTrue(Poll.until(10_000, () -> !robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=" + name + ")").isEmpty()));
        for (ServiceReference<TunableLoop> r : robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=" + name + ")")) {
            TunableLoop l = robot.context().getService(r);
            if (!l.isStandby()) {
                return l;
            }
        }
        throw new AssertionError("no active loop " + name);
    }

    private List<String> symbolicNames() {
        List<String> names = new ArrayList<>();
        for (Bundle b : robot.context().getBundles()) {
            names.add(b.getSymbolicName());
        }
        return names;
    }

    private List<String> bundleStates() {
        List<String> states = new ArrayList<>();
        for (Bundle b : robot.context().getBundles()) {
            states.add(b.getBundleId() + " " + b.getSymbolicName() + " " + b.getVersion() + " " + b.getState());
        }
        return states;
    }

    @FunctionalInterface
    private interface Edit {
        List<String> apply(List<String> lines) throws IOException;
    }

    /** Writes {@code <name>.feature}: sim-rover's descriptor with edits, as a build of another bndrun would. */
    private void variant(String name, Edit edit) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(repository.resolve("sim-rover.feature")));
        lines.removeIf(l -> l.startsWith("#"));
        lines.replaceAll(l -> l.equals("feature sim-rover") ? "feature " + name : l);
        Files.write(repository.resolve(name + ".feature"), edit.apply(lines));
    }

    /** Replaces a bundle of the descriptor with a new version of its running jar, at the same start level. */
    private List<String> swap(List<String> lines, String symbolicName, String version) throws IOException {
        Path jar = robot.newVersionOf(symbolicName, version);
        List<String> out = new ArrayList<>(lines);
        for (int i = 0; i < out.size(); i++) {
            String[] t = out.get(i).split(" ");
            if (t[0].equals("bundle") && t[1].equals(symbolicName)) {
                out.set(i, bundleLine(symbolicName, version, Integer.parseInt(t[3]), jar));
            }
        }
        return out;
    }

    /** Puts a jar into the repository and returns its descriptor line. */
    private String bundleLine(String symbolicName, String version, int startLevel, Path jar) throws IOException {
        String location = "bundles/" + symbolicName + "-" + version + ".jar";
        Files.copy(jar, repository.resolve(location), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return "bundle " + symbolicName + " " + version + " " + startLevel + " " + sha256(Files.readAllBytes(jar)) + " " + location;
    }

    /** A bundle with one immediate component that can never activate, its implementation {@code implementation}. */
    private Path brokenBundle(String implementation, String version) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        m.getMainAttributes().putValue("Bundle-SymbolicName", BROKEN);
        m.getMainAttributes().putValue("Bundle-Version", version);
        m.getMainAttributes().putValue("Service-Component", "OSGI-INF/broken.xml");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream j = new JarOutputStream(out, m)) {
            j.putNextEntry(new JarEntry("OSGI-INF/broken.xml"));
            j.write(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + BROKEN + "\" immediate=\"true\">\n"
                    + "  <implementation class=\"" + implementation + "\"/>\n"
                    + "</scr:component>\n").getBytes(StandardCharsets.UTF_8));
        }
        Path jar = Files.createTempFile("broken-", ".jar");
        Files.write(jar, out.toByteArray());
        jar.toFile().deleteOnExit();
        return jar;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest.Builder request(String url, String password) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Authorization",
                "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private static String token(String api, String password) throws Exception {
        String body = CLIENT.send(request(api + "csrf", password).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(body);
        assertTrue(m.find(), body);
        return m.group(1);
    }
}
