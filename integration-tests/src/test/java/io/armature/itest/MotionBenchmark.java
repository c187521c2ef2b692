package io.armature.itest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.Bundle;

import io.armature.control.TunableLoop;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;

/**
 * The figures of the motion-authority rules, in the running sim-rover: e-stop to PWM 0 per
 * source, lease lapse to a setpoint of 0 and to a braked wheel, and the control bundle stopping
 * to safe outputs. The reference, measured in the same run and interleaved trial by trial, is the
 * supervisor's own {@code estop} called directly: the floor every e-stop path stands on (a bare
 * {@code Board.revokeMotion()} is no fair floor: it does not latch, so the running loop's write
 * in flight can land after it). Not a test: it asserts nothing and prints the figures.
 *
 * <p>What is measured: for in-process sources, how long the e-stop call takes (the outputs are
 * safe before it returns, which is checked every trial); for remote sources, the time from just
 * before the request is sent to the moment a watcher thread spinning on the PWM channel sees 0.
 */
public final class MotionBenchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int inProcessTrials = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int remoteTrials = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            SafetySupervisor safety = robot.healthySupervisor();
            MotionCommands commands = robot.service(MotionCommands.class, null, 10_000);
            PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 10_000);
            DigitalOutput brake = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 10_000);
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            String password = robot.consolePassword();
            String api = "http://127.0.0.1:" + robot.httpPort() + "/armature/api/";
            String token = csrf(api, password);
            Runnable drive = () -> {
                awaitReset(commands, safety);
                commands.setpoint("gogo", "left", 12);
                spinUntil(() -> pwm.duty() > 0 && !brake.get(), "the left wheel is driven");
            };
            System.out.printf(Locale.ROOT, "motion benchmark: sim-rover, loop period 1000 us, %d in-process and %d remote trials per source%n",
                    inProcessTrials, remoteTrials);

            long[] reference = new long[inProcessTrials];
            long[] gogo = new long[inProcessTrials];
            long[] direct = new long[inProcessTrials];
            for (int i = 0; i < inProcessTrials; i++) {
                // interleaved: the floor, the command path's API, and the shell, one after the other
                drive.run();
                long t0 = System.nanoTime();
                safety.estop("benchmark", "reference trial " + i);
                reference[i] = System.nanoTime() - t0;
                check(pwm, "SafetySupervisor.estop");
                drive.run();
                t0 = System.nanoTime();
                commands.estop("follower", "trial " + i);
                direct[i] = System.nanoTime() - t0;
                check(pwm, "MotionCommands.estop");
                drive.run();
                t0 = System.nanoTime();
                robot.gogo("robot:estop trial " + i);
                gogo[i] = System.nanoTime() - t0;
                check(pwm, "robot:estop");
            }
            print("SafetySupervisor.estop, bypassing the command path (reference)", reference, null);
            print("MotionCommands.estop (in-process: follower, vision)", direct, reference);
            print("robot:estop (Gogo)", gogo, reference);

            long[] rest = new long[remoteTrials];
            for (int i = 0; i < remoteTrials; i++) {
                drive.run();
                SafeWatch w = new SafeWatch(pwm, brake);
                long t0 = System.nanoTime();
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(api + "estop")).header("Authorization", basic(password))
                        .header("X-Armature-CSRF", token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"trial " + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
                check(pwm, "the REST e-stop's reply"); // safe by the time the reply is here
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("REST e-stop answered " + r.statusCode() + ": " + r.body());
                }
                // when the watcher saw it: an upper bound, as the watcher may itself wait for a CPU
                rest[i] = w.safeAfter(t0);
            }
            print("REST POST estop (HTTP on 127.0.0.1), to PWM 0", rest, reference);

            for (String source : new String[] {"rosbridge", "mqtt"}) {
                long leaseMillis = commands.sources().stream().filter(s -> s.name().equals(source)).findFirst().orElseThrow().leaseMillis();
                long[] toZero = new long[remoteTrials / 4];
                long[] toBraked = new long[toZero.length];
                for (int i = 0; i < toZero.length; i++) {
                    awaitReset(commands, safety);
                    commands.release("gogo");
                    long last = 0;
                    for (int k = 0; k < 4; k++) { // a stream of commands, then silence
                        last = System.nanoTime();
                        commands.setpoint(source, "left", 12);
                        Thread.sleep(leaseMillis / 4);
                    }
                    long expiry = last + leaseMillis * 1_000_000L;
                    long zeroAt = waitFor(() -> profiled(left) == 0.0 ? System.nanoTime() : 0);
                    long brakedAt = waitFor(() -> pwm.duty() == 0 && brake.get() ? System.nanoTime() : 0);
                    toZero[i] = Math.max(0, zeroAt - expiry);
                    toBraked[i] = Math.max(0, brakedAt - expiry);
                }
                print(source + " lease " + leaseMillis + " ms lapsed -> setpoint in force 0", toZero, null);
                print(source + " lease lapsed -> wheel stopped and braked (includes the deceleration)", toBraked, null);
            }

            Bundle control = robot.bundle("armature.control");
            long[] stop = new long[remoteTrials];
            for (int i = 0; i < stop.length; i++) {
                if (control.getState() != Bundle.ACTIVE) {
                    control.start();
                }
                MotionCommands c = robot.service(MotionCommands.class, null, 10_000);
                awaitReset(c, safety);
                c.setpoint("gogo", "left", 12);
                spinUntil(() -> pwm.duty() > 0 && !brake.get(), "driven");
                SafeWatch w = new SafeWatch(pwm, brake);
                long t0 = System.nanoTime();
                control.stop();
                stop[i] = w.safeAfter(t0);
            }
            control.start();
            print("armature.control stopped mid-loop -> PWM 0 and brake on", stop, null);
        }
    }

    /** The loop's setpoint after its lease and profile, rad/s: what it drives toward in this cycle. */
    private static double profiled(TunableLoop loop) {
        try {
            return (double) loop.getClass().getMethod("profiledSetpoint").invoke(loop);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the wheel loop no longer tells its profiled setpoint: " + e);
        }
    }

    /** Resets (as the shell would) until the supervisor stays OK; on a loaded machine a stall may trip it. */
    private static void awaitReset(MotionCommands commands, SafetySupervisor safety) {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!safety.mayMove()) {
            try {
                commands.reset("gogo");
            } catch (IllegalStateException stillUnhealthy) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no reset within 15 s: " + stillUnhealthy.getMessage());
                }
                Thread.onSpinWait();
            }
        }
    }

    private static void spinUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within 10 s: " + what);
            }
            Thread.onSpinWait();
        }
    }

    /** @return the first non-zero value the supplier gives, polled by spinning; within 10 s */
    private static long waitFor(LongSupplier at) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long t;
        while ((t = at.getAsLong()) == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not within 10 s");
            }
            Thread.onSpinWait();
        }
        return t;
    }

    private static void check(PwmOutput pwm, String what) {
        if (pwm.duty() != 0) {
            throw new IllegalStateException(what + " returned with PWM " + pwm.duty());
        }
    }

    private static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String csrf(String api, String password) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(api + "csrf")).header("Authorization", basic(password)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        if (!m.find()) {
            throw new IllegalStateException("no CSRF token in " + r.body());
        }
        return m.group(1);
    }

    /** p50, p99, max in us; with a reference, the ratio of the p99s. */
    private static void print(String what, long[] nanos, long[] reference) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        String ratio = "";
        if (reference != null) {
            long[] ref = reference.clone();
            Arrays.sort(ref);
            ratio = String.format(Locale.ROOT, ", p99 %.1fx the reference's", (double) percentile(sorted, 99) / Math.max(1, percentile(ref, 99)));
        }
        System.out.printf(Locale.ROOT, "%-82s p50 %9.1f us  p99 %9.1f us  max %9.1f us  (%d trials; p99 %.2f loop periods%s)%n", what,
                percentile(sorted, 50) / 1e3, percentile(sorted, 99) / 1e3, sorted[sorted.length - 1] / 1e3, sorted.length,
                percentile(sorted, 99) / 1e6, ratio);
    }

    private static long percentile(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p / 100.0) - 1)];
    }

    /** Spins on the left motor's channels and records when it first sees them safe. */
    private static final class SafeWatch {
        private final AtomicLong safeAt = new AtomicLong();
        private final Thread thread;

        SafeWatch(PwmOutput pwm, DigitalOutput brake) throws InterruptedException {
            java.util.concurrent.CountDownLatch spinning = new java.util.concurrent.CountDownLatch(1);
            thread = new Thread(() -> {
                spinning.countDown();
                while (pwm.duty() != 0 || !brake.get()) {
                    Thread.onSpinWait();
                }
                safeAt.set(System.nanoTime());
            }, "safe-watch");
            thread.setDaemon(true);
            thread.start();
            spinning.await();
        }

        long safeAfter(long t0) throws InterruptedException {
            thread.join(10_000);
            if (safeAt.get() == 0) {
                throw new IllegalStateException("the motor never went safe");
            }
            return Math.max(0, safeAt.get() - t0);
        }
    }
}
