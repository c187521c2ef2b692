package io.armature.itest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.opencv.core.Core;
import org.opencv.core.Mat;
import org.opencv.imgcodecs.Imgcodecs;

import io.armature.vision.internal.LinePipelineBench;

/**
 * The line pipeline on a 640x480 frame, in Java (armature.vision on the org.openpnp OpenCV
 * 4.9 build) and in C++ (the same calls against Debian's OpenCV, compiled here with g++), in
 * alternating rounds in one run: the median per-pair ratio of time per frame Java/C++, the
 * frame rates, and the bytes Java allocates per frame. One OpenCV thread each. Prints figures
 * and ratios; asserts nothing.
 */
public final class VisionBenchmark {

    private static final int PAIRS = 7;
    private static final int FRAMES_PER_ROUND = 400;

    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Path.of("target", "vision-benchmark")).toAbsolutePath();
        loadOpenCv(work);
        Core.setNumThreads(1);
        Mat frame = new Mat();
        LinePipelineBench.renderTestFrame(frame);
        Path png = work.resolve("frame.png");
        Imgcodecs.imwrite(png.toString(), frame);
        Path exe = compile(work);

        Process cpp = new ProcessBuilder(exe.toString(), png.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        PrintWriter toCpp = new PrintWriter(cpp.getOutputStream(), true, StandardCharsets.US_ASCII);
        BufferedReader fromCpp = new BufferedReader(new InputStreamReader(cpp.getInputStream(), StandardCharsets.US_ASCII));
        LinePipelineBench java = new LinePipelineBench();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();

        // warm-up: the JIT, and both sides' buffers sized
        java.run(frame, FRAMES_PER_ROUND);
        toCpp.println(FRAMES_PER_ROUND);
        String[] warm = fromCpp.readLine().split(" ");

        double[] javaNs = new double[PAIRS];
        double[] cppNs = new double[PAIRS];
        double[] bytes = new double[PAIRS];
        double javaResult = Double.NaN;
        for (int i = 0; i < PAIRS; i++) {
            long a0 = mx.getThreadAllocatedBytes(self);
            long t0 = System.nanoTime();
            javaResult = java.run(frame, FRAMES_PER_ROUND);
            long t1 = System.nanoTime();
            bytes[i] = (mx.getThreadAllocatedBytes(self) - a0) / (double) FRAMES_PER_ROUND;
            javaNs[i] = (t1 - t0) / (double) FRAMES_PER_ROUND;
            toCpp.println(FRAMES_PER_ROUND);
            String[] reply = fromCpp.readLine().split(" ");
            cppNs[i] = Long.parseLong(reply[0]) / (double) FRAMES_PER_ROUND;
            System.out.printf(Locale.ROOT, "pair %d: Java %.1f us/frame, C++ %.1f us/frame, ratio %.3f, Java %.1f bytes/frame%n",
                    i + 1, javaNs[i] / 1e3, cppNs[i] / 1e3, javaNs[i] / cppNs[i], bytes[i]);
        }
        toCpp.close();
        cpp.waitFor();

        System.out.printf(Locale.ROOT, "%nline pipeline, 640x480, %d pairs of %d frames, OpenCV %s (Java) against %s (C++)%n",
                PAIRS, FRAMES_PER_ROUND, Core.VERSION, cppVersion());
        System.out.printf(Locale.ROOT, "heading error: Java %.6f rad, C++ %s rad (the same frame)%n", javaResult, warm[1]);
        System.out.printf(Locale.ROOT, "median per-pair ratio Java/C++ (time per frame): %.3f (target <= 1.05)%n",
                StreamBenchmark.medianRatio(javaNs, cppNs));
        System.out.printf(Locale.ROOT, "frames per second, median: Java %.0f, C++ %.0f%n", 1e9 / StreamBenchmark.median(javaNs),
                1e9 / StreamBenchmark.median(cppNs));
        System.out.printf(Locale.ROOT, "Java bytes allocated per frame, median round: %.2f%n", StreamBenchmark.median(bytes));
    }

    private static Path compile(Path work) throws IOException, InterruptedException {
        Path source = Path.of("src", "test", "cpp", "line_pipeline.cpp").toAbsolutePath();
        Path exe = work.resolve("line_pipeline");
        List<String> command = new ArrayList<>(List.of("g++", "-O2", "-std=c++17", "-o", exe.toString(), source.toString()));
        command.addAll(List.of(run("pkg-config", "--cflags", "--libs", "opencv4").trim().split("\\s+")));
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("g++ failed: " + String.join(" ", command));
        }
        return exe;
    }

    private static String cppVersion() throws IOException, InterruptedException {
        return run("pkg-config", "--modversion", "opencv4").trim();
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out
                    + " (Debian's OpenCV: scripts/install-test-deps.sh vision installs libopencv-dev)");
        }
        return out;
    }

    /** The JNI library from the armature.opencv jar on the class path, copied once into target/. */
    private static void loadOpenCv(Path work) throws IOException {
        String arch = System.getProperty("os.arch").equals("aarch64") ? "ARMv8" : "x86_64";
        String resource = "nu/pattern/opencv/linux/" + arch + "/libopencv_java490.so";
        Path lib = work.resolve("libopencv_java490.so");
        try (InputStream in = VisionBenchmark.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
        }
        System.load(lib.toString());
    }
}
