package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/**
 * Bundles swapped under a running 1 kHz loop, side by side: the new version is installed beside
 * the old, then the old is retired. No cycle may go without a driver and the motor must never
 * drop to its safe state on the way.
 */
class HotSwapTest {

    private FeatureRuntime robot;

    @BeforeEach
    void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
    }

    @AfterEach
    void shutdown() throws Exception {
        robot.close();
    }

    private TunableLoop activeLoop(String name) throws Exception {
        for (ServiceReference<TunableLoop> r : robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=" + name + ")")) {
            TunableLoop l = robot.context().getService(r);
            if (!l.isStandby()) {
                return l;
            }
        }
        throw new AssertionError("no active loop " + name);
    }

    private static long loopThreads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("armature-loop-" + name) && t.isAlive()).count();
    }

    /** Samples the left motor's channels as fast as it can until stopped; counts samples with the motor not driven. */
    private static final class Watch implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong samples = new AtomicLong();
        final AtomicInteger undriven = new AtomicInteger();
        final Thread thread;

        Watch(PwmOutput pwm, DigitalOutput brake) {
            thread = new Thread(() -> {
                while (running.get()) {
                    if (pwm.duty() == 0 || brake.get()) {
                        undriven.incrementAndGet();
                    }
                    samples.incrementAndGet();
                    Thread.onSpinWait();
                }
            }, "swap-watch");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    @Test
    void updatingTheControlBundleSideBySideKeepsTheWheelDriven() throws Exception {
        robot.gogo("robot:setpoint left 15");
        TunableLoop before = activeLoop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(before.measurement() - 15) < 0.5), "at speed: " + before.measurement());
        PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        DigitalOutput brake = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 5_000);
        robot.gogo("robot:pid left 0.05 0.12 0"); // a live change that must survive the update

        Bundle old = robot.bundle("armature.control");
        Path v2 = robot.newVersionOf("armature.control", "0.1.1.update");
        long startNanos;
        long swapNanos;
        try (Watch watch = new Watch(pwm, brake)) {
            startNanos = System.nanoTime();
            Bundle next = robot.context().installBundle(v2.toUri().toString());
            next.start();
            assertTrue(Poll.until(5_000, () -> robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=left)").size() == 2),
                    "the new version's loop stands by beside the old");
            assertTrue(Poll.until(2_000, () -> loopThreads("left") == 2), "each version's engine runs its own loop only: "
                    + loopThreads("left") + " threads");
            long t0 = System.nanoTime();
            old.uninstall();
            swapNanos = System.nanoTime() - t0;
            Thread.sleep(300);
            assertEquals(0, watch.undriven.get(), "samples with the left motor undriven during the update, of " + watch.samples.get());
            assertTrue(watch.samples.get() > 1000, "the watch sampled: " + watch.samples.get());
        }
        TunableLoop after = activeLoop("left");
        assertNotSame(before, after);
        assertFalse(after.isStandby());
        assertEquals(0, after.undrivenCycles());
        assertEquals(15.0, after.setpoint(), "the setpoint carried over");
        assertEquals(0.05, after.gains().kp(), "the live gains carried over");
        assertTrue(Poll.until(2_000, () -> Math.abs(after.measurement() - 15) < 0.5), "still at speed: " + after.measurement());
        assertFalse(robot.console().contains("ERROR") || robot.console().contains("Exception"), robot.console());
        System.out.printf("control bundle update: old retired in %.1f ms, whole swap %.0f ms, no sample without drive%n",
                swapNanos / 1e6, (System.nanoTime() - startNanos) / 1e6);
        assertTrue(robot.gogo("robot:loops").contains("left        1000      15.00"), robot.gogo("robot:loops"));
        assertEquals(1, loopThreads("left"), "one thread runs the loop once the old version is gone");
    }

    @Test
    void updatingTheBoardBundleSideBySideMovesTheLoopWithoutAMissedCycle() throws Exception {
        robot.gogo("robot:setpoint left 15");
        TunableLoop left = activeLoop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 15) < 0.5));
        Bundle old = robot.bundle("armature.board.sim");
        PwmOutput oldPwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);

        Path v2 = robot.newVersionOf("armature.board.sim", "0.1.1.update");
        Bundle next = robot.context().installBundle(v2.toUri().toString());
        next.start();
        assertTrue(Poll.until(5_000, () -> robot.context().getServiceReferences(Board.class, "(armature.board=sim)").size() == 2),
                "the new board is up beside the old");
        long undrivenBefore = left.undrivenCycles();
        long t0 = System.nanoTime();
        old.uninstall();
        long retireNanos = System.nanoTime() - t0;

        PwmOutput newPwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        assertNotSame(oldPwm, newPwm);
        assertTrue(Poll.until(1_000, () -> newPwm.duty() > 0), "the loop drives the new board");
        assertEquals(undrivenBefore, left.undrivenCycles(), "no cycle without a board to drive");
        assertEquals(0, oldPwm.duty(), "the retired board left its motor safe");
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 15) < 0.5), "the new board's wheel at speed: " + left.measurement());
        assertFalse(robot.console().contains("ERROR") || robot.console().contains("Exception"), robot.console());
        System.out.printf("board bundle update: old retired in %.1f ms, 0 cycles without a driver%n", retireNanos / 1e6);
    }
}
