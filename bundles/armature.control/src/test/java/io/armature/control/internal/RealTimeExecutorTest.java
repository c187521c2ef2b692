package io.armature.control.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.armature.control.ControlLoop;

/** One real-time thread for several loops: the ros2_control order, divided rates, and a loop that throws leaving the others running. */
class RealTimeExecutorTest {

    /**
     * A loop that notes each phase it runs in a journal shared by the loops of one test, or in
     * none (null: then it allocates nothing of its own but {@link #allocate} bytes per cycle).
     */
    private static final class Journaling implements ControlLoop {
        final String name;
        final List<String> journal;
        final AtomicInteger cycles = new AtomicInteger();
        volatile int stopped;
        volatile RuntimeException throwAt;
        volatile int throwAtCycle = -1;
        volatile int allocate;

        Journaling(String name, List<String> journal) {
            this.name = name;
            this.journal = journal;
        }

        @Override
        public void read(long nowNanos, double dtSeconds) {
            note("read ");
        }

        private void note(String phase) {
            if (journal != null) {
                synchronized (journal) {
                    journal.add(phase + name);
                }
            }
        }

        @Override
        public void cycle(long nowNanos, double dtSeconds) {
            int n = cycles.incrementAndGet();
            if (n == throwAtCycle) {
                throw throwAt;
            }
            if (allocate > 0) {
                blackhole = new byte[allocate];
            }
            note("cycle ");
        }

        @Override
        public void stopOutputs() {
            stopped++;
        }
    }

    static volatile Object blackhole;

