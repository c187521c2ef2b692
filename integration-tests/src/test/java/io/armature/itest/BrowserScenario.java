package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the browser scenarios of {@code web-tests/} (node, Playwright, the system Chromium)
 * against a running robot, with its address and the console's password, and asserts that every
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
        assertTrue(Files.isDirectory(SCRIPTS.resolve("node_modules/playwright-core")),
                "Playwright is not installed in " + SCRIPTS.toAbsolutePath() + ": run scripts/install-test-deps.sh (npm ci there)");
        ProcessBuilder pb = new ProcessBuilder("node", script).directory(SCRIPTS.toFile()).redirectErrorStream(true);
        pb.environment().put("ARMATURE_URL", "http://127.0.0.1:" + robot.httpPort());
        pb.environment().put("ARMATURE_PASSWORD", robot.consolePassword());
        pb.environment().putAll(env);
        pb.environment().putIfAbsent("CHROMIUM", "/usr/bin/chromium");
        Process p = pb.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), script + " finished");
        System.out.println(script + ":\n" + output);
        assertEquals(0, p.exitValue(), "the browser scenario failed:\n" + output);
        assertTrue(output.contains("all checks passed"), output);
        return output;
    }
}
