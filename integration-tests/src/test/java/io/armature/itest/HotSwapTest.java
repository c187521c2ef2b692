package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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

    /** @return the instance of the loop that drives; waits up to 5 s (the engine restarts its loops when its configuration arrives) */
    private TunableLoop activeLoop(String name) throws Exception {
        long end = System.nanoTime() + 5_000_000_000L;
        do {
            for (ServiceReference<TunableLoop> r : robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=" + name + ")")) {
                TunableLoop l = robot.context().getService(r);
                if (!l.isStandby()) {
                    return l;
                }
            }
            Thread.sleep(10);
        } while (System.nanoTime() < end);
        throw new AssertionError("no active loop " + name);
    }

    /** @return the live real-time threads that run loops: each engine runs all its loops on one */
    private static long loopThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("armature-loops") && t.isAlive()).count();
    }

    /** The left wheel driven, its loop before a swap, and its motor's channels. */
    private record DrivenWheel(TunableLoop before, PwmOutput pwm, DigitalOutput brake) {
    }

    /** Drives the left wheel at {@code speed} from a healthy robot, with live gains a swap must carry over (kp 0.05). */
    private DrivenWheel driveLeft(double speed) throws Exception {
        robot.healthySupervisor();
        robot.gogo("robot:setpoint left " + speed);
        TunableLoop before = activeLoop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(before.measurement() - speed) < 0.5), "at speed: " + before.measurement());
        robot.gogo("robot:pid left 0.05 0.12 0");
        return new DrivenWheel(before, robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000),
                robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 5_000));
    }

    @Test
    void updatingTheControlBundleSideBySideKeepsTheWheelDriven() throws Exception {
        DrivenWheel wheel = driveLeft(15);
        TunableLoop before = wheel.before();

        Bundle old = robot.bundle("armature.control");
        Path v2 = robot.newVersionOf("armature.control", "0.1.1.update");
        long startNanos;
        long swapNanos;
        try (DriveWatch watch = new DriveWatch(wheel.pwm(), wheel.brake())) {
            startNanos = System.nanoTime();
            Bundle next = robot.context().installBundle(v2.toUri().toString());
            next.start();
            assertTrue(Poll.until(5_000, () -> robot.context().getServiceReferences(TunableLoop.class, "(armature.loop.name=left)").size() == 2),
                    "the new version's loop stands by beside the old");
            assertTrue(Poll.until(2_000, () -> loopThreads() == 2), "each version's engine runs its own loops on its own thread: "
                    + loopThreads() + " threads");
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
        assertEquals(1, loopThreads(), "one thread runs the loops once the old version is gone");
    }

    private HttpResponse<String> swapThroughRest(String name, byte[] jar, String contentType, String origin) throws Exception {
        return Http.swap(robot.httpPort(), robot.consolePassword(), name, jar, contentType, origin);
    }

    @Test
    void aSwapThroughTheRestApiKeepsTheWheelDrivenAndRefusesWhatIsNotANewerBundle() throws Exception {
        DrivenWheel wheel = driveLeft(15);
        Bundle old = robot.bundle("armature.control");
        byte[] v2 = Files.readAllBytes(robot.newVersionOf("armature.control", "0.1.1.swap"));

        // refused before anything is touched: a foreign page, a body that is not a jar, another bundle's jar
        assertEquals(403, swapThroughRest("armature.control", v2, "application/java-archive", "http://evil.example").statusCode(),
                "a page of another site cannot swap");
        HttpResponse<String> json = swapThroughRest("armature.control", v2, "application/json", null);
        assertEquals(415, json.statusCode(), json.body());
        HttpResponse<String> other = swapThroughRest("armature.web", v2, "application/java-archive", null);
        assertEquals(409, other.statusCode(), other.body());
        assertTrue(other.body().contains("\"error\":\"the upload is bundle armature.control, not armature.web; nothing changed\""), other.body());
        assertEquals(Bundle.ACTIVE, old.getState(), "nothing changed");

        HttpResponse<String> swapped;
        try (DriveWatch watch = new DriveWatch(wheel.pwm(), wheel.brake())) {
            swapped = swapThroughRest("armature.control", v2, "application/java-archive", null);
            Thread.sleep(300);
            assertEquals(0, watch.undriven.get(), "samples with the left motor undriven during the swap, of " + watch.samples.get()
                    + " (the first read " + watch.firstReason + ", for " + (watch.lastUndriven - watch.firstUndriven) / 1000 + " us; " + boardCounters() + ")");
        }
        assertEquals(200, swapped.statusCode(), swapped.body());
        assertTrue(swapped.body().contains("\"outcome\":\"APPLIED\""), swapped.body());
        assertTrue(swapped.body().contains("\"kind\":\"UPDATE\",\"bundle\":\"armature.control\""), swapped.body());
        assertEquals(Bundle.UNINSTALLED, old.getState(), "the old version is gone");
        assertEquals("0.1.1.swap", robot.bundle("armature.control").getVersion().toString());
        TunableLoop after = activeLoop("left");
        assertNotSame(wheel.before(), after);
        assertEquals(15.0, after.setpoint(), "the setpoint carried over");
        assertEquals(0.05, after.gains().kp(), "the live gains carried over");

        HttpResponse<String> again = swapThroughRest("armature.control", v2, "application/java-archive", null);
        assertEquals(409, again.statusCode(), again.body());
        assertTrue(again.body().contains("bundle armature.control 0.1.1.swap is not newer than the running 0.1.1.swap"), again.body());
        assertTrue(robot.gogo("feature:list").startsWith("installed: sim-rover"), robot.gogo("feature:list"));
    }

    @Test
    void anOperatorSwapsTheControlBundleFromTheRobotPageWhileTheWheelRuns() throws Exception {
        DrivenWheel wheel = driveLeft(20);
        Bundle old = robot.bundle("armature.control");
        Path v2 = robot.newVersionOf("armature.control", "0.1.1.page");

        // the watcher runs from the press of Swap to the page's answer: the browser's own start, which
        // loads this 2-core machine heavily, is not the swap
        DriveWatch[] watch = new DriveWatch[1];
        BrowserScenario.run(robot, "swap-page.mjs", Map.of("ARMATURE_JAR", v2.toAbsolutePath().toString(), "ARMATURE_JAR_VERSION", "0.1.1.page"),
                line -> {
                    if (line.equals("swap: pressed")) {
                        watch[0] = new DriveWatch(wheel.pwm(), wheel.brake());
                    } else if (line.equals("swap: answered")) {
                        watch[0].close();
                    }
                });
        assertTrue(watch[0] != null && watch[0].samples.get() > 1000, "the watcher sampled the swap");
        assertEquals(0, watch[0].undriven.get(), "samples with the left motor undriven while the page swapped, of " + watch[0].samples.get()
                + " (the first read " + watch[0].firstReason + "); supervisor trips " + robot.healthySupervisor().trips() + ", " + boardCounters());
        assertEquals(Bundle.UNINSTALLED, old.getState(), "the old version is gone");
        TunableLoop after = activeLoop("left");
        assertEquals(20.0, after.setpoint(), "the setpoint carried over");
        assertEquals(0.05, after.gains().kp(), "the live gains carried over");
        assertTrue(Poll.until(2_000, () -> Math.abs(after.measurement() - 20) < 0.6), "at speed: " + after.measurement());
    }

    /** @return the simulated board's permit lapses and refused writes (not in the API): a late feed shows here */
    private String boardCounters() throws Exception {
        Board b = robot.service(Board.class, "(armature.board=sim)", 1_000);
        return "permit lapses " + b.getClass().getMethod("permitLapses").invoke(b) + ", writes refused for want of a permit "
                + b.getClass().getMethod("refusedWrites").invoke(b);
    }

    @Test
    void updatingTheBoardBundleSideBySideMovesTheLoopWithoutAMissedCycle() throws Exception {
        TunableLoop left = driveLeft(15).before();
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
