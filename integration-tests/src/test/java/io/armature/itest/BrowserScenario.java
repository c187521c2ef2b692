package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the browser scenarios of {@code web-tests/} (node, Playwright, the system Chromium,
 * all at the lowest CPU priority, as if on another machine) against a running robot, with its address and the console's password, and asserts that every
 * check of the script passed; its output is printed either way.
 */
final class BrowserScenario {

    private static final Path SCRIPTS = Path.of(System.getProperty("armature.web-tests.dir", "web-tests"));

    private BrowserScenario() {
    }

    /**
     * @param script the script in {@code web-tests/}
     * @param env    what else it is given
     * @return its output
     */
    static String run(FeatureRuntime robot, String script, Map<String, String> env) throws Exception {
        return run(robot, script, env, line -> { });
    }

    /** A line the script printed, as it prints it. */
    interface LineListener {
        void line(String line) throws Exception;
    }

    /**
     * As {@link #run(FeatureRuntime, String, Map)}, telling {@code lines} each line of the script's
     * output as it comes (for a test that acts on what the browser is doing).
     */
    static String run(FeatureRuntime robot, String script, Map<String, String> env, LineListener lines) throws Exception {
        assertTrue(Files.isDirectory(SCRIPTS.resolve("node_modules/playwright-core")),
                "Playwright is not installed in " + SCRIPTS.toAbsolutePath() + ": run scripts/install-test-deps.sh (npm ci there)");
        // SCHED_IDLE, inherited by Chromium: an operator's browser runs on another machine, not on
        // the robot's two cores. Not nice 19: Chromium running as root sets its own threads back
        // to nice 0 and -8 (its display threads), where they compete with the robot's JVM threads
        // (the VM thread that ends every safepoint among them); a policy it does not touch keeps it
        // below everything.
        ProcessBuilder pb = new ProcessBuilder("chrt", "--idle", "0", "node", script).directory(SCRIPTS.toFile()).redirectErrorStream(true);
        pb.environment().put("ARMATURE_URL", "http://127.0.0.1:" + robot.httpPort());
        pb.environment().put("ARMATURE_PASSWORD", robot.consolePassword());
        pb.environment().putAll(env);
        pb.environment().putIfAbsent("CHROMIUM", "/usr/bin/chromium");
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                out.append(line).append('\n');
                lines.line(line);
            }
        }
        String output = out.toString();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), script + " finished");
        System.out.println(script + ":\n" + output);
        assertEquals(0, p.exitValue(), "the browser scenario failed:\n" + output + "\nthe robot's console meanwhile:\n" + robot.console());
        assertTrue(output.contains("all checks passed"), output);
        return output;
    }
}
