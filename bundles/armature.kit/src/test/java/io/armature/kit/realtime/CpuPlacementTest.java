package io.armature.kit.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuPlacementTest {

    @Test
    void kernelCpuListsRoundTrip() {
        BitSet cpus = CpuPlacement.parse("0-3,6,8-9\n");
        assertEquals("0-3,6,8-9", CpuPlacement.format(cpus));
        assertEquals(7, cpus.cardinality());
        assertEquals("1", CpuPlacement.format(CpuPlacement.parse("1")));
        assertEquals("none", CpuPlacement.format(new BitSet()));
    }

    @Test
    void aMalformedListIsNoCpus() {
        for (String bad : new String[] {"", "x", "3-1", "-1", "0-", "1,,2", "0-99999"}) {
            assertTrue(CpuPlacement.parse(bad).isEmpty(), bad);
        }
    }

    @Test
    void onlineIsReadUnderTheRootGiven(@TempDir Path root) throws Exception {
        Path online = root.resolve("sys/devices/system/cpu/online");
        Files.createDirectories(online.getParent());
        Files.writeString(online, "0-1\n");
        assertEquals("0-1", CpuPlacement.format(CpuPlacement.online(root)));
        assertTrue(CpuPlacement.online(root.resolve("missing")).isEmpty());
    }

    @Test
    void theProcessIsNotMovedOffItsOnlyCpu() {
        RealTimePriority.Result only = CpuPlacement.keepProcessOff(0, CpuPlacement.parse("0"));
        assertFalse(only.applied());
        assertTrue(only.message().contains("the JVM has no CPU but 0 (0)"), only.message());
    }

    @Test
    void aLatencyRequestWritesTheTargetAsTheKernelReadsItAndHoldsTheFileOpen(@TempDir Path dir) throws Exception {
        Path device = Files.createFile(dir.resolve("cpu_dma_latency"));
        try (CpuLatencyRequest request = CpuLatencyRequest.hold(device, 7)) {
            assertTrue(request.held(), request.message());
            byte[] written = Files.readAllBytes(device);
            assertEquals(4, written.length);
            assertEquals(7, ByteBuffer.wrap(written).order(ByteOrder.nativeOrder()).getInt());
            request.close();
            assertFalse(request.held());
        }
    }

    @Test
    void aDeviceThatCannotBeWrittenIsSaidInOneLineAndNothingIsHeld(@TempDir Path dir) {
        CpuLatencyRequest request = CpuLatencyRequest.hold(dir.resolve("no-such-device"), 0);
        assertFalse(request.held());
        assertTrue(request.message().startsWith("CPU wake-up latency not held"), request.message());
        request.close(); // closing what was never held is harmless
    }
}
