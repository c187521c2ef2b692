package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.safety.SafetySupervisor;

/**
 * The Web Console's Robot page in headless Chromium (Playwright, {@code web-tests/robot-page.mjs}),
 * against sim-rover: log in, watch the plot move, record steps before and after a gain change,
 * e-stop and reset. The script's checks are listed in its output; it fails on the first one.
 */
class RobotPageBrowserTest {

    private static final Path SCRIPTS = Path.of(System.getProperty("armature.web-tests.dir", "web-tests"));

    @Test
    void anOperatorWatchesTunesStopsAndResetsTheRobotInABrowser() throws Exception {
        assertTrue(Files.isDirectory(SCRIPTS.resolve("node_modules/playwright-core")),
                "Playwright is not installed in " + SCRIPTS.toAbsolutePath() + ": run scripts/install-test-deps.sh (npm ci there)");
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 10_000);
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            PidGains configured = left.gains();
            // a start-up stall on a busy machine may have tripped the supervisor: an operator resets it first
            if (!safety.mayMove()) {
                safety.reset("test");
            }
            ProcessBuilder pb = new ProcessBuilder("node", "robot-page.mjs").directory(SCRIPTS.toFile()).redirectErrorStream(true);
            pb.environment().put("ARMATURE_URL", "http://127.0.0.1:" + robot.httpPort());
            pb.environment().put("ARMATURE_PASSWORD", robot.consolePassword());
            pb.environment().putIfAbsent("CHROMIUM", "/usr/bin/chromium");
            Process p = pb.start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(3, TimeUnit.MINUTES), "node finished");
            System.out.println("robot-page.mjs:\n" + output);
            assertEquals(0, p.exitValue(), "the browser scenario failed:\n" + output);
            assertTrue(output.contains("all checks passed"), output);
            // what the page did is what the robot did
            assertEquals(configured, left.gains(), "the page put the configured gains back");
            assertTrue(safety.mayMove(), "reset from the page");
        }
    }
}
