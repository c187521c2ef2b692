package io.armature.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.kit.board.DeviceTree;

class BoardDetectionTest {

    private static final BoardDetection.Backend JETSON = new BoardDetection.Backend("io.armature.board.jetson.internal.JetsonBoard",
            List.of("nvidia,p3768-0000+p3767-0003", "nvidia,p3768-0000+p3767-0005"));
    private static final BoardDetection.Backend PI = new BoardDetection.Backend("pi4j", List.of("raspberrypi,4-model-b"));

    @TempDir
    Path root;

    private Optional<DeviceTree> tree(String model, String... compatible) throws IOException {
        Files.write(root.resolve("model"), (model + "\0").getBytes(StandardCharsets.US_ASCII));
        Files.write(root.resolve("compatible"), (String.join("\0", compatible) + "\0").getBytes(StandardCharsets.US_ASCII));
        return DeviceTree.read(root);
    }

    @Test
    void namesTheMachine() throws IOException {
        assertEquals("machine: NVIDIA Jetson Orin Nano Developer Kit (compatible: nvidia,p3768-0000+p3767-0005, nvidia,tegra234)",
                BoardDetection.machine(tree("NVIDIA Jetson Orin Nano Developer Kit", "nvidia,p3768-0000+p3767-0005", "nvidia,tegra234"), "/x"));
        assertEquals("machine: no device tree at /proc/device-tree (a PC or a board without one)",
                BoardDetection.machine(DeviceTree.read(root.resolve("none")), "/proc/device-tree"));
    }

    @Test
    void aBackendForThisMachineFits() throws IOException {
        Optional<DeviceTree> orin = tree("NVIDIA Jetson Orin Nano Developer Kit", "nvidia,p3768-0000+p3767-0005", "nvidia,tegra234");
        assertEquals(Optional.empty(), BoardDetection.mismatch(orin, List.of(PI, JETSON), false));
    }

    @Test
    void installedBackendsForOtherMachinesAreOneClearError() throws IOException {
        Optional<DeviceTree> pi = tree("Raspberry Pi 4 Model B Rev 1.4", "raspberrypi,4-model-b", "brcm,bcm2711");
        assertEquals(Optional.of("no installed board backend drives this machine, 'Raspberry Pi 4 Model B Rev 1.4' "
                + "(compatible: raspberrypi,4-model-b, brcm,bcm2711): io.armature.board.jetson.internal.JetsonBoard drives "
                + "nvidia,p3768-0000+p3767-0003, nvidia,p3768-0000+p3767-0005"), BoardDetection.mismatch(pi, List.of(JETSON), false));
        assertEquals(Optional.of("no installed board backend drives this machine, a machine without a device tree: pi4j drives "
                + "raspberrypi,4-model-b"), BoardDetection.mismatch(Optional.empty(), List.of(PI), false));
    }

    @Test
    void aGenericLinuxBackendOrASimulationFitsAnyMachine() throws IOException {
        Optional<DeviceTree> pi = tree("Raspberry Pi 4 Model B Rev 1.4", "raspberrypi,4-model-b");
        assertEquals(Optional.empty(), BoardDetection.mismatch(pi, List.of(JETSON, new BoardDetection.Backend("board linux", List.of("*"))), false));
        assertEquals(Optional.empty(), BoardDetection.mismatch(pi, List.of(JETSON), true));
        assertEquals(Optional.empty(), BoardDetection.mismatch(pi, List.of(), false), "no host backend installed: nothing to say");
    }
}
