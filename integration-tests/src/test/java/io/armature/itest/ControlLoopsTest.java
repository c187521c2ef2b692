package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceRegistration;

import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/** The wheel loops of sim-rover at 1 kHz in a real framework, driven through Gogo as an operator would. */
class ControlLoopsTest {

    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    @AfterEach
    void rest() throws Exception {
        robot.gogo("robot:setpoint left 0");
        robot.gogo("robot:setpoint right 0");
    }

    private TunableLoop loop(String name) throws Exception {
        return robot.service(TunableLoop.class, "(armature.loop.name=" + name + ")", 10_000);
    }

    @Test
    void bothWheelLoopsRunAt1kHzAndReportTheirStatistics() throws Exception {
        LoopStatistics left = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 10_000);
        assertEquals(1000.0, left.rateHz(), 1e-9);
        long before = left.cycles() + left.overruns();
        long t0 = System.nanoTime();
        Thread.sleep(500);
        long ran = left.cycles() + left.overruns() - before;
        double expected = (System.nanoTime() - t0) / 1e6; // periods of 1 ms that passed, run or skipped
        assertTrue(Math.abs(ran - expected) < expected * 0.1 + 5, ran + " periods accounted for in " + expected + " ms");
        assertTrue(left.boundedSteps() <= left.overruns(), "a step is bounded only after a stall, which skipped periods: " + left.boundedSteps()
                + " bounded, " + left.overruns() + " skipped");

