package io.armature.control.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.armature.control.ControlLoop;

/** The engine's time step: a stall is not integrated at once. */
class LoopRunnerTest {

    @Test
    void afterAStallTheNextCycleStepsTwoPeriodsAtMostAndTheStallIsCounted() throws Exception {
        double[] largest = {0};
        double[] afterStall = {Double.NaN};
        AtomicInteger cycles = new AtomicInteger();
        ControlLoop stalling = new ControlLoop() {
            @Override
            public void cycle(long nowNanos, double dtSeconds) {
                int n = cycles.incrementAndGet();
                largest[0] = Math.max(largest[0], dtSeconds);
                if (n == 51) {
                    afterStall[0] = dtSeconds;
                }
                if (n == 50) {
                    try {
                        Thread.sleep(30); // the process stood still for 30 periods
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void stopOutputs() {
            }
        };
        LoopRunner runner = new LoopRunner("stall", stalling, 1000, RealTimeSettings.NONE, null);
        runner.start();
        try {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (cycles.get() < 100 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            runner.stop();
        }
        assertTrue(cycles.get() >= 100, "ran: " + cycles.get());
        assertEquals(0.002, afterStall[0], "the cycle after a 30 ms stall steps two periods, not 30");
        assertTrue(largest[0] <= 0.002, "no step longer than two periods: " + largest[0]);
        assertTrue(runner.boundedSteps() >= 1, "the stall is counted: " + runner.boundedSteps());
        // every deadline the stall passed is a late sample with its own lateness, as cyclictest counts them
        org.HdrHistogram.Histogram late = runner.latenessHistogram();
        assertEquals(runner.cycles() + runner.overruns(), late.getTotalCount(), "one lateness sample per deadline");
        assertTrue(runner.overruns() >= 29, "the 30 ms stall skipped 29 deadlines or more: " + runner.overruns());
        assertTrue(late.getCountBetweenValues(1_000_000, Long.MAX_VALUE / 4) >= 29, "and each is late by a period or more: " + late);
        // the linear histogram holds each deadline once, however wide the histogram's cells are where it lies
        long[] counts = runner.latenessCounts(1000, 20_000);
        assertEquals(late.getTotalCount(), java.util.Arrays.stream(counts).sum(), "every deadline in one 1 µs bucket");
        assertEquals(late.getCountBetweenValues(100_000, Long.MAX_VALUE / 4), java.util.Arrays.stream(counts, 100, counts.length).sum(),
                "the same count from 100 µs as the histogram's own");
        // the late deadlines the runner counts for attribution are the ones its histogram holds
        assertEquals(late.getCountBetweenValues(LoopRunner.LATE_FLOOR_NANOS * 2, Long.MAX_VALUE / 4), runner.latenessCauses().late(),
                "deadlines late by a tenth of the 1 ms period or more");
    }

    @Test
    void aSpinOfMoreThanHalfThePeriodIsRefusedSoA10kHzLoopCannotStarveTheMachine() {
        ControlLoop idle = new ControlLoop() {
            @Override
            public void cycle(long nowNanos, double dtSeconds) {
            }

            @Override
            public void stopOutputs() {
            }
        };
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new LoopRunner("fast", idle, 10_000, new RealTimeSettings(100_000, 0, -1), null));
        assertEquals("loop 'fast': at 10000 Hz its period is 100 µs; spinning 100 µs before each deadline is more than half of it, and would keep "
                + "a CPU busy; set spinMicros to at most 50 (armature.control.engine)", e.getMessage());
        new LoopRunner("fast", idle, 10_000, new RealTimeSettings(50_000, 0, -1), null); // half the period: allowed
        new LoopRunner("wheel", idle, 1_000, new RealTimeSettings(100_000, 0, -1), null); // the default spin at 1 kHz
    }
}
