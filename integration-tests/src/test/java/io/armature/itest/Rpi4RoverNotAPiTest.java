package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rpi4-rover with its real providers on a machine whose device tree is not a Pi's. */
class Rpi4RoverNotAPiTest {

    @TempDir
    Path tmp;

    @Test
    void realProvidersOnAMachineThatIsNotAPiAreRefusedInOneClearLine() throws Exception {
        Path tree = Rpi4RoverTest.deviceTree(tmp.resolve("pc"), "Generic x86 board", "acme,x86-board");
        try (FeatureRuntime robot = FeatureRuntime.start("rpi4-rover", Map.of(), config -> {
            try {
                Rpi4RoverTest.set(config.resolve("armature.board.pi4j.cfg"), "deviceTreeRoot", tree.toString());
                Rpi4RoverTest.set(config.resolve("armature.safety.cfg"), "watchdogDevice", "");
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
        })) {
            String expected = "this machine is not a Raspberry Pi 4 or 5 (device tree: Generic x86 board, compatible [acme,x86-board]);"
                    + " armature.board.pi4j drives [raspberrypi,4-model-b, raspberrypi,400, raspberrypi,4-compute-module,"
                    + " raspberrypi,5-model-b, raspberrypi,500, raspberrypi,5-compute-module]. Use providers=mock to run without one";
            assertTrue(Poll.until(10_000, () -> robot.console().contains(expected)), robot.console());
            long lines = robot.console().lines().filter(l -> l.contains("is not a Raspberry Pi")).count();
            assertEquals(1, lines, robot.console());
            assertEquals(0, robot.context().getServiceReferences(io.armature.hal.Board.class, "(armature.board=pi4j)").size(),
                    "no board: nothing drives the pins");
        }
    }
}
