package io.armature.itest;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * What an operator's bundle change costs a driving wheel, in the running sim-rover with the left
 * wheel at 20 rad/s: a side-by-side swap of {@code armature.control} (what the Robot page's Swap
 * and {@code POST bundles/armature.control/swap} do) against an in-place update of it (what the
 * stock Bundles page's Update or Refresh and Gogo's {@code update} do), alternated trial by trial
 * in the same run. For each: how long the motor was undriven (duty 0 or brake on, seen by a
 * thread sampling the channels) as 1 ms loop periods, the lowest wheel speed (from the encoder
 * stream, which outlives both changes), and how long the speed was below 90 % of the setpoint.
 * Not a test: it asserts nothing and prints the figures.
 */
public final class SwapBenchmark {

    private static final double SETPOINT = 20;

    /** What one trial saw. */
    private record Trial(double undrivenMillis, double minSpeed, double belowMillis, boolean tripped) {
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            robot.healthySupervisor();
            List<Path> versions = new ArrayList<>();
            for (int i = 0; i < trials; i++) {
                versions.add(robot.newVersionOf("armature.control", "0.1." + (i + 1) + ".bench")); // before the first swap moves its jar
            }
            robot.gogo("robot:setpoint left " + SETPOINT);
            @SuppressWarnings("unchecked")
            SampleStream<EncoderSample> encoder = robot.service(SampleStream.class, "(armature.stream=encoder.left)", 10_000);
            PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 10_000);
            DigitalOutput brake = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 10_000);
            SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 10_000);
            System.out.printf(Locale.ROOT, "swap benchmark: sim-rover, left wheel at %.0f rad/s, loop period 1000 us, %d trials of each, alternated%n",
                    SETPOINT, trials);
            List<Trial> swaps = new ArrayList<>();
            List<Trial> updates = new ArrayList<>();
            for (int i = 0; i < trials; i++) {
                Path jar = versions.get(i);
                swaps.add(trial(robot, encoder, pwm, brake, safety, () -> {
                    HttpResponse<String> r = Http.swap(robot.httpPort(), robot.consolePassword(), "armature.control", Files.readAllBytes(jar),
                            "application/java-archive", null);
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("swap refused: " + r.body());
                    }
                }));
                updates.add(trial(robot, encoder, pwm, brake, safety, () -> { // the running version's jar again, in place
                    try (var in = Files.newInputStream(jar)) {
                        robot.bundle("armature.control").update(in);
                    }
                }));
            }
            print("side-by-side swap (Robot page, REST)", swaps);
            print("in-place update (Bundles page Update/Refresh, Gogo update)", updates);
        }
    }

    private interface Change {
        void run() throws Exception;
    }

    private static Trial trial(FeatureRuntime robot, SampleStream<EncoderSample> encoder, PwmOutput pwm, DigitalOutput brake,
            SafetySupervisor safety, Change change) throws Exception {
        if (!Poll.until(10_000, () -> speed(encoder) > SETPOINT * 0.98)) {
            throw new IllegalStateException("the wheel is not at speed before the trial: " + robot.gogo("robot:status"));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        long[] undrivenNanos = {0};
        double[] minSpeed = {Double.MAX_VALUE};
        long[] belowNanos = {0};
        Thread sampler = new Thread(() -> {
            EncoderSample s = new EncoderSample();
            try (SampleReader<EncoderSample> reader = encoder.openLatest()) {
                long last = System.nanoTime();
                double speed = SETPOINT;
                while (running.get()) {
                    long now = System.nanoTime();
                    if (reader.poll(s) && s.valid) {
                        speed = s.velocityRadiansPerSecond;
                    }
                    if (pwm.duty() == 0 || brake.get()) {
                        undrivenNanos[0] += now - last;
                    }
                    if (speed < SETPOINT * 0.9) {
                        belowNanos[0] += now - last;
                    }
                    minSpeed[0] = Math.min(minSpeed[0], speed);
                    last = now;
                    Thread.onSpinWait();
                }
            }
        }, "swap-benchmark-sampler");
        sampler.start();
        change.run();
        Poll.until(5_000, () -> speed(encoder) > SETPOINT * 0.98);
        Thread.sleep(200);
        running.set(false);
        sampler.join();
        boolean tripped = !safety.mayMove();
        if (tripped) {
            safety.reset("benchmark");
            robot.gogo("robot:setpoint left " + SETPOINT);
        }
        return new Trial(undrivenNanos[0] / 1e6, minSpeed[0], belowNanos[0] / 1e6, tripped);
    }

    private static double speed(SampleStream<EncoderSample> encoder) {
        EncoderSample s = new EncoderSample();
        try (SampleReader<EncoderSample> r = encoder.openLatest()) {
            long end = System.nanoTime() + 50_000_000L;
            while (System.nanoTime() < end) {
                if (r.poll(s) && s.valid) {
                    return s.velocityRadiansPerSecond;
                }
                Thread.onSpinWait();
            }
        }
        return 0;
    }

    private static void print(String what, List<Trial> trials) {
        double[] undriven = trials.stream().mapToDouble(Trial::undrivenMillis).sorted().toArray();
        double[] min = trials.stream().mapToDouble(Trial::minSpeed).sorted().toArray();
        double[] below = trials.stream().mapToDouble(Trial::belowMillis).sorted().toArray();
        long trips = trials.stream().filter(Trial::tripped).count();
        System.out.printf(Locale.ROOT, "%s: undriven periods median %.0f (max %.0f); lowest speed median %.2f rad/s (worst %.2f); "
                + "below 90 %% of the setpoint median %.0f ms (max %.0f ms); trips %d of %d%n", what, median(undriven), undriven[undriven.length - 1],
                median(min), min[0], median(below), below[below.length - 1], trips, trials.size());
        System.out.println("  per trial: " + Arrays.toString(trials.stream().map(t -> String.format(Locale.ROOT, "%.0f/%.2f/%.0f",
                t.undrivenMillis(), t.minSpeed(), t.belowMillis())).toArray()) + " (undriven periods/lowest rad/s/ms below 90 %)");
    }

    private static double median(double[] sorted) {
        return sorted[sorted.length / 2];
    }
}