        String loops = robot.gogo("robot:loops");
        assertTrue(loops.startsWith("LOOP     RATE Hz   SETPOINT   MEASURED   OUTPUT    P99 us   P99.9 us OVERRUNS  B/CYCLE CONTROLLER PRIORITY"), loops);
        assertTrue(loops.matches("(?s).*\\nleft\\s+1000\\s+0\\.00\\s+\\S+\\s+\\S+\\s+[0-9.]+\\s+[0-9.]+\\s+\\d+\\s+\\S+\\s+pid\\s+(SCHED_FIFO|normal).*"), loops);
        assertTrue(loops.contains("\nright "), loops);
    }

    @Test
    void thePlantAndTheSupervisorRunAboveTheLoopsAndTheEncoderSamplersJustBelow() throws Exception {
        robot.gogo("robot:loops"); // the loops have started and set their priority
        List<int[]> loops = scheduling("armature-loops");
        List<int[]> encoders = scheduling("armature-encode"); // the kernel keeps 15 characters of a thread's name
        assertEquals(1, loops.size(), "one real-time thread for both wheel loops");
        assertEquals(2, encoders.size(), "two encoder samplers");
        final int fifo = 1;
        if (loops.get(0)[0] == fifo) {
            for (int[] loop : loops) {
                assertEquals(80, loop[1], "the loop engine's priority");
            }
            assertTrue(Poll.until(5_000, () -> scheduling("armature-encode").stream().allMatch(e -> e[0] == fifo && e[1] == 79)),
                    "each encoder sampler under SCHED_FIFO 79, below its loop: " + describe(scheduling("armature-encode")));
            assertTrue(Poll.until(5_000, () -> scheduling("armature-safety").stream().allMatch(e -> e[0] == fifo && e[1] == 81)),
                    "the supervisor under SCHED_FIFO 81, above the loops it watches: " + describe(scheduling("armature-safety")));
            assertEquals(1, scheduling("armature-safety").size(), "one supervisor thread");
            assertTrue(Poll.until(5_000, () -> scheduling("armature-sim-").stream().anyMatch(e -> e[0] == fifo && e[1] == 82)),
                    "the simulated plant, the hardware of sim-rover, under SCHED_FIFO 82, above all: " + describe(scheduling("armature-sim-")));
        } else {
            // without CAP_SYS_NICE neither gets real-time priority, and both say so in the log
            assertTrue(encoders.stream().allMatch(e -> e[0] != fifo), describe(encoders));
        }
    }

    /** @return policy and real-time priority of every thread of this JVM whose kernel name starts with {@code prefix} */
    private static List<int[]> scheduling(String prefix) {
        List<int[]> found = new java.util.ArrayList<>();
        for (java.io.File task : tasks(prefix)) {
            try {
                String stat = readProc(task.getPath() + "/stat");
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 of proc(5)
                found.add(new int[] {Integer.parseInt(f[41 - 3]), Integer.parseInt(f[40 - 3])});
            } catch (Exception threadEnded) {
                // gone between the listing and the read
            }
        }
        return found;
    }

    /** @return the /proc task directories of this JVM's threads whose kernel name (15 characters at most) starts with {@code prefix} */
    private static List<java.io.File> tasks(String prefix) {
        List<java.io.File> found = new java.util.ArrayList<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        for (java.io.File task : tasks == null ? new java.io.File[0] : tasks) {
            try {
                String comm = readProc(task.getPath() + "/comm");
                if (comm.startsWith(prefix.substring(0, Math.min(15, prefix.length())))) {
                    found.add(task);
                }
            } catch (Exception threadEnded) {
                // gone between the listing and the read
            }
        }
        return found;
    }

    private static String describe(List<int[]> threads) {
        return threads.stream().map(t -> "policy " + t[0] + " priority " + t[1]).toList().toString();
    }

    @Test
    void aSetpointFromGogoDrivesTheWheelToThatSpeedAndZeroBrakesIt() throws Exception {
        assertEquals("left setpoint 20 rad/s", robot.gogo("robot:setpoint left 20").trim());
        TunableLoop left = loop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 20) < 0.6), "measured " + left.measurement());
        assertTrue(left.output() > 0.4 && left.output() < 0.8, "duty fraction near the feed-forward: " + left.output());
        PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        assertTrue(pwm.duty() > 20_000, "duty " + pwm.duty());

        robot.gogo("robot:setpoint left 0");
        DigitalOutput brake = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 5_000);
        assertTrue(Poll.until(3_000, () -> brake.get() && pwm.duty() == 0), "stopped and braked");
    }

    @Test
    void gainsChangeLiveFromGogoAndBadInputIsRefused() throws Exception {
        TunableLoop right = loop("right");
        double kp = right.gains().kp();
        String answer = robot.gogo("robot:pid right 0.05 0.2 0").trim();
        assertTrue(answer.startsWith("right kp 0.05 ki 0.2 kd 0 ks"), answer);
        assertEquals(0.05, right.gains().kp());
        try {
            assertEquals("gogo: IllegalArgumentException: kp must be a finite number of at least 0, was -1.0",
                    robot.gogo("robot:pid right -1 0 0").trim());
            assertEquals("gogo: IllegalArgumentException: kd must be a number, was 'fast'", robot.gogo("robot:pid right 1 0 fast").trim());
            assertEquals(0.05, right.gains().kp(), "the previous gains stay");
            assertEquals("gogo: IllegalArgumentException: loop 'right': setpoint must be a number within ±30.0 rad/s, was 99.0",
                    robot.gogo("robot:setpoint right 99").trim());
            assertEquals("gogo: IllegalArgumentException: setpoint must be a finite number, was NaN", robot.gogo("robot:setpoint right NaN").trim());
            assertEquals("gogo: IllegalArgumentException: no loop 'middle'; loops: left, right", robot.gogo("robot:setpoint middle 1").trim());
            assertEquals(0.0, right.setpoint());
        } finally {
            robot.gogo("robot:pid right " + kp + " " + right.gains().ki() + " 0");
        }
    }

    @Test
    void editingTheLoopConfigFileRetunesItLiveAndABadRateIsRefused() throws Exception {
        java.nio.file.Path file = robot.configDir().resolve("armature.control.wheel-right.cfg");
        String original = java.nio.file.Files.readString(file);
        TunableLoop right = loop("right");
        LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=right)", 5_000);
        try {
            java.nio.file.Files.writeString(file, original.replace("kp=0.04", "kp=0.06"));
            assertTrue(Poll.until(10_000, () -> right.gains().kp() == 0.06), "kp from the file: " + right.gains().kp());
            assertTrue(right == loop("right"), "the same loop instance: retuned, not restarted");

            int mark = robot.console().length();
            java.nio.file.Files.writeString(file, original.replace("armature.loop.rate=1000", "armature.loop.rate=0"));
            assertTrue(Poll.until(10_000, () -> robot.console().substring(mark).contains("loop 'right': rate must be 1..10000 Hz, was 0.0")),
                    robot.console().substring(mark));
            long cycles = stats.cycles();
            Thread.sleep(200);
            assertTrue(stats.cycles() > cycles + 100, "still running at its old rate");
            assertEquals(1000.0, stats.rateHz(), 1e-9);
            assertEquals(0.06, right.gains().kp(), "the last good configuration stays");
        } finally {
            java.nio.file.Files.writeString(file, original);
            assertTrue(Poll.until(10_000, () -> right.gains().kp() == 0.04));
        }
    }

    @Test
    void aControllerSwitchThatFailsRollsBackWhileTheWheelKeepsTurning() throws Exception {
        robot.gogo("robot:setpoint left 10");
        TunableLoop left = loop("left");
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 10) < 0.5));
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ControllerFactory.PROPERTY_NAME, "diverging");
        ServiceRegistration<ControllerFactory> reg = robot.context().registerService(ControllerFactory.class, gains -> new Controller() {
            @Override
            public double calculate(double setpoint, double measurement, double dt) {
                return Double.NaN;
            }

            @Override
            public void reset(double output) {
            }
        }, props);
        try {
            assertTrue(Poll.until(5_000, () -> !robot.gogo("robot:controller left diverging").startsWith("gogo:")));
            assertTrue(Poll.until(2_000, () -> left.fault().isPresent()), "a fault is reported");
            assertEquals("pid", left.controller());
            assertTrue(left.fault().get().contains("'diverging' output NaN in its first cycles; rolled back to 'pid'"), left.fault().get());
            double slowest = Double.MAX_VALUE;
            for (int i = 0; i < 40; i++) { // the next 200 ms
                slowest = Math.min(slowest, left.measurement());
                Thread.sleep(5);
            }
            assertTrue(slowest > 8.0, "the wheel kept turning through the failed switch, slowest " + slowest + " rad/s");
            assertTrue(Poll.until(2_000, () -> Math.abs(left.measurement() - 10) < 0.5), "and holds its setpoint: " + left.measurement());
            assertTrue(robot.gogo("robot:loops").contains("fault: controller 'diverging'"));
            String unknown = robot.gogo("robot:controller left lqr").trim();
            assertTrue(unknown.startsWith("gogo: IllegalArgumentException: no controller 'lqr' for loop 'left'; installed: diverging, pid"), unknown);
        } finally {
            reg.unregister();
        }
    }

    @Test
    void theLatencySelfTestReportsAVerdict() throws Exception {
        String report = robot.gogo("robot:latency 1000 1");
        assertTrue(report.contains("lateness us: min"), report);
        Matcher m = Pattern.compile("deadlines (\\d+) at 1000 Hz").matcher(report);
        assertTrue(m.find(), report);
        assertTrue(Integer.parseInt(m.group(1)) > 800, report);
        assertTrue(report.matches("(?s).*verdict: (GOOD|FAIR|POOR): .*"), report);
        assertEquals("gogo: IllegalArgumentException: rate must be 1..100000, was 0", robot.gogo("robot:latency 0 1").trim());
        assertEquals("gogo: IllegalArgumentException: seconds must be a number 1..600, was 'x'", robot.gogo("robot:latency 1000 x").trim());
    }

    @Test
    void aStopOfTheWholeProcessIsToldAsLatenessFromOutsideTheJvm() throws Exception {
        LoopStatistics left = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 10_000);
        // the JVM's recording (bundle armature.jvm) starts with the runtime; with its first clock mark, late deadlines get a cause
        assertTrue(Poll.until(20_000, () -> left.latenessCauses().method().contains("matched by time")), left.latenessCauses().method());
        io.armature.control.LatenessCauses before = left.latenessCauses();
        // the kernel stops this whole JVM for 30 ms, as a hypervisor or an overloaded host would
        long pid = ProcessHandle.current().pid();
        Process stop = new ProcessBuilder("bash", "-c", "kill -STOP " + pid + "; sleep 0.03; kill -CONT " + pid).start();
        assertEquals(0, stop.waitFor());
        long lateSoFar = left.latenessCauses().late();
        assertTrue(lateSoFar - before.late() >= 25, "the stop's deadlines are late: " + left.latenessCauses());
        // the flight recorder reports a second or two after the fact; in OSGi its marker event needs the boot delegation
        assertTrue(Poll.until(10_000, () -> {
            io.armature.control.LatenessCauses c = left.latenessCauses();
            return c.overran() + c.safepoint() + c.outsideJvm() + c.lost() >= lateSoFar;
        }), "attributed within 10 s: " + left.latenessCauses());
        io.armature.control.LatenessCauses after = left.latenessCauses();
        assertTrue(after.outsideJvm() - before.outsideJvm() >= 25, "outside the JVM: " + after);
        assertTrue(robot.gogo("robot:loops").contains("late deadlines"), robot.gogo("robot:loops"));

        // without the JVM's recorder the loops run on, and say why no cause is told
        org.osgi.framework.Bundle recorder = robot.bundle("armature.jvm");
        recorder.stop();
        try {
            assertTrue(Poll.until(5_000, () -> left.latenessCauses().method().equals(
                    "not attributed: no recorder of the JVM's pauses runs (bundle armature.jvm)")), left.latenessCauses().method());
            long cycles = left.cycles();
            assertTrue(Poll.until(2_000, () -> left.cycles() > cycles + 500), "the loops run on");
        } finally {
            recorder.start();
        }
        assertTrue(Poll.until(20_000, () -> left.latenessCauses().method().contains("matched by time")), left.latenessCauses().method());
    }

    @Test
    void theLoopsCanHaveACpuOfTheirOwnKeptAwakeByTheIdlePoller() throws Exception {
        java.nio.file.Path cfg = robot.configDir().resolve("armature.control.engine.cfg");
        String original = java.nio.file.Files.readString(cfg);
        try {
            java.nio.file.Files.writeString(cfg, original.replace("cpu=-1", "cpu=1").replace("idlePoller=false", "idlePoller=true"));
            assertTrue(Poll.until(10_000, () -> robot.gogo("robot:syscheck").contains("polling CPU 1 in SCHED_IDLE")), robot.gogo("robot:syscheck"));
            String syscheck = robot.gogo("robot:syscheck");
            assertTrue(syscheck.matches("(?s).*real-time CPU\\s+ok\\s+loop threads on CPU 1; the JVM's other threads run on CPU 0.*"), syscheck);
            assertTrue(Poll.until(10_000, () -> "1".equals(affinity("armature-loops"))), "the loops' thread on CPU 1: " + affinity("armature-loops"));
            assertEquals("1", affinity("armature-idle-poller-cpu1"));
            assertEquals("0", affinity("armature-safety"), "the supervisor kept off CPU 1");
            // a thread started afterwards, anywhere in the JVM, stays off it too
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            Thread later = new Thread(() -> awaitQuietly(done), "armature-probe");
            later.start();
            try {
                assertEquals("0", affinity("armature-probe"), "a thread started later kept off CPU 1");
            } finally {
                done.countDown();
            }

            // a CPU that is not there is refused with a line naming it; nothing runs where it was not meant to
            int mark = robot.console().length();
            java.nio.file.Files.writeString(cfg, original.replace("cpu=-1", "cpu=77"));
            assertTrue(Poll.until(10_000, () -> robot.console().substring(mark).contains("cpu 77 is not online here (online: 0-1)")),
                    robot.console().substring(mark));
        } finally {
            java.nio.file.Files.writeString(cfg, original);
        }
        assertTrue(Poll.until(10_000, () -> robot.gogo("robot:syscheck").contains("the kernel places the loop threads")), robot.gogo("robot:syscheck"));
        assertTrue(Poll.until(10_000, () -> "0-1".equals(affinity("armature-safety"))), "every CPU given back: " + affinity("armature-safety"));
        // both wheel loops run again, with their priority, before the next test looks at them
        assertTrue(Poll.until(10_000, () -> scheduling("armature-loops").size() == 1 && robot.gogo("robot:loops").matches(
                "(?s).*\\nleft .*(SCHED_FIFO|normal).*\\nright .*(SCHED_FIFO|normal).*")), robot.gogo("robot:loops"));
    }

    @Test
    void bothWheelLoopsRunOnOneRealTimeThreadInNameOrderAndALoopWhoseRateDoesNotFitGetsItsOwn() throws Exception {
        assertTrue(Poll.until(10_000, () -> robot.gogo("robot:loops").contains("\nthread armature-loops: left, right")), robot.gogo("robot:loops"));
        assertEquals(1, scheduling("armature-loops").size(), "one thread runs both loops");
        assertEquals(0, scheduling("armature-loop-").size(), "no thread of a loop's own");
        int mark = robot.console().length();
        // 500 Hz is every second tick of the wheels' 1 kHz thread; 300 Hz is no whole number of ticks
        ServiceRegistration<?> half = LoopBenchmark.registerEmptyLoop(robot, "half", 500);
        ServiceRegistration<?> odd = LoopBenchmark.registerEmptyLoop(robot, "odd", 300);
        try {
            assertTrue(Poll.until(10_000, () -> robot.gogo("robot:loops").contains("\nthread armature-loop-odd: odd\nthread armature-loops: half, left, right")),
                    robot.gogo("robot:loops"));
            assertTrue(robot.console().substring(mark).contains("loop 'odd' runs on a thread of its own: its period of 3333.3 µs is not a whole "
                    + "multiple of the armature-loops thread's 1000.0 µs"), robot.console().substring(mark));
            assertEquals(1, scheduling("armature-loop-").size(), "the 300 Hz loop's own thread");
            LoopStatistics halfStats = robot.service(LoopStatistics.class, "(armature.loop.name=half)", 5_000);
            LoopStatistics left = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 5_000);
            long leftBefore = left.cycles() + left.overruns();
            long halfBefore = halfStats.cycles() + halfStats.overruns();
            Thread.sleep(1000);
            long leftRan = left.cycles() + left.overruns() - leftBefore;
            long halfRan = halfStats.cycles() + halfStats.overruns() - halfBefore;
            assertTrue(Math.abs(leftRan - 2 * halfRan) <= 6, "the 500 Hz loop's deadlines are every second one of the 1 kHz loop's: " + halfRan
                    + " and " + leftRan);
        } finally {
            odd.unregister();
            half.unregister();
        }
        assertTrue(Poll.until(10_000, () -> scheduling("armature-loop-").isEmpty() && robot.gogo("robot:loops").endsWith("\nthread armature-loops: left, right")),
                "the loop's own thread ends with it: " + robot.gogo("robot:loops"));
    }

    private static void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the CPUs the first thread of this JVM named so may run on, from the kernel; null when there is no such thread */
    private static String affinity(String threadName) {
        for (java.io.File task : tasks(threadName)) {
            try {
                for (String line : readProc(task.getPath() + "/status").split("\n")) {
                    if (line.startsWith("Cpus_allowed_list:")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (Exception threadEnded) {
                // gone between the listing and the read
            }
        }
        return null;
    }

    @Test
    void syscheckNamesEachRealTimeSetting() throws Exception {
        String report = robot.gogo("robot:syscheck");
        for (String setting : new String[] {"kernel preemption", "isolated CPUs", "nohz_full CPUs", "sched_rt_runtime_us", "real-time CPU",
                "cpuidle driver", "CPU wake-up latency", "idle poller", "vm.swappiness", "CPU frequency governor", "SCHED_FIFO allowed",
                "garbage collector"}) {
            assertTrue(report.contains(setting), setting + " in\n" + report);
        }
        // the value the kernel has, read whole (procfs files report a misleading size)
        assertTrue(report.matches("(?s).*sched_rt_runtime_us\\s+\\S+\\s+" + Pattern.quote(readProc("/proc/sys/kernel/sched_rt_runtime_us")) + "\\s.*"), report);
    }

    private static String readProc(String path) throws Exception {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(path))) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        }
    }
}
