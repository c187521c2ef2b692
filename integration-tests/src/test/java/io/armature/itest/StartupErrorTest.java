package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A board whose configuration is wrong at start fails before the console log writer starts (it
 * sits at a lower start level); its error must still reach the console, once, as one line.
 */
class StartupErrorTest {

    @Test
    void aBadBoardConfigurationAtStartIsOneClearLineOnTheConsole() throws Exception {
        try (FeatureRuntime robot = FeatureRuntime.start("esp32-rover", Map.of(),
                config -> FeatureRuntime.setConfig(config.resolve("armature.board.mcu.cfg"), "outputs", "motor.left.dir"))) {
            String expected = "outputs are name:low or name:high (the safe level), was 'motor.left.dir'";
            assertTrue(Poll.until(10_000, () -> robot.console().contains(expected)), robot.console());
            String line = robot.console().lines().filter(l -> l.contains(expected)).findFirst().orElseThrow();
            assertTrue(line.startsWith("[armature] ERROR armature.board.mcu: "), line);
            assertEquals(1, robot.console().lines().filter(l -> l.contains(expected)).count(), robot.console());
            assertTrue(robot.console().lines().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + robot.console());
        }
    }
}
