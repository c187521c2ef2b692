package io.armature.control.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.management.HotSpotDiagnosticMXBean;

import io.armature.control.ControlLoop;
import io.armature.control.LatenessCauses;
import io.armature.jvm.internal.FlightRecorderPauses;

/**
 * Each kind of late deadline, made for real in this JVM, is told apart: a cycle that runs past
 * its deadline, a safepoint (a heap dump holds one for as long as it writes), and the whole
 * process stopped by the kernel (SIGSTOP from another process), which no JVM event explains.
 */
class LatenessAttributionTest {

    @Test
    void lateDeadlinesAreToldApartByCause(@TempDir Path dir) throws Exception {
        AtomicBoolean overrunOnce = new AtomicBoolean();
        ControlLoop loop = new ControlLoop() {
            @Override
            public void cycle(long nowNanos, double dtSeconds) {
                if (overrunOnce.compareAndSet(true, false)) {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000); // the cycle itself runs 20 periods long
                }
            }

            @Override
            public void stopOutputs() {
            }
        };
        LoopRunner runner = new LoopRunner("attributed", loop, 1000, RealTimeSettings.NONE, null);
        try (FlightRecorderPauses recorder = new FlightRecorderPauses(); LatenessAttribution attribution = LatenessAttribution.start()) {
            attribution.use(recorder);
            attribution.watch(runner);
            runner.start();
            long starting = System.nanoTime() + 15_000_000_000L;
            while (!attribution.streaming() && System.nanoTime() < starting) {
                Thread.sleep(50); // the recorder starts in the background
            }
            assertTrue(attribution.streaming(), "the flight recorder streams within 15 s: " + attribution.method());
            Thread.sleep(300);
            long lostBefore = runner.latenessCauses().late(); // late before the stream began: never attributed

            long before = runner.latenessCauses().late();
            // a safepoint held for as long as the heap is written
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(dir.resolve("heap.hprof").toString(), false);
            Files.delete(dir.resolve("heap.hprof"));
            Thread.sleep(200);
            long afterDump = runner.latenessCauses().late();
            assertTrue(afterDump - before >= 5, "the heap dump made deadlines late: " + runner.latenessCauses());

            // the whole process stopped by the kernel for 40 ms
            long pid = ProcessHandle.current().pid();
            Process stop = new ProcessBuilder("bash", "-c", "kill -STOP " + pid + "; sleep 0.04; kill -CONT " + pid).start();
            assertEquals(0, stop.waitFor());
            Thread.sleep(200);

            overrunOnce.set(true);
            Thread.sleep(200);

            // the loop goes on being late now and then (normal priority): wait for the ones so far
            long lateSoFar = runner.latenessCauses().late();
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (attributed(runner.latenessCauses()) < lateSoFar && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            LatenessCauses c = runner.latenessCauses();
            assertTrue(attributed(c) >= lateSoFar, "every late deadline so far attributed within 15 s: " + lateSoFar + ", " + c);
            assertTrue(c.method().contains("flight recorder"), c.method());
            assertTrue(c.overran() >= 19, "the 20 ms cycle's deadlines are its own: " + c);
            assertTrue(c.safepoint() >= 5, "the heap dump's deadlines are a safepoint's: " + c);
            assertTrue(c.outsideJvm() >= 35, "the 40 ms stop's deadlines are outside the JVM: " + c);
            assertEquals(c.late(), attributed(c) + c.pending(), "each late deadline has one cause, or none yet: " + c);
            assertTrue(c.lost() <= lostBefore, "none lost but those before the stream began (" + lostBefore + "): " + c);
        } finally {
            runner.stop();
        }
    }

    private static long attributed(LatenessCauses c) {
        return c.overran() + c.safepoint() + c.outsideJvm() + c.lost();
    }

    @Test
    void withoutARecorderOfTheJvmsPausesLateDeadlinesAreCountedAsLostAndTheReasonIsSaid() throws Exception {
        ControlLoop stalling = new ControlLoop() {
            private int n;

            @Override
            public void cycle(long nowNanos, double dtSeconds) {
                if (++n == 20) {
                    java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
                }
            }

            @Override
            public void stopOutputs() {
            }
        };
        LoopRunner runner = new LoopRunner("unrecorded", stalling, 1000, RealTimeSettings.NONE, null);
        try (LatenessAttribution attribution = LatenessAttribution.start()) {
            attribution.watch(runner);
            runner.start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while ((runner.latenessCauses().late() < 9 || runner.latenessCauses().pending() > 0) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            LatenessCauses c = runner.latenessCauses();
            assertEquals("not attributed: no recorder of the JVM's pauses runs (bundle armature.jvm)", c.method());
            assertTrue(c.late() >= 9, "the 10 ms cycle made deadlines late: " + c);
            assertEquals(c.late() - c.overran(), c.lost(), "every one not the cycle's own is lost, none guessed: " + c);
        } finally {
            runner.stop();
        }
    }
}