    private static boolean until(long millis, java.util.function.BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    @Test
    void everyDueLoopReadsBeforeAnyCyclesInNameOrderAndASlowerLoopRunsEveryOtherTick() throws Exception {
        List<String> journal = new ArrayList<>();
        Journaling right = new Journaling("right", journal);
        Journaling left = new Journaling("left", journal);
        Journaling slow = new Journaling("slow", journal);
        RealTimeExecutor executor = new RealTimeExecutor("armature-test", 1_000_000, RealTimeSettings.NONE, false);
        LoopRunner r = new LoopRunner("right", right, 1000, RealTimeSettings.NONE, null);
        LoopRunner l = new LoopRunner("left", left, 1000, RealTimeSettings.NONE, null);
        LoopRunner s = new LoopRunner("slow", slow, 500, RealTimeSettings.NONE, null);
        try {
            r.start(executor);
            s.start(executor);
            l.start(executor); // joins last, runs first: the order is the names'
            assertEquals("armature-test: left, right, slow", executor.describe());
            assertEquals("armature-test: left, right, slow", l.executor(), "each loop names the thread it runs on and its companions");
            assertTrue(until(5_000, () -> left.cycles.get() >= 400), "ran: " + left.cycles.get());
            long leftDeadlines = l.cycles() + l.overruns();
            long slowDeadlines = s.cycles() + s.overruns();
            // read a tick apart at most: every deadline of each loop is counted at its own rate
            assertTrue(Math.abs(leftDeadlines - 2 * slowDeadlines) <= 4, "left " + leftDeadlines + " deadlines, the 500 Hz loop " + slowDeadlines);
        } finally {
            l.stop();
            r.stop();
            s.stop();
            executor.close();
        }
        List<String> seen;
        synchronized (journal) {
            seen = List.copyOf(journal);
        }
        // ticks: "read left, read right[, read slow], cycle left, cycle right[, cycle slow]"
        int i = seen.indexOf("read left");
        int ticks = 0;
        int withSlow = 0;
        while (i + 4 <= seen.size()) {
            if (!seen.get(i).equals("read left")) {
                break; // the last tick, cut by the stops
            }
            boolean slowHere = i + 2 < seen.size() && seen.get(i + 2).equals("read slow");
            List<String> expected = slowHere ? List.of("read left", "read right", "read slow", "cycle left", "cycle right", "cycle slow")
                    : List.of("read left", "read right", "cycle left", "cycle right");
            if (i + expected.size() > seen.size()) {
                break;
            }
            assertEquals(expected, seen.subList(i, i + expected.size()), "tick " + ticks + " at " + i);
            ticks++;
            withSlow += slowHere ? 1 : 0;
            i += expected.size();
        }
        assertTrue(ticks >= 300, "whole ticks in order: " + ticks);
        // the 500 Hz loop is due at every second deadline of the 1 kHz thread: half the ticks, give or take the skipped ones
        double share = (double) withSlow / ticks;
        assertTrue(share > 0.4 && share < 0.6, "the 500 Hz loop ran in " + withSlow + " of " + ticks + " ticks");
    }

    @Test
    void aLoopThatThrowsLeavesTheScheduleWithItsOutputsSafeAndTheOthersRunOn() throws Exception {
        List<String> journal = new ArrayList<>();
        Journaling good = new Journaling("good", journal);
        Journaling bad = new Journaling("bad", journal);
        bad.throwAt = new IllegalStateException("driver gone");
        bad.throwAtCycle = 50;
        AtomicReference<Throwable> reported = new AtomicReference<>();
        RealTimeExecutor executor = new RealTimeExecutor("armature-test", 1_000_000, RealTimeSettings.NONE, false);
        LoopRunner g = new LoopRunner("good", good, 1000, RealTimeSettings.NONE, null);
        LoopRunner b = new LoopRunner("bad", bad, 1000, RealTimeSettings.NONE, (runner, e) -> reported.set(e));
        try {
            g.start(executor);
            b.start(executor);
            assertTrue(until(5_000, () -> reported.get() != null), "the failure reported");
            assertEquals("driver gone", reported.get().getMessage());
            assertEquals(1, bad.stopped, "the failed loop's outputs driven safe once");
            assertEquals("armature-test: good", executor.describe(), "the failed loop left the schedule");
            int goodAtFailure = good.cycles.get();
            assertTrue(until(5_000, () -> good.cycles.get() >= goodAtFailure + 200), "the other loop runs on: " + good.cycles.get());
            assertEquals(50, bad.cycles.get(), "the failed loop never ran again");
            assertEquals(0, good.stopped, "the other loop's outputs untouched");
        } finally {
            g.stop();
            b.stop();
            executor.close();
        }
        assertTrue(executor.isEmpty());
        assertFalse(executor.thread().isAlive(), "the thread ends when closed");
    }

    @Test
    void aLoopRemovedNeverRunsAgainOnceRemoveReturns() throws Exception {
        List<String> journal = new ArrayList<>();
        Journaling a = new Journaling("a", journal);
        RealTimeExecutor executor = new RealTimeExecutor("armature-test", 1_000_000, RealTimeSettings.NONE, false);
        LoopRunner r = new LoopRunner("a", a, 1000, RealTimeSettings.NONE, null);
        try {
            r.start(executor);
            assertTrue(until(5_000, () -> a.cycles.get() >= 20));
            r.stop();
            int atStop = a.cycles.get();
            assertEquals(1, a.stopped, "outputs safe at stop");
            Thread.sleep(50);
            assertEquals(atStop, a.cycles.get(), "no cycle after the stop returned");
            assertTrue(executor.thread().isAlive(), "a shared thread outlives one loop leaving");
        } finally {
            executor.close();
        }
    }

    @Test
    void eachLoopCountsTheBytesItsOwnPhasesAllocate() throws Exception {
        Journaling quiet = new Journaling("quiet", null);
        Journaling greedy = new Journaling("greedy", null);
        greedy.allocate = 1000;
        RealTimeExecutor executor = new RealTimeExecutor("armature-test", 200_000, RealTimeSettings.NONE, false);
        LoopRunner q = new LoopRunner("quiet", quiet, 5000, RealTimeSettings.NONE, null);
        LoopRunner g = new LoopRunner("greedy", greedy, 5000, RealTimeSettings.NONE, null);
        try {
            q.start(executor);
            g.start(executor);
            // Windows of 1024 cycles, 0.2 s here. A path the thread takes for the first time (a late
            // tick's first report, its classes loaded then) allocates once, in whichever loop's
            // phase it happens: such a window shows it, and the next ones are steady again.
            assertTrue(until(20_000, () -> q.allocatedBytesPerCycle() == 0.0 && g.allocatedBytesPerCycle() >= 1000),
                    "the quiet loop allocates nothing in a window where its neighbour allocates a kilobyte a cycle: quiet "
                            + q.allocatedBytesPerCycle() + ", greedy " + g.allocatedBytesPerCycle());
        } finally {
            q.stop();
            g.stop();
            executor.close();
        }
    }

    @Test
    void aLoopWhosePeriodIsNoWholeMultipleOfTheThreadsIsRefused() {
        ControlLoop idle = new Journaling("idle", null);
        RealTimeExecutor executor = new RealTimeExecutor("armature-test", 1_000_000, RealTimeSettings.NONE, false);
        try {
            LoopRunner fast = new LoopRunner("fast", idle, 3000, RealTimeSettings.NONE, null);
            assertEquals("its period of 333.3 µs is not a whole multiple of the armature-test thread's 1000.0 µs", executor.refusal(fast));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> executor.add(fast));
            assertTrue(e.getMessage().startsWith("loop 'fast' cannot join: "), e.getMessage());
            assertNull(executor.refusal(new LoopRunner("slower", idle, 250, RealTimeSettings.NONE, null)), "4 ms is four ticks");
        } finally {
            executor.close();
        }
    }
}
