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
        LoopRunner runner = new LoopRunner("stall", stalling, 1000, 0, 0, null);
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
    }
}
