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
