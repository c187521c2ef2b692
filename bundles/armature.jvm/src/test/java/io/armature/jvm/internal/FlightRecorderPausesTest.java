package io.armature.jvm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.management.HotSpotDiagnosticMXBean;

import io.armature.control.JvmPauses;

/** The JVM's pauses on the loops' clock: a safepoint made for real is reported where it happened, and a quiet span is not. */
class FlightRecorderPausesTest {

    @Test
    void aSafepointIsReportedOnTheNanoTimeClockWhereItHappened(@TempDir Path dir) throws Exception {
        try (FlightRecorderPauses pauses = new FlightRecorderPauses()) {
            long starting = System.nanoTime() + 15_000_000_000L;
            while (pauses.reportedFromNanos() == Long.MIN_VALUE && System.nanoTime() < starting) {
                Thread.sleep(50);
            }
            assertEquals(FlightRecorderPauses.STREAMING, pauses.method(), "the recorder streams within 15 s");
            assertTrue(pauses.reportedFromNanos() <= System.nanoTime(), "reported from a time on the nanoTime clock");

            long quietFrom = System.nanoTime();
            Thread.sleep(20);
            long quietTo = System.nanoTime();
            Thread.sleep(20);
            long before = System.nanoTime();
            // a safepoint held for as long as the heap is written
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dir.resolve("heap.hprof").toString(), false);
            long after = System.nanoTime();
            Files.delete(dir.resolve("heap.hprof"));

            long deadline = System.nanoTime() + 15_000_000_000L;
            while (pauses.reportedUntilNanos() < after && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(pauses.reportedUntilNanos() >= after, "the report passes the dump within 15 s");
            assertTrue(pauses.pauseDuring(before, after) != JvmPauses.NONE, "the heap dump's safepoint, where it happened");
            // a span of quiet (a safepoint a few µs long can still fall in it: most spans of 20 ms have none)
            int quiet = pauses.pauseDuring(quietFrom, quietTo);
            assertTrue(quiet == JvmPauses.NONE || quiet == JvmPauses.SAFEPOINT, "no GC pause in 20 ms of sleep");
        }
    }

    @Test
    void anIntervalMatchesAWakeUpItDelayedButNotOneBeforeOrLongAfter() {
        java.util.List<long[]> safepoints = java.util.List.of(new long[] {1_000_000, 3_000_000});
        assertTrue(FlightRecorderPauses.overlaps(safepoints, 2_000_000, 3_000_100), "due during it, woke as it ended");
        assertTrue(FlightRecorderPauses.overlaps(safepoints, 500_000, 3_000_100), "due before it, woke as it ended");
        assertTrue(FlightRecorderPauses.overlaps(safepoints, 3_020_000, 3_100_000), "due just after it (within the slack)");
        assertTrue(!FlightRecorderPauses.overlaps(safepoints, 3_200_000, 3_400_000), "due well after it ended");
        assertTrue(!FlightRecorderPauses.overlaps(safepoints, 100_000, 900_000), "woke before it began");
    }
}
