package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


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

    @Test
    void anOperatorWatchesTunesStopsAndResetsTheRobotInABrowser() throws Exception {
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 10_000);
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            PidGains configured = left.gains();
            // a start-up stall on a busy machine may have tripped the supervisor: an operator resets it first
            if (!safety.mayMove()) {
                safety.reset("test");
            }
            BrowserScenario.run(robot, "robot-page.mjs", java.util.Map.of());
            // what the page did is what the robot did
            assertEquals(configured, left.gains(), "the page put the configured gains back");
            assertTrue(safety.mayMove(), "reset from the page");
        }
    }
}
