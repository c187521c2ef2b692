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
 * component bundle ({@code bare-felix.jar}) measured in the same run. sim-rover starts plain,
 * and as scripts/start.sh starts it, with a class-data archive of its start-up (the bare
 * framework has none); each under the same collector as the bare framework it is compared
 * with: G1, the JVM's default, and ZGC, the robot's. Starts are interleaved in rounds so
 * machine noise hits all alike, and each figure is the median of the per-round ratios. Prints
 * figures; asserts nothing (this machine is shared and noisy).
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

        // sim-rover as scripts/start.sh starts it: with a class-data archive of its start-up, made
        // once by a start that stops when ready; with G1 (the JVM's default) and with ZGC (the
        // robot's), each compared with the bare framework under the same collector
        Path g1Archive = train(rover, work, "-XX:+UseG1GC");
        Path zgcArchive = train(rover, work, "-XX:+UseZGC");
        List<Start> starts = List.of(new Start("bare, G1", bare, List.of("-XX:+UseG1GC")),
                new Start("sim-rover, G1", rover, List.of("-XX:+UseG1GC")),
                new Start("sim-rover, G1, archive", rover, List.of("-XX:+UseG1GC", "-XX:SharedArchiveFile=" + g1Archive)),
                new Start("bare, ZGC", bare, List.of("-XX:+UseZGC")),
                new Start("sim-rover, ZGC, archive", rover, List.of("-XX:+UseZGC", "-XX:SharedArchiveFile=" + zgcArchive)));
        // one warm-up of each: page cache, JIT of nothing shared, but the OS caches the jars
        for (Start start : starts) {
            measure(start.jar(), work, start.options());
        }
        List<List<Double>> ms = new ArrayList<>();
        starts.forEach(x -> ms.add(new ArrayList<>()));
        List<Double> plain = new ArrayList<>();
        List<Double> archived = new ArrayList<>();
        List<Double> zgc = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d:", i + 1));
            double[] t = new double[starts.size()];
            for (int k = 0; k < starts.size(); k++) {
                t[k] = measure(starts.get(k).jar(), work, starts.get(k).options());
                ms.get(k).add(t[k]);
                line.append(String.format(Locale.ROOT, " %s %.0f ms;", starts.get(k).label(), t[k]));
            }
            plain.add(t[1] / t[0]);
            archived.add(t[2] / t[0]);
            zgc.add(t[4] / t[3]);
            System.out.println(line);
        }
        System.out.printf(Locale.ROOT, "start-up, JVM launch to all components active, median of %d interleaved rounds:%n", pairs);
        for (int k = 0; k < starts.size(); k++) {
            System.out.printf(Locale.ROOT, "  %-26s %6.0f ms%n", starts.get(k).label() + ":", median(ms.get(k)));
        }
        System.out.printf(Locale.ROOT, "  ratio sim-rover / bare, G1, no archive:        %5.2f%n", median(plain));
        System.out.printf(Locale.ROOT, "  ratio sim-rover with its archive / bare, G1:   %5.2f  (target <= 3.00; the bare framework has no archive)%n",
                median(archived));
        System.out.printf(Locale.ROOT, "  ratio sim-rover with its archive / bare, ZGC:  %5.2f  (as scripts/start.sh starts a robot)%n", median(zgc));
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

    /** One way of starting: a jar and the JVM options it gets. */
    private record Start(String label, Path jar, List<String> options) {
    }

    /**
     * Makes a class-data archive of {@code jar}'s start-up, as scripts/start.sh does: a start
     * that stops once ready, dumping the classes it loaded at exit.
     */
    static Path train(Path jar, Path workDir, String collector) throws Exception {
        Path archive = workDir.resolve(jar.getFileName() + collector.replaceAll("\\W", "") + ".jsa");
        Path data = Files.createTempDirectory(workDir, "training-");
        List<String> cmd = List.of(java(), collector, "-XX:ArchiveClassesAtExit=" + archive, "-Darmature.exitWhenReady=true",
                "-Dorg.osgi.service.http.port=0", "-Darmature.data.dir=" + data, "-jar", jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(data.resolve("start.log").toFile());
        pb.environment().put("ARMATURE_CONSOLE_PASSWORD", "benchmark-only");
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the training start of " + jar.getFileName() + " did not end; see " + data.resolve("start.log"));
        }
        if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
            throw new IllegalStateException("no archive made by " + cmd + "; see " + data.resolve("start.log"));
        }
        return archive;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** @return milliseconds from starting the JVM to its ready line */
    static double measure(Path jar, Path workDir, List<String> options) throws Exception {
        Path data = Files.createTempDirectory(workDir, "data-");
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(options);
        cmd.addAll(List.of("-Dorg.osgi.service.http.port=" + freePort(), "-Darmature.data.dir=" + data, "-jar", jar.toString()));
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
