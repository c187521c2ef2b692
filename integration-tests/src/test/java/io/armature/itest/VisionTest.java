package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.FrameworkWiring;

import io.armature.simulation.GroundTruthPose;

/**
 * Vision on the sim-rover feature in a real Felix: the synthetic camera renders the simulated
 * world from the rover's pose, the ArUco and line pipelines run on it, {@code robot:follow marker 7}
 * drives the rover to the marker on the wheel loops, and the OpenCV bundle survives ten
 * stop/start/refresh cycles without leaving anything in the temporary directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VisionTest {

    private static final double MARKER_7_X = 2.5;
    private static final double MARKER_7_Y = 0.6;
    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        // vision is opt-in on the sim-rover: turn on the example configuration, as the README says
        robot = FeatureRuntime.startReady("sim-rover", java.util.Map.of(), configDir -> {
            try (Stream<Path> files = Files.list(configDir)) {
                for (Path f : (Iterable<Path>) files.filter(f -> f.getFileName().toString().matches("armature\\.vision\\..*\\.cfg\\.example"))::iterator) {
                    Files.move(f, f.resolveSibling(f.getFileName().toString().replace(".cfg.example", ".cfg")));
                }
            }
        });
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    private static long processed(String vision, String pipeline) {
        Matcher m = Pattern.compile("(?m)^  " + pipeline + " .* processed (\\d+)").matcher(vision);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    @Order(1)
    void robotVisionListsTheCameraAndThePipelinesAtWork() throws Exception {
        assertTrue(Poll.until(15_000, () -> processed(robot.gogo("robot:vision"), "markers") > 20), robot.gogo("robot:vision"));
        String vision = robot.gogo("robot:vision");
        assertTrue(vision.contains("  front      synthetic 640x480"), vision);
        assertTrue(Pattern.compile("(?m)^  markers +aruco  on front .* latest: #\\d+ id 7 ").matcher(vision).find(),
                "marker 7 is ahead and to the left at start:\n" + vision);
        assertTrue(Pattern.compile("(?m)^  line +line   on front .* latest: #\\d+ id -1 value -?0\\.0\\d").matcher(vision).find(),
                "on the line, heading along it: a heading error near 0:\n" + vision);
        Matcher fps = Pattern.compile("(?m)^  markers .*? ([\\d.]+) fps  latency +([\\d.]+) ms").matcher(vision);
        assertTrue(fps.find(), vision);
        assertTrue(Double.parseDouble(fps.group(1)) > 3, "frames per second of the marker pipeline (10 nominal): " + fps.group(1));
    }

    @Test
    @Order(2)
    void followMarkerDrivesTheRoverToTheMarker() throws Exception {
        GroundTruthPose pose = robot.service(GroundTruthPose.class, null, 5_000);
        double[] p = new double[3];
        pose.read(p);
        double startRange = Math.hypot(MARKER_7_X - p[0], MARKER_7_Y - p[1]);
        assertEquals("following marker 7", robot.gogo("robot:follow marker 7"));
        assertTrue(Poll.until(60_000, () -> robot.gogo("robot:follow").startsWith("arrived")),
                "the rover arrives: " + robot.gogo("robot:follow") + "\n" + robot.gogo("robot:vision"));
        pose.read(p);
        double range = Math.hypot(MARKER_7_X - p[0], MARKER_7_Y - p[1]);
        // it stops when the camera, 0.08 m ahead of the rover's centre, sees the marker 0.4 m away
        assertTrue(range > 0.35 && range < 0.65, "rover centre " + range + " m from the marker (from " + startRange + " m)");
        Thread.sleep(1500);
        double[] later = new double[3];
        pose.read(later);
        assertTrue(Math.hypot(later[0] - p[0], later[1] - p[1]) < 0.05, "the wheels stopped after arriving");
    }

    @Test
    @Order(3)
    void badFollowCommandsChangeNothing() throws Exception {
        assertEquals("gogo: IllegalArgumentException: marker id must be 0 or more, was -1", robot.gogo("robot:follow marker -1"));
        assertEquals("gogo: IllegalArgumentException: usage: robot:follow marker <id> | robot:follow line | robot:follow stop | robot:follow",
                robot.gogo("robot:follow line 3"));
        assertTrue(robot.gogo("robot:follow").startsWith("arrived"), robot.gogo("robot:follow"));
        assertEquals("stopped", robot.gogo("robot:follow stop"));
        assertTrue(robot.gogo("robot:follow").startsWith("idle"), robot.gogo("robot:follow"));
    }

    @Test
    @Order(4)
    void openCvStartsAgainWhenTheFrameworkRestartsInTheSameJvm() throws Exception {
        // a class of the running framework's OpenCV keeps its class loader, and the library it
        // loaded, alive across the restart: the new framework's copy gets the same cache path
        Class<?> held = robot.bundle("armature.opencv").loadClass("org.opencv.core.Core");
        robot.restart();
        assertTrue(Poll.until(30_000, () -> robot.bundle("armature.opencv").getState() == Bundle.ACTIVE), robot.console());
        assertMarkerPipelineRuns("after the restart");
        assertTrue(robot.console().lines().noneMatch(l -> l.contains("already loaded in another classloader")), robot.console());
        assertTrue(held.getClassLoader() != robot.bundle("armature.opencv").loadClass("org.opencv.core.Core").getClassLoader(),
                "the restarted framework has its own OpenCV class loader");
    }

    @Test
    @Order(5)
    void openCvSurvivesTenStopStartRefreshCyclesLeavingNothingInTemp() throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Set<String> before = openCvEntries(tmp);
        Bundle opencv = robot.bundle("armature.opencv");
        FrameworkWiring wiring = robot.framework().adapt(FrameworkWiring.class);
        for (int cycle = 0; cycle < 10; cycle++) {
            opencv.stop();
            opencv.start();
            CountDownLatch refreshed = new CountDownLatch(1);
            wiring.refreshBundles(List.of(opencv), e -> refreshed.countDown());
            assertTrue(refreshed.await(30, TimeUnit.SECONDS), "refresh " + cycle + " finished");
            assertEquals(Bundle.ACTIVE, opencv.getState(), "armature.opencv active after cycle " + cycle);
            System.gc(); // lets the previous class loader, and with it its copy of the library, go
        }
        assertMarkerPipelineRuns("after the cycles");
        Set<String> after = openCvEntries(tmp);
        after.removeAll(before);
        assertEquals(Set.of(), after, "new OpenCV files or directories in " + tmp);
        long cache;
        try (Stream<Path> files = Files.walk(robot.configDir().getParent().resolve("storage"))) {
            cache = files.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().startsWith("libopencv_java"))
                    .count();
        }
        long mapped;
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            mapped = maps.filter(l -> l.endsWith("/libopencv_java490.so")).map(l -> l.substring(l.indexOf('/'))).distinct().count();
        }
        System.out.println("OpenCV native library copies after 10 cycles: " + cache + " in the framework's bundle cache, "
                + mapped + " mapped by this JVM (Felix alone would keep 11)");
        assertTrue(cache < 11, "unused copies of the library are removed from the bundle cache, " + cache + " left");
        assertTrue(robot.console().lines().noneMatch(l -> l.contains("already loaded in another classloader")), robot.console());
    }

    @Test
    @Order(6)
    void theMarkerPipelineAllocatesNothingPerFrameInTheFramework() throws Exception {
        assertMarkerPipelineRuns("before measuring");
        assertTrue(robot.console().lines().noneMatch(l -> l.contains("this OpenCV build lacks")),
                "the pipelines found the binding's native entry points:\n" + robot.console());
        Thread.sleep(3000); // warm-up: the classes are new since the last refresh
        long id = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("armature-vision-markers") && t.isAlive())
                .findFirst().orElseThrow(() -> new AssertionError("no marker pipeline thread")).getId();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long frames0 = processed(robot.gogo("robot:vision"), "markers");
        long[] bytes = new long[5];
        for (int i = 0; i < bytes.length; i++) {
            long before = mx.getThreadAllocatedBytes(id);
            Thread.sleep(1000);
            bytes[i] = mx.getThreadAllocatedBytes(id) - before;
        }
        String vision = robot.gogo("robot:vision");
        long frames = processed(vision, "markers") - frames0;
        long[] sorted = bytes.clone();
        java.util.Arrays.sort(sorted);
        System.out.println("marker pipeline in the framework: " + frames + " frames, bytes per 1 s slice " + java.util.Arrays.toString(bytes));
        assertTrue(frames > 10, "frames processed while measuring: " + frames);
        assertTrue(Pattern.compile("(?m)^  markers .* latest: #\\d+ id 7 ").matcher(vision).find(), "marker 7 in view:\n" + vision);
        assertEquals(0, sorted[bytes.length / 2], "median bytes allocated a slice on the marker pipeline thread: " + java.util.Arrays.toString(bytes));
    }

    @Test
    @Order(7)
    void followLineSteersBackOntoTheLineByItsHeadingErrorAndStopsAtItsEnd() throws Exception {
        GroundTruthPose pose = robot.service(GroundTruthPose.class, null, 5_000);
        double[] p = new double[3];
        pose.read(p);
        double startHeading = p[2];
        // turn in place about 25 degrees to the left of the line, which runs along x from 0.3 to 4 m
        robot.gogo("robot:setpoint left -2");
        robot.gogo("robot:setpoint right 2");
        assertTrue(Poll.until(5_000, () -> {
            pose.read(p);
            return p[2] - startHeading > Math.toRadians(25);
        }), "turned in place: " + Math.toDegrees(p[2]));
        robot.gogo("robot:setpoint left 0");
        robot.gogo("robot:setpoint right 0");
        Thread.sleep(500);
        // the shell outranks the follower: it lets go of the wheels, or the follower's commands are held
        assertEquals("released: the shell commands no loop now", robot.gogo("robot:release"));

        assertEquals("following the line", robot.gogo("robot:follow line"));
        double worstOffset = 0;
        double worstHeading = 0;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!robot.gogo("robot:follow").startsWith("lost") && System.nanoTime() < deadline) {
            pose.read(p);
            if (p[0] > 1.5 && p[0] < 3.0) { // well after the turn back onto the line
                worstOffset = Math.max(worstOffset, Math.abs(p[1]));
                worstHeading = Math.max(worstHeading, Math.abs(Math.IEEEremainder(p[2], 2 * Math.PI)));
            }
            Thread.sleep(50);
        }
        String status = robot.gogo("robot:follow");
        pose.read(p);
        System.out.printf(java.util.Locale.ROOT, "line following: stopped at x %.2f m, y %.3f m; from x 1.5 to 3 m at most %.3f m off the line, "
                + "%.1f degrees off its heading; %s%n", p[0], p[1], worstOffset, Math.toDegrees(worstHeading), status);
        assertTrue(status.startsWith("lost (line): the line ended"), status);
        assertTrue(p[0] > 3.0 && p[0] < 4.3, "stopped where the line ends (4 m): x " + p[0]);
        assertTrue(worstOffset < 0.05, "on the line from 1.5 to 3 m: at most " + worstOffset + " m off");
        assertTrue(worstHeading < Math.toRadians(6), "along the line: at most " + Math.toDegrees(worstHeading) + " degrees off");
        double[] later = new double[3];
        Thread.sleep(1500);
        pose.read(later);
        assertTrue(Math.hypot(later[0] - p[0], later[1] - p[1]) < 0.03, "the wheels stopped at the end of the line");
    }

    private static void assertMarkerPipelineRuns(String when) throws Exception {
        long[] last = {-1};
        assertTrue(Poll.until(20_000, () -> {
            long n = processed(robot.gogo("robot:vision"), "markers");
            boolean moving = last[0] >= 0 && n > last[0];
            last[0] = n;
            return moving;
        }), "the marker pipeline processes frames " + when + ":\n" + robot.gogo("robot:vision") + "\n" + robot.console());
    }

    private static Set<String> openCvEntries(Path tmp) throws IOException {
        try (Stream<Path> entries = Files.list(tmp)) {
            return entries.map(e -> e.getFileName().toString()).filter(n -> n.toLowerCase().contains("opencv")).collect(Collectors.toSet());
        }
    }
}
