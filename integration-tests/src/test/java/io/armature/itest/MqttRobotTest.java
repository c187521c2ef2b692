package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import io.armature.control.TunableLoop;
import io.armature.motion.CommandSource;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;

/**
 * What the MQTT tests share: a temporary directory, a mosquitto broker, the sim-rover with MQTT
 * enabled (in this JVM or its own), and their orderly stop after each test.
 */
abstract class MqttRobotTest {

    static final String CFG = "armature.telemetry.mqtt.cfg";

    /** The sim-rover's wheel loops run at 1 kHz. */
    static final double LOOP_PERIOD_MILLIS = 1.0;

    /**
     * How much later than its lease an MQTT setpoint may be seen at 0: a few loop periods, and
     * what a shared two-core machine adds to the watching thread's wake-ups.
     */
    static final double LAPSE_SLACK_MILLIS = 10 * LOOP_PERIOD_MILLIS + 40;

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

    /** @return the lease of the motion source {@code mqtt}, in ms, as the robot's armature.motion configures it */
    static long mqttLeaseMillis(MotionCommands motion) {
        CommandSource mqtt = motion.sources().stream().filter(s -> s.name().equals("mqtt")).findFirst()
                .orElseThrow(() -> new AssertionError("armature.motion has no source mqtt: " + motion.sources()));
        assertTrue(mqtt.leased(), "the mqtt source is leased: " + mqtt);
        return mqtt.leaseMillis();
    }

    /** @return a fleet-side MQTT client of the broker (Paho, QoS 1 publishes that return once the broker has them), closed after the robot */
    MqttClient fleetClient() throws Exception {
        MqttClient c = new MqttClient(broker.uri(), "fleet-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        c.connect(o);
        clients.add(() -> {
            if (c.isConnected()) {
                c.disconnectForcibly(0, 500);
            }
            c.close();
        });
        return c;
    }

    static void publish(MqttClient c, String topic, String payload) throws Exception {
        c.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
    }

    /** Something a test sends. */
    interface Send {
        void run() throws Exception;
    }

    /**
     * A command re-sent every {@code periodMillis} on a thread of its own, as a fleet host keeps a
     * robot moving, until closed; a send that fails (the broker away) is skipped.
     */
    static final class Renewal implements AutoCloseable {
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "test-renewal");
            t.setDaemon(true);
            return t;
        });
        final AtomicLong sent = new AtomicLong();

        Renewal(long periodMillis, Send send) {
            timer.scheduleAtFixedRate(() -> {
                try {
                    send.run();
                    sent.incrementAndGet();
                } catch (Exception brokerAway) {
                    // the next period tries again
                }
            }, 0, periodMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            assertTrue(timer.awaitTermination(5, TimeUnit.SECONDS), "the renewal stopped");
        }
    }

    /**
     * How a last command, not renewed, lapsed: when it was sent, when its lease ended (as the loop
     * was given it), and when its setpoint was seen at 0 (all {@link System#nanoTime()}).
     */
    record Lapse(long sentNanos, long leaseEndNanos, long zeroNanos) {

        /** @return from sending the command to the end of its lease, in ms: the lease, and the time the command took to arrive */
        double leaseMillis() {
            return (leaseEndNanos - sentNanos) / 1e6;
        }

        /** @return from the end of the lease to the setpoint 0, in ms */
        double afterLeaseMillis() {
            return (zeroNanos - leaseEndNanos) / 1e6;
        }

        /** Asserts that the setpoint went to 0 at the end of its lease, not before, and at most {@code slackMillis} after. */
        void check(long leaseMillis, double slackMillis) {
            assertTrue(leaseMillis() >= leaseMillis && leaseMillis() < leaseMillis + 2_000,
                    "the command held for the lease (" + leaseMillis + " ms) from when it arrived: " + leaseMillis() + " ms after it was sent");
            assertTrue(afterLeaseMillis() >= 0 && afterLeaseMillis() <= slackMillis,
                    "the setpoint went to 0 at the end of the lease, within " + slackMillis + " ms: " + afterLeaseMillis() + " ms after it");
        }
    }

    /**
     * Sends a last command that sets {@code loop} to {@code last} and is not renewed, and watches
     * its lease end and its setpoint go to 0.
     */
    static Lapse lapse(TunableLoop loop, double last, long leaseMillis, Send send) throws Exception {
        long sent = System.nanoTime();
        send.run();
        long leaseEnd = 0;
        long deadline = sent + 5_000_000_000L;
        while (leaseEnd == 0 && System.nanoTime() - deadline < 0) {
            double before = loop.setpoint();
            long end = loop.leaseExpiryNanos();
            if (before == last && loop.setpoint() == last) {
                leaseEnd = end; // read between two reads of the same setpoint: this command's lease
            } else {
                LockSupport.parkNanos(100_000);
            }
        }
        assertTrue(leaseEnd != 0, "the last command took effect: setpoint " + loop.setpoint());
        assertTrue(leaseEnd != Long.MAX_VALUE, "the command is leased");
        long zero = waitFor(loop, 0.0, leaseEnd + (leaseMillis + 5_000) * 1_000_000L);
        assertTrue(zero != 0, "the setpoint lapsed to 0: " + loop.setpoint());
        return new Lapse(sent, leaseEnd, zero);
    }

    /** @return when the loop's setpoint was seen at {@code value} (polled every 0.1 ms), 0 when not by the deadline */
    static long waitFor(TunableLoop loop, double value, long deadlineNanos) {
        while (System.nanoTime() - deadlineNanos < 0) {
            if (loop.setpoint() == value) {
                return System.nanoTime();
            }
            LockSupport.parkNanos(100_000);
        }
        return 0;
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
