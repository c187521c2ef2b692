package io.armature.itest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Start-up benchmark: time from JVM launch to "ready" (every bundle active, no component
 * unsatisfied) for the sim-rover feature jar, against the same for a bare Felix + SCR + one
 * component bundle ({@code bare-felix.jar}) measured in the same run. Runs are interleaved
 * (bare, rover, bare, rover...) so machine noise hits both alike, and the figure is the median
 * of the per-pair ratios. Prints figures; asserts nothing (this machine is shared and noisy).
 *
 * <p>Then what each bundle costs at start, in process: the time from a bundle's STARTING event to
 * the next bundle's (its activator, and the components SCR activates while the framework's
 * start-level thread waits), the last one's up to the ready line; the median of three starts,
 * the most costly first.
 *
 * <p>Arguments: sim-rover jar, bare jar, the sim-rover runtime-config directory[, pairs].
 */
public final class StartupBenchmark {

    private static final String READY = " ready: ";

    public static void main(String[] args) throws Exception {
        Path rover = Path.of(args[0]);
        Path bare = Path.of(args[1]);
        Path config = Path.of(args[2]);
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 9;

        Path work = Files.createTempDirectory("armature-startup-");
        Path roverConfig = Files.createDirectories(work.resolve("runtime-config/sim-rover"));
        try (Stream<Path> files = Files.list(config)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, roverConfig.resolve(f.getFileName()));
            }
        }

        // one warm-up of each: page cache, JIT of nothing shared, but the OS caches the jars
        measure(bare, work);
        measure(rover, work);

        List<Double> bareMs = new ArrayList<>();
        List<Double> roverMs = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            double b = measure(bare, work);
            double r = measure(rover, work);
            bareMs.add(b);
            roverMs.add(r);
            ratios.add(r / b);
            System.out.printf(Locale.ROOT, "pair %2d: bare %6.0f ms, sim-rover %6.0f ms, ratio %.2f%n", i + 1, b, r, r / b);
        }
        System.out.printf(Locale.ROOT, "start-up, JVM launch to all components active, median of %d interleaved pairs:%n", pairs);
        System.out.printf(Locale.ROOT, "  bare Felix + SCR + one component: %6.0f ms%n", median(bareMs));
        System.out.printf(Locale.ROOT, "  sim-rover:                        %6.0f ms%n", median(roverMs));
        System.out.printf(Locale.ROOT, "  ratio sim-rover / bare:           %6.2f  (target <= 3.00)%n", median(ratios));
        bundleCosts(3);
    }

    /** Prints what each bundle of sim-rover costs at start, in process, median of {@code runs} starts. */
    static void bundleCosts(int runs) throws Exception {
        Map<String, List<Double>> costs = new java.util.LinkedHashMap<>();
        List<Double> totals = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            List<String> names = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Long> at = java.util.Collections.synchronizedList(new ArrayList<>());
            org.osgi.framework.SynchronousBundleListener watcher = e -> {
                if (e.getType() == org.osgi.framework.BundleEvent.STARTING) {
                    at.add(System.nanoTime());
                    names.add(e.getBundle().getSymbolicName());
                }
            };
            long start = System.nanoTime();
            try (FeatureRuntime robot = FeatureRuntime.start("sim-rover", Map.of(), dir -> { }, watcher)) {
                if (!Poll.until(60_000, () -> robot.console().contains(READY))) {
                    throw new IllegalStateException("sim-rover gave no ready line in process");
                }
                long ready = System.nanoTime();
                totals.add((ready - start) / 1e6);
                for (int i = 0; i < names.size(); i++) {
                    long end = i + 1 < at.size() ? at.get(i + 1) : ready;
                    costs.computeIfAbsent(names.get(i), k -> new ArrayList<>()).add((end - at.get(i)) / 1e6);
                }
            }
        }
        System.out.printf(Locale.ROOT, "%nwhat each bundle costs at start, in process (STARTING to the next bundle's STARTING; the last to the ready line), "
                + "median of %d starts; from framework creation to ready %.0f ms. This JVM has run the framework before, so the costs are those "
                + "of a warm start, smaller than a cold one's; read their order:%n", runs, median(totals));
        costs.entrySet().stream().sorted((a, b) -> Double.compare(median(b.getValue()), median(a.getValue())))
                .forEach(e -> System.out.printf(Locale.ROOT, "  %7.1f ms  %s%n", median(e.getValue()), e.getKey()));
    }

    /** @return milliseconds from starting the JVM to its ready line */
    static double measure(Path jar, Path workDir) throws Exception {
        Path data = Files.createTempDirectory(workDir, "data-");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.osgi.service.http.port=" + freePort(),
                "-Darmature.data.dir=" + data,
                "-jar", jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("ARMATURE_CONSOLE_PASSWORD", "benchmark-only");
        long start = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close(); // stdin closed, as under a service manager
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.contains(READY)) {
                    return (System.nanoTime() - start) / 1e6;
                }
                if (line.contains("not ready")) {
                    throw new IllegalStateException(jar.getFileName() + ": " + line);
                }
            }
            throw new IllegalStateException(jar.getFileName() + " exited without a ready line");
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
