package io.armature.kit.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceTreeTest {

    @TempDir
    Path root;

    @Test
    void readsModelAndCompatibleOfARaspberryPi() throws Exception {
        // as the kernel writes them: NUL-separated, NUL-terminated
        Files.write(root.resolve("compatible"),
                "raspberrypi,4-model-b\0brcm,bcm2711\0".getBytes(StandardCharsets.US_ASCII));
        Files.write(root.resolve("model"), "Raspberry Pi 4 Model B Rev 1.4\0".getBytes(StandardCharsets.US_ASCII));

        DeviceTree tree = DeviceTree.read(root).orElseThrow();

        assertEquals("Raspberry Pi 4 Model B Rev 1.4", tree.name());
        assertEquals(List.of("raspberrypi,4-model-b", "brcm,bcm2711"), tree.compatible());
        assertTrue(tree.isCompatibleWith(List.of("raspberrypi,5-model-b", "raspberrypi,4-model-b")));
        assertFalse(tree.isCompatibleWith(List.of("nvidia,p3768-0000+p3767-0005")));
    }

    @Test
    void aMachineWithoutADeviceTreeIsEmpty() throws Exception {
        assertTrue(DeviceTree.read(root).isEmpty());
    }

    @Test
    void aTreeWithoutAModelIsNamedByItsFirstCompatible() throws Exception {
        Files.write(root.resolve("compatible"), "nvidia,p3768-0000+p3767-0005\0nvidia,tegra234\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals("nvidia,p3768-0000+p3767-0005", DeviceTree.read(root).orElseThrow().name());
    }
}
