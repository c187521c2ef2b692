package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;

/**
 * What the MQTT tests share: a temporary directory, a mosquitto broker, the sim-rover with MQTT
 * enabled (in this JVM or its own), and their orderly stop after each test.
 */
abstract class MqttRobotTest {

    static final String CFG = "armature.telemetry.mqtt.cfg";

    @TempDir
    Path dir;
    Mosquitto broker;
    FeatureRuntime robot;
    Process separateJvm;
    /** Clients of the broker, closed after the robot and before the broker. */
    final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (robot != null) {
            robot.close();
        }
        if (separateJvm != null) {
            separateJvm.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
        }
        for (AutoCloseable c : clients) {
            c.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** Writes the shipped example as the live configuration, with {@code settings} (key, value, ...) changed. */
    static void enable(Path configDir, String... settings) throws IOException {
        Path cfg = Files.copy(configDir.resolve(CFG + ".example"), configDir.resolve(CFG));
        for (int i = 0; i < settings.length; i += 2) {
            FeatureRuntime.setConfig(cfg, settings[i], settings[i + 1]);
        }
    }

    /** Starts the sim-rover in this JVM with MQTT enabled and {@code settings} changed, and waits until it is ready. */
    FeatureRuntime startRobot(String... settings) throws Exception {
        robot = FeatureRuntime.startReady("sim-rover", Map.of(), configDir -> enable(configDir, settings));
        return robot;
    }

    /** Resets the supervisor until it stays OK: on a loaded machine a sensor stall may trip it while it starts. */
    SafetySupervisor healthySupervisor() throws Exception {
        SafetySupervisor s = robot.service(SafetySupervisor.class, null, 5_000);
        assertTrue(Poll.until(15_000, () -> {
            try {
                s.reset("test");
            } catch (IllegalStateException stillUnhealthy) {
                return false;
            }
            return s.state() == SafetyState.OK;
        }), "the supervisor could be reset: " + s.tripReason());
        return s;
    }

    /**
     * Starts the built sim-rover jar in a JVM of its own, in {@code dir/robot}, with MQTT enabled
     * and {@code settings} (key, value, ...) changed; its console goes to {@code output}.
     */
    Process startSeparateJvm(StringBuffer output, String... settings) throws IOException {
        Path cwd = Files.createDirectories(dir.resolve("robot"));
        Path config = Files.createDirectories(cwd.resolve("runtime-config/sim-rover"));
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("armature.runtime-config.dir", "../runtime-config"), "sim-rover"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, config.resolve(f.getFileName()));
            }
        }
        enable(config, settings);
        Path jar = Path.of(System.getProperty("armature.features.dir", "../features/target"), "sim-rover.jar").toAbsolutePath();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.osgi.service.http.port=0", "-jar", jar.toString()).directory(cwd.toFile()).redirectErrorStream(true).start();
        ProcessOutput.collect(p, output, "sim-rover-output");
        return p;
    }
}
