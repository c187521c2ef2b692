package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.osgi.framework.Bundle;
import org.osgi.framework.launch.Framework;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.motion.CommandSource;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;

/**
 * The motion-authority rules (DESIGN: Motion authority; README: Who may drive, Safety, REST API,
 * MQTT telemetry and commands, ROS 2 tools) checked as one matrix: every invariant against every
 * interface that can command the robot, each driven as its users drive it, on one sim-rover in
 * this JVM. The shell through Gogo, the REST API over HTTP with the console's password and CSRF
 * token, MQTT (JSON and Sparkplug B) through a real mosquitto with a Paho client and Eclipse
 * Tahu, rosbridge through roslib and Foxglove through @foxglove/ws-protocol under node (one
 * long-lived node process, {@code ros-clients/conformance.mjs}), and the vision follower as
 * {@code robot:follow marker 7} (its search turn; the camera and pipelines stay off, only
 * {@code armature.vision.follow} is configured, so OpenCV is never loaded). For I2 the follower's
 * command must stop coming without a release, as when its thread hangs: the test holds the monitor
 * its 20 Hz period takes ({@link FollowerHang}).
 *
 * <ul>
 * <li>I1: a command without the right credential or rights moves nothing, and each refusal is one line.</li>
 * <li>I2: a leased command that stops coming puts the loop's setpoint in force to 0 within lease + 2 loop periods, measured
 * in the robot: from the last command's arrival (its lease end minus the lease) to the in-force setpoint (the loop's
 * profiled setpoint) seen at 0.</li>
 * <li>I3: an e-stop through the source has PWM 0 (and the brake on) by the time its call or acknowledgement returns.</li>
 * <li>I4: after a reset nothing moves until a new command (the pre-trip command's lease still running, where it has one).</li>
 * <li>I5: a source without reset rights cannot clear a trip.</li>
 * <li>I6: a latched trip survives a supervisor configuration change, a refused configuration, a supervisor bundle restart
 * and a JVM restart, and the source cannot move the wheel after any of them.</li>
 * <li>I7: a cross-origin and a foreign-Host WebSocket handshake are refused on the source's port.</li>
 * <li>I8: with the supervisor stopped nothing moves, and an e-stop still answers 200 / succeeds.</li>
 * </ul>
 *
 * Cells run source by source, I1 to I8, each from the same state (supervisor OK, every source
 * released, both wheels at rest). The matrix is printed at the end (and written to
 * {@code target/motion-authority-matrix.txt}); a FAIL cell fails its invocation, an n.a. cell is
 * reported as skipped with its reason.
 */
class MotionAuthorityConformanceTest {

    enum Source {
        GOGO("gogo", "gogo"), REST("REST", "web"), MQTT_JSON("MQTT JSON", "mqtt"), MQTT_SPB("MQTT Sparkplug B", "mqtt"),
        ROSBRIDGE("rosbridge", "rosbridge"), FOXGLOVE("Foxglove", "foxglove"), FOLLOWER("follower", "follower");

        final String label;
        final String motionSource;

        Source(String label, String motionSource) {
            this.label = label;
            this.motionSource = motionSource;
        }

        boolean hasEstop() {
            return this == GOGO || this == REST || this == MQTT_JSON || this == MQTT_SPB;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    enum Invariant {
        I1("no credential or rights: nothing moves"), I2("lease lapse: 0 within lease + 2 periods"), I3("e-stop: PWM 0 before the reply"),
        I4("reset moves nothing"), I5("no reset rights: trip stays"), I6("latched trip survives"), I7("front doors: Origin, Host"),
        I8("no supervisor: nothing moves, e-stop works");

        final String what;

        Invariant(String what) {
            this.what = what;
        }
    }

    /** One cell of the matrix. */
    record Cell(String verdict, String line) {
    }

    /** Thrown by a cell that does not apply to its source. */
    static final class NotApplicable extends RuntimeException {
        NotApplicable(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final Path CLIENTS = Path.of("ros-clients");
    private static final String NODE_ID = "sim-rover";
    private static final String MQTT_BASE = "armature/" + NODE_ID;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final Map<Source, Map<Invariant, Cell>> MATRIX = new EnumMap<>(Source.class);
    private static final List<String> MEASURED = new CopyOnWriteArrayList<>();

    private static FeatureRuntime robot;
    private static Mosquitto broker;
    private static Fleet fleet;
    private static NodeDriver node;
    private static Path work;
    private static String password;
    private static long suiteStart;
    private static int jvmRestarts;
    private static String mqttMode = "json:false";
    private static volatile Rig rig;

    /** Every cell that applies; those that cannot by the source's nature go into the matrix as n.a. with their reason. */
    static Stream<Arguments> cells() {
        List<Arguments> all = new ArrayList<>();
        for (Source s : Source.values()) {
            for (Invariant i : Invariant.values()) {
                String reason = structurallyNotApplicable(s, i);
                if (reason == null) {
                    all.add(Arguments.of(s, i));
                } else {
                    record(s, i, "n.a.", reason, System.nanoTime());
                }
            }
        }
        return all.stream();
    }

    /** @return why the invariant cannot apply to the source by its nature (no credential, no port, no e-stop), or null */
    static String structurallyNotApplicable(Source s, Invariant i) {
        return switch (i) {
            case I1 -> switch (s) {
                case GOGO -> "the local shell: in-process, no credential to present (whoever has the console has the robot)";
                case FOLLOWER -> "an in-process component: it presents no credential; the right it lacks (reset) is I5";
                default -> null;
            };
            case I3 -> switch (s) {
                case ROSBRIDGE, FOXGLOVE -> "the ROS bridge takes no e-stop: /cmd_vel is its only command";
                case FOLLOWER -> "the follower gives no e-stop: robot:follow stop only withdraws its command";
                default -> null;
            };
            case I7 -> switch (s) {
                case GOGO -> "the shell opens no network port (Gogo in-process, --nointeractive)";
                case MQTT_JSON, MQTT_SPB -> "the robot is an MQTT client: it opens no port and takes no WebSocket handshake";
                case FOLLOWER -> "an in-process component: no network port";
                default -> null;
            };
            default -> null;
        };
    }

    // ------------------------------------------------------------------ set-up

    @BeforeAll
    static void boot() throws Exception {
        suiteStart = System.nanoTime();
        assertTrue(Files.isDirectory(CLIENTS.resolve("node_modules/roslib")) && Files.isDirectory(CLIENTS.resolve("node_modules/@foxglove/ws-protocol")),
                "the ROS clients are not installed: run scripts/install-test-deps.sh (npm ci in integration-tests/ros-clients)");
        work = Files.createTempDirectory("armature-conformance-");
        broker = new Mosquitto(work, "allow_anonymous true");
        fleet = new Fleet(broker.uri());
        robot = FeatureRuntime.startReady("sim-rover", Map.of(), configDir -> {
            Path mqtt = Files.copy(configDir.resolve(MqttRobotTest.CFG + ".example"), configDir.resolve(MqttRobotTest.CFG));
            FeatureRuntime.setConfig(mqtt, "brokerUri", broker.uri());
            FeatureRuntime.setConfig(mqtt, "payloadFormat", "json");
            FeatureRuntime.setConfig(mqtt, "commandsEnabled", "false");
            FeatureRuntime.setConfig(mqtt, "statusRateHz", "20"); // the JSON status is the fleet's acknowledgement of an e-stop
            // the follower alone: no camera and no pipeline, so OpenCV never loads; robot:follow marker 7 turns in place searching
            Files.copy(configDir.resolve("armature.vision.follow.cfg.example"), configDir.resolve("armature.vision.follow.cfg"));
        });
        password = robot.consolePassword();
        assertTrue(Poll.until(15_000, () -> restGet("status").statusCode() == 200), "the REST API is up");
        awaitMqtt(0);
        node = new NodeDriver();
    }

    @AfterAll
    static void shutdown() throws Exception {
        String matrix = matrix();
        try {
            if (node != null) {
                node.close();
            }
            if (robot != null) {
                robot.close();
            }
            if (fleet != null) {
                fleet.close();
            }
            if (broker != null) {
                broker.close();
            }
            if (work != null) {
                try (Stream<Path> files = Files.walk(work)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        } finally {
            System.out.println(matrix);
            Path out = Path.of("target", "motion-authority-matrix.txt");
            if (Files.isDirectory(out.getParent())) {
                Files.writeString(out, matrix);
            }
        }
    }

    // ------------------------------------------------------------------ the matrix

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cells")
    void conforms(Source source, Invariant invariant) throws Throwable {
        long t0 = System.nanoTime();
        try {
            normalize();
            String note = run(source, invariant);
            record(source, invariant, "PASS", note, t0);
        } catch (NotApplicable na) {
            // the robot's own configuration says the invariant does not apply (no lease, reset rights): the cell checked that much
            record(source, invariant, "n.a.", na.getMessage(), t0);
        } catch (Throwable e) {
            record(source, invariant, "FAIL", e.getMessage() != null ? e.getMessage() : e.toString(), t0);
            throw e;
        }
    }

    private static void record(Source s, Invariant i, String verdict, String line, long t0) {
        String one = line == null ? "" : line.replaceAll("\\s*\\R\\s*", " | ");
        if (one.length() > 700) {
            one = one.substring(0, 700) + "...";
        }
        MATRIX.computeIfAbsent(s, k -> new EnumMap<>(Invariant.class)).put(i, new Cell(verdict, one));
        System.out.printf(Locale.ROOT, "CELL %s %s: %s (%.1f s) %s%n", s.label, i, verdict, (System.nanoTime() - t0) / 1e9, one);
    }

    private static String matrix() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nMotion authority conformance: sim-rover, 1 boot, %d JVM restarts, %.0f s%n", jvmRestarts,
                (System.nanoTime() - suiteStart) / 1e9));
        b.append(String.format(Locale.ROOT, "%-17s", "source"));
        for (Invariant i : Invariant.values()) {
            b.append(String.format(Locale.ROOT, " %-5s", i.name()));
        }
        b.append('\n');
        for (Source s : Source.values()) {
            b.append(String.format(Locale.ROOT, "%-17s", s.label));
            for (Invariant i : Invariant.values()) {
                Cell c = MATRIX.getOrDefault(s, Map.of()).get(i);
                b.append(String.format(Locale.ROOT, " %-5s", c == null ? "-" : c.verdict()));
            }
            b.append('\n');
        }
        b.append('\n');
        for (Invariant i : Invariant.values()) {
            b.append(i.name()).append(": ").append(i.what).append('\n');
        }
        b.append('\n');
        for (Source s : Source.values()) {
            for (Invariant i : Invariant.values()) {
                Cell c = MATRIX.getOrDefault(s, Map.of()).get(i);
                if (c != null) {
                    b.append(String.format(Locale.ROOT, "%-17s %s %-4s %s%n", s.label, i.name(), c.verdict(), c.line()));
                }
            }
        }
        if (!MEASURED.isEmpty()) {
            b.append("\nI2 measurements (in the robot: last command's arrival = its lease end - lease; in force 0 seen in [lo, hi] after the lease end):\n");
            MEASURED.forEach(m -> b.append("  ").append(m).append('\n'));
        }
        return b.toString();
    }

    private static String run(Source s, Invariant i) throws Exception {
        return switch (i) {
            case I1 -> i1(s);
            case I2 -> i2(s);
            case I3 -> i3(s);
            case I4 -> i4(s);
            case I5 -> i5(s);
            case I6 -> i6(s);
            case I7 -> i7(s);
            case I8 -> i8(s);
        };
    }

    // ------------------------------------------------------------------ I1: no credential, no rights

    private static String i1(Source s) throws Exception {
        switch (s) {
            case GOGO, FOLLOWER -> throw new NotApplicable(structurallyNotApplicable(s, Invariant.I1));
            case REST -> {
                String csrf = csrf();
                String ok = "{\"setpoint\": 12}";
                List<String> lines = new ArrayList<>();
                try (Still still = new Still()) {
                    lines.add(refusedRest(401, post("loops/left/setpoint", ok, null, csrf, Map.of()), "no password"));
                    lines.add(refusedRest(401, post("loops/left/setpoint", ok, password + "x", csrf, Map.of()), "wrong password"));
                    lines.add(refusedRest(403, post("loops/left/setpoint", ok, password, null, Map.of()), "no CSRF token"));
                    lines.add(refusedRest(403, post("loops/left/setpoint", ok, password, "guess", Map.of()), "wrong CSRF token"));
                    lines.add(refusedRest(403, post("loops/left/setpoint", ok, password, csrf, Map.of("Origin", "http://evil.example")),
                            "cross-origin page with password and token"));
                    Thread.sleep(200);
                    still.assertStill("REST setpoints without the right credential");
                }
                return "5 refusals, wheel still: " + String.join("; ", lines);
            }
            case MQTT_JSON -> {
                mqttMode("json", false);
                String status;
                try (Still still = new Still()) {
                    for (int k = 0; k < 3; k++) {
                        fleet.publish(MQTT_BASE + "/cmd/setpoint/left", "12");
                        Thread.sleep(100);
                    }
                    Thread.sleep(300);
                    still.assertStill("MQTT setpoints with commandsEnabled=false");
                }
                status = robot.gogo("mqtt:status").lines().map(String::trim).filter(l -> l.startsWith("commands ")).findFirst().orElse("");
                assertTrue(status.startsWith("commands disabled"), status);
                Fleet.Msg retained = fleet.await(MQTT_BASE + "/status", 0, m -> m.json() != null, 5_000, "a status message");
                assertEquals(Boolean.FALSE, retained.json().get("commandsEnabled"), retained.text);
                // with commands enabled, a command the source may not give: reset
                mqttMode("json", true);
                String refusal;
                try (Still still = new Still()) {
                    long since = System.nanoTime();
                    fleet.publish(MQTT_BASE + "/cmd/reset", "please");
                    refusal = cmdError(since, "/cmd/reset");
                    assertTrue(refusal.contains("source 'mqtt' may not reset"), refusal);
                    Thread.sleep(200);
                    still.assertStill("a reset from MQTT");
                }
                assertEquals(SafetyState.OK, supervisor().state(), "a refused reset changes nothing");
                return "commandsEnabled=false: 3 setpoints moved nothing (" + status + "); commands enabled, cmd/reset refused: " + refusal;
            }
            case MQTT_SPB -> {
                mqttMode("sparkplugb", false);
                String estopRefusal;
                try (Still still = new Still()) {
                    fleet.spb("loop-left", "setpoint", MetricDataType.Double, 12.0);
                    long since = System.nanoTime();
                    long before = fleet.lastNodeLong("commands/refused");
                    fleet.spb(null, "Node Control/E-Stop", MetricDataType.Boolean, true);
                    estopRefusal = ndataRefusal(since, before);
                    Thread.sleep(300);
                    still.assertStill("a DCMD setpoint with commandsEnabled=false");
                }
                assertEquals("Node Control/E-Stop refused: commands are disabled (commandsEnabled=false)", estopRefusal);
                assertEquals(SafetyState.OK, supervisor().state(), "the refused NCMD E-Stop changed nothing");
                mqttMode("sparkplugb", true);
                String resetRefusal;
                try (Still still = new Still()) {
                    long since = System.nanoTime();
                    long before = fleet.lastNodeLong("commands/refused");
                    fleet.spb(null, "Node Control/Reset", MetricDataType.Boolean, true);
                    resetRefusal = ndataRefusal(since, before);
                    Thread.sleep(200);
                    still.assertStill("an NCMD Reset");
                }
                assertTrue(resetRefusal.startsWith("source 'mqtt' may not reset"), resetRefusal);
                return "commandsEnabled=false: DCMD setpoint moved nothing, NCMD E-Stop refused: " + estopRefusal
                        + "; commands enabled, NCMD Reset refused: " + resetRefusal;
            }
            case ROSBRIDGE -> {
                String url = rosUrl("rosbridgePort");
                List<String> found = new ArrayList<>();
                try (Still still = new Still()) {
                    node.connect("ros", "rb-none", url, null);
                    node.twist("rb-none", 0.2, 0, 3, 50);
                    List<String> statuses = node.awaitStatuses("rb-none", 3, 5_000);
                    for (String st : statuses) {
                        assertTrue(st.startsWith("error: /cmd_vel refused, no motion: this client has no credential"), st);
                        oneLine(st);
                    }
                    found.add(statuses.size() + " × " + statuses.get(0));
                    node.close("rb-none");
                    Map<String, Object> wrong = node.handshake(rosBase("rosbridgePort") + "/?token=not-the-robots-token", null, null, null);
                    assertEquals(401.0, wrong.get("status"), "a wrong token in the URL: " + wrong);
                    found.add("wrong ?token=: " + status(wrong) + " " + wrong.get("body"));
                    node.connect("ros", "rb-wrong", url, "not-the-robots-token");
                    node.twist("rb-wrong", 0.2, 0, 1, 0);
                    assertTrue(Poll.until(5_000, () -> node.closed("rb-wrong")), "a wrong auth closes the connection");
                    List<String> auth = node.drain("rb-wrong");
                    assertTrue(auth.stream().anyMatch(a -> a.startsWith("error: auth refused: wrong token")), "auth refusal: " + auth);
                    found.add("wrong auth: " + auth.stream().filter(a -> a.startsWith("error: auth")).findFirst().orElseThrow() + " (closed)");
                    node.close("rb-wrong");
                    Thread.sleep(200);
                    still.assertStill("rosbridge /cmd_vel without the token");
                }
                return String.join("; ", found);
            }
            case FOXGLOVE -> {
                String url = rosUrl("foxglovePort");
                List<String> found = new ArrayList<>();
                try (Still still = new Still()) {
                    node.connect("fox", "fx-none", url, null);
                    node.twist("fx-none", 0.2, 0, 3, 50);
                    List<String> statuses = node.awaitStatuses("fx-none", 3, 5_000);
                    for (String st : statuses) {
                        assertTrue(st.startsWith("2: /cmd_vel refused, no motion: this client has no credential"), st);
                        oneLine(st);
                    }
                    found.add(statuses.size() + " × " + statuses.get(0));
                    node.close("fx-none");
                    Map<String, Object> wrong = node.handshake(rosBase("foxglovePort") + "/?token=not-the-robots-token", null, null,
                            "foxglove.websocket.v1");
                    assertEquals(401.0, wrong.get("status"), "a wrong token in the URL: " + wrong);
                    found.add("wrong ?token=: " + status(wrong) + " " + wrong.get("body"));
                    Thread.sleep(200);
                    still.assertStill("Foxglove /cmd_vel without the token");
                }
                return String.join("; ", found);
            }
            default -> throw new IllegalStateException(s.name());
        }
    }

    // ------------------------------------------------------------------ I2: lease lapse

    private static String i2(Source s) throws Exception {
        CommandSource src = source(s.motionSource);
        if (!src.leased()) {
            throw new NotApplicable("no lease: '" + src.name() + "' holds until replaced or released (armature.motion " + src.name() + ":"
                    + src.priority() + ":" + src.leaseMillis() + (src.mayReset() ? ":reset" : "") + ")");
        }
        long lease = src.leaseMillis();
        double period = 1000.0 / rig().statsLeft.rateHz();
        String how = "";
        Lapse lapse = null;
        List<String> attempts = new ArrayList<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            if (attempt > 1) {
                normalize();
            }
            switch (s) {
                case MQTT_JSON -> {
                    mqttMode("json", true);
                    how = "one cmd/setpoint/left 5";
                    fleet.publish(MQTT_BASE + "/cmd/setpoint/left", "5");
                    lapse = Lapse.probe(rig().left, lease, period, null);
                }
                case MQTT_SPB -> {
                    mqttMode("sparkplugb", true);
                    how = "one DCMD loop-left setpoint 5.0";
                    fleet.spb("loop-left", "setpoint", MetricDataType.Double, 5.0);
                    lapse = Lapse.probe(rig().left, lease, period, null);
                }
                case ROSBRIDGE, FOXGLOVE -> {
                    String conn = rosConnection(s);
                    how = "/cmd_vel 0.2 m/s 5 times at 10 Hz, then none (the client stays connected)";
                    node.twist(conn, 0.2, 0, 5, 100);
                    lapse = Lapse.probe(rig().left, lease, period, null);
                    List<String> st = node.drain(conn);
                    assertTrue(st.isEmpty(), "the /cmd_vel were taken: " + st);
                }
                case FOLLOWER -> {
                    how = "robot:follow marker 7 (search turn, 20 Hz), then its thread hung (the test holds the monitor its period takes)";
                    String started = robot.gogo("robot:follow marker 7").trim();
                    assertEquals("following marker 7", started);
                    TunableLoop left = rig().left;
                    assertTrue(Poll.until(5_000, () -> rig().inForce(left) != 0), "the follower drives: " + robot.gogo("robot:follow"));
                    try (FollowerHang hang = new FollowerHang()) {
                        lapse = Lapse.probe(left, lease, period, hang);
                    }
                    robot.gogo("robot:follow stop");
                }
                default -> throw new IllegalStateException(s.name());
            }
            String figures = how + ": " + lapse.describe();
            attempts.add(lapse.describe());
            MEASURED.add(String.format(Locale.ROOT, "%-17s attempt %d: %s", s.label, attempt, figures));
            if (lapse.verdict() != Lapse.Verdict.INCONCLUSIVE) {
                break;
            }
        }
        assertNotNull(lapse);
        assertTrue(lapse.verdict() != Lapse.Verdict.EARLY, "the command lapsed before its lease ended: " + lapse.describe());
        assertTrue(lapse.verdict() == Lapse.Verdict.WITHIN, "the setpoint in force did not go to 0 within lease + 2 periods ("
                + lease + " ms + 2 × " + fmt(period) + " ms): " + String.join("; ", attempts));
        TunableLoop left = rig().left;
        long stopped = System.nanoTime();
        assertTrue(Poll.until(5_000, () -> Math.abs(left.measurement()) < 0.3), "the wheel comes to rest: " + left.measurement());
        return how + ": " + lapse.describe() + String.format(Locale.ROOT, "; wheel at rest %.0f ms after", (System.nanoTime() - stopped) / 1e6)
                + (attempts.size() > 1 ? " (attempts: " + String.join(" / ", attempts) + ")" : "");
    }

    /**
     * How a leased command lapsed, measured in the robot's clock (System.nanoTime, shared with this
     * JVM): the loop's lease end of the last command, and the last and first polls that saw its
     * setpoint in force non-zero and zero.
     */
    record Lapse(long leaseMillis, double periodMillis, long expiryNanos, long lastNonZeroNanos, long zeroNanos, long cyclesAfterLeaseEnd) {

        enum Verdict { WITHIN, BEYOND, INCONCLUSIVE, EARLY }

        double loMillis() {
            return (lastNonZeroNanos - expiryNanos) / 1e6;
        }

        double hiMillis() {
            return (zeroNanos - expiryNanos) / 1e6;
        }

        /**
         * Within lease + 2 periods, in wall time or in the loop's own periods: a machine that
         * stalls the loop thread (a VM's idle CPU waking late) stretches wall time without a
         * period passing, and the loop's lateness is the loop benchmark's figure, not this rule's.
         * The rule is that the loop stops driving the old setpoint within two of its cycles.
         */
        Verdict verdict() {
            double bound = 2 * periodMillis;
            if (hiMillis() < 0) {
                return Verdict.EARLY;
            }
            if (hiMillis() <= bound || (cyclesAfterLeaseEnd >= 0 && cyclesAfterLeaseEnd <= 2)) {
                return Verdict.WITHIN;
            }
            return loMillis() > bound ? Verdict.BEYOND : Verdict.INCONCLUSIVE;
        }

        String describe() {
            return String.format(Locale.ROOT, "last command -> in force 0 after %s ms (lease %d ms + [%.2f, %.2f] ms; bound lease + 2 × %s ms = %s ms; "
                    + "the loop ran %s cycles from the lease end to the zero seen)%s",
                    fmt(leaseMillis + hiMillis()), leaseMillis, loMillis(), hiMillis(), fmt(periodMillis), fmt(leaseMillis + 2 * periodMillis),
                    cyclesAfterLeaseEnd < 0 ? "?" : Long.toString(cyclesAfterLeaseEnd),
                    verdict() == Verdict.INCONCLUSIVE ? " inconclusive: the poll gap straddles the bound" : "");
        }

        /**
         * Polls the loop's setpoint in force until it is 0, parked until shortly before the lease
         * end and spinning from there.
         *
         * @param hang closed once the lapse is seen, when the source must be released after (may be null)
         */
        static Lapse probe(TunableLoop loop, long leaseMillis, double periodMillis, AutoCloseable hang) throws Exception {
            Rig r = rig();
            assertTrue(Poll.until(5_000, () -> r.inForce(loop) != 0), "the command took effect: setpoint " + loop.setpoint());
            long expiry = loop.leaseExpiryNanos();
            assertTrue(expiry != Long.MAX_VALUE, "the command is leased in the loop: setpoint " + loop.setpoint() + ", lease end " + expiry);
            long lastNonZero = 0;
            long zero = 0;
            long cyclesAtLeaseEnd = -1;
            long cyclesAtZero = -1;
            long deadline = System.nanoTime() + (leaseMillis + 10_000) * 1_000_000L;
            while (System.nanoTime() - deadline < 0) {
                long e1 = loop.leaseExpiryNanos();
                double p = r.inForce(loop);
                long e2 = loop.leaseExpiryNanos();
                long now = System.nanoTime();
                if (e1 != e2) {
                    continue; // a renewal in between
                }
                if (cyclesAtLeaseEnd < 0 && now - expiry >= 0) {
                    cyclesAtLeaseEnd = r.statsLeft.cycles(); // the first poll past the lease end (the left loop is the one probed)
                }
                if (p != 0) {
                    lastNonZero = now;
                    if (e1 != Long.MAX_VALUE) {
                        expiry = e1; // else the service has already put 0 (no lease) in place of the lapsed command, and the loop not yet run
                    }
                } else if (lastNonZero != 0) {
                    zero = now;
                    cyclesAtZero = r.statsLeft.cycles();
                    break;
                }
                long wakeAt = expiry - 3_000_000L;
                if (now - wakeAt < 0) {
                    LockSupport.parkNanos(Math.min(wakeAt - now, 5_000_000L));
                } else {
                    Thread.onSpinWait();
                }
            }
            if (hang != null) {
                hang.close();
            }
            assertTrue(zero != 0, "the setpoint in force went to 0: " + r.inForce(loop));
            return new Lapse(leaseMillis, periodMillis, expiry, lastNonZero, zero,
                    cyclesAtLeaseEnd < 0 || cyclesAtZero < 0 ? -1 : cyclesAtZero - cyclesAtLeaseEnd);
        }
    }

    /** Hangs the follower's 20 Hz thread: holds the monitor its period takes, until closed. */
    private static final class FollowerHang implements AutoCloseable {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final Thread holder;

        FollowerHang() throws Exception {
            Object follower = robot.serviceObject("io.armature.vision.internal.Follower", 5_000);
            Field f;
            try {
                f = follower.getClass().getDeclaredField("sighting");
            } catch (NoSuchFieldException e) {
                throw new AssertionError("the test hangs the follower's thread by holding the monitor of Follower.sighting, which its period "
                        + "takes; that field is gone: update FollowerHang", e);
            }
            f.setAccessible(true);
            Object monitor = f.get(follower);
            holder = new Thread(() -> {
                synchronized (monitor) {
                    held.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, "follower-hang");
            holder.setDaemon(true);
            holder.start();
            assertTrue(held.await(5, TimeUnit.SECONDS), "the follower's monitor is held");
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            holder.join(5_000);
        }
    }

    // ------------------------------------------------------------------ I3: e-stop

    private static String i3(Source s) throws Exception {
        if (!s.hasEstop()) {
            throw new NotApplicable(structurallyNotApplicable(s, Invariant.I3));
        }
        if (s == Source.MQTT_JSON) {
            mqttMode("json", true);
        } else if (s == Source.MQTT_SPB) {
            mqttMode("sparkplugb", true);
        }
        Rig r = rig();
        drive(s);
        assertTrue(r.pwmLeft.duty() > 0 && !r.brakeLeft.get(), "driven before the e-stop");
        String reason = "conformance I3 via " + s.label;
        long sent = System.nanoTime();
        int duty;
        boolean brake;
        String ack;
        long ackAt;
        switch (s) {
            case GOGO -> {
                String out = robot.gogo("robot:estop " + reason).trim();
                ackAt = System.nanoTime();
                duty = r.pwmLeft.duty();
                brake = r.brakeLeft.get();
                assertTrue(out.startsWith("E-STOP: tripped by estop:gogo"), out);
                ack = "robot:estop returned '" + out + "'";
            }
            case REST -> {
                HttpResponse<String> resp = post("estop", "{\"reason\": \"" + reason + "\"}", password, csrf(), Map.of());
                ackAt = System.nanoTime();
                duty = r.pwmLeft.duty();
                brake = r.brakeLeft.get();
                assertEquals(200, resp.statusCode(), resp.body());
                ack = "POST estop 200 " + resp.body();
            }
            case MQTT_JSON -> {
                fleet.publish(MQTT_BASE + "/cmd/estop", reason);
                Fleet.Msg m = fleet.await(MQTT_BASE + "/status", sent, Fleet::trippedByMqtt, 5_000, "the status TRIPPED by estop:mqtt");
                ackAt = m.nanos;
                duty = m.dutyLeft;
                brake = m.brakeLeft;
                ack = "the robot's status TRIPPED by estop:mqtt (statusRateHz 20)";
            }
            case MQTT_SPB -> {
                fleet.spb(null, "Node Control/E-Stop", MetricDataType.Boolean, true);
                Fleet.Msg m = fleet.await(Fleet.NODE, sent,
                        n -> "TRIPPED".equals(n.metric("safety")) && "estop:mqtt".equals(n.metric("trip/source")), 5_000, "NDATA TRIPPED by estop:mqtt");
                ackAt = m.nanos;
                duty = m.dutyLeft;
                brake = m.brakeLeft;
                ack = "NDATA safety=TRIPPED trip/source=estop:mqtt";
            }
            default -> throw new IllegalStateException(s.name());
        }
        assertEquals(0, duty, "PWM 0 when the acknowledgement arrived (" + ack + ")");
        assertTrue(brake, "brake on when the acknowledgement arrived");
        TripReason trip = supervisor().tripReason().orElseThrow(() -> new AssertionError("not tripped after " + ack));
        assertEquals("estop:" + s.motionSource, trip.source(), trip.toString());
        Thread.sleep(50);
        assertEquals(0, r.pwmLeft.duty(), "latched: still PWM 0 50 ms later");
        return String.format(Locale.ROOT, "PWM 0 and brake on at the acknowledgement, %.1f ms after sending: %s", (ackAt - sent) / 1e6, ack);
    }

    // ------------------------------------------------------------------ I4: reset moves nothing

    private static String i4(Source s) throws Exception {
        if (s == Source.MQTT_JSON) {
            mqttMode("json", true);
        } else if (s == Source.MQTT_SPB) {
            mqttMode("sparkplugb", true);
        }
        Rig r = rig();
        drive(s);
        long leaseEnd = r.left.leaseExpiryNanos(); // the pre-trip command's lease, when it has one
        String trippedBy = trip(s, "conformance I4");
        if (s == Source.FOLLOWER) {
            assertTrue(Poll.until(5_000, () -> robot.gogo("robot:follow").trim().startsWith("idle")),
                    "the follower stops on the refusal of its next command: " + robot.gogo("robot:follow"));
        }
        Source resetter = s == Source.REST ? Source.REST : Source.GOGO;
        long resetAt = System.nanoTime();
        String reset = reset(resetter);
        String moved;
        try (Still still = new Still()) {
            Thread.sleep(300);
            moved = still.moved();
        }
        assertNull(moved, "after the reset (" + reset + ") the wheel moved without a new command: " + moved);
        assertEquals(0.0, r.left.setpoint(), "left setpoint 0 after the reset");
        assertEquals(0.0, r.right.setpoint(), "right setpoint 0 after the reset");
        assertEquals(0, r.pwmLeft.duty(), "PWM 0 after the reset");
        assertEquals(Optional.empty(), r.motion.owner("left"), "nobody owns the left wheel after the reset");
        String leaseNote = leaseEnd == Long.MAX_VALUE ? "" : resetAt - leaseEnd < 0
                ? String.format(Locale.ROOT, "; the reset came %.0f ms before the pre-trip command's lease would have ended", (leaseEnd - resetAt) / 1e6)
                : String.format(Locale.ROOT, "; the pre-trip command's lease had ended %.0f ms before the reset", (resetAt - leaseEnd) / 1e6);
        return "drove via " + s.label + ", " + trippedBy + ", reset via " + resetter.label + " ('" + reset
                + "'); 300 ms: PWM 0, setpoints 0, no owner" + leaseNote;
    }

    // ------------------------------------------------------------------ I5: no reset rights

    private static String i5(Source s) throws Exception {
        CommandSource src = source(s.motionSource);
        if (src.mayReset()) {
            throw new NotApplicable("'" + src.name() + "' may reset (armature.motion " + src.name() + ":" + src.priority() + ":" + src.leaseMillis()
                    + ":reset)");
        }
        if (s == Source.MQTT_JSON) {
            mqttMode("json", true);
        } else if (s == Source.MQTT_SPB) {
            mqttMode("sparkplugb", true);
        }
        String trippedBy = trip(s, "conformance I5");
        TripReason before = supervisor().tripReason().orElseThrow();
        List<String> tries = new ArrayList<>();
        try (Still still = new Still()) {
            switch (s) {
                case MQTT_JSON -> {
                    long since = System.nanoTime();
                    fleet.publish(MQTT_BASE + "/cmd/reset", "");
                    String refusal = cmdError(since, "/cmd/reset");
                    assertTrue(refusal.contains("source 'mqtt' may not reset"), refusal);
                    tries.add("cmd/reset: " + refusal);
                }
                case MQTT_SPB -> {
                    long since = System.nanoTime();
                    long refused = fleet.lastNodeLong("commands/refused");
                    fleet.spb(null, "Node Control/Reset", MetricDataType.Boolean, true);
                    String refusal = ndataRefusal(since, refused);
                    assertTrue(refusal.startsWith("source 'mqtt' may not reset"), refusal);
                    tries.add("NCMD Reset: " + refusal);
                }
                case ROSBRIDGE -> {
                    String conn = rosConnection(s);
                    Map<String, Object> resp = node.call(conn, "/armature/reset");
                    assertEquals(Boolean.FALSE, resp.get("result"), "no reset service: " + resp);
                    tries.add("call_service /armature/reset: " + oneLine(String.valueOf(resp.get("values"))));
                    node.drain(conn);
                    tries.add("/cmd_vel: " + rosRefusal(conn, "the robot is tripped"));
                }
                case FOXGLOVE -> {
                    String conn = rosConnection(s);
                    tries.add("/cmd_vel: " + rosRefusal(conn, "the robot is tripped") + " (no services capability: "
                            + node.capabilities(conn) + ")");
                }
                case FOLLOWER -> tries.add("robot:follow marker 7: " + followerRefusal("the robot is tripped"));
                default -> throw new IllegalStateException(s.name());
            }
            // the rule itself, as the source's own code would meet it
            try {
                rig().motion.reset(s.motionSource);
                fail("MotionCommands.reset(\"" + s.motionSource + "\") was taken");
            } catch (SecurityException refused) {
                tries.add("MotionCommands.reset: " + oneLine(refused.getMessage()));
            }
            Thread.sleep(300);
            still.assertStill("a reset attempt from " + s.label);
        }
        SafetySupervisor sup = supervisor();
        assertEquals(SafetyState.TRIPPED, sup.state(), "the trip stays");
        assertEquals(before.source(), sup.tripReason().orElseThrow().source(), "the same trip stays");
        return trippedBy + "; stays TRIPPED: " + String.join("; ", tries);
    }

    // ------------------------------------------------------------------ I6: latched means latched

    private static String i6(Source s) throws Exception {
        if (s == Source.MQTT_JSON) {
            mqttMode("json", true);
        } else if (s == Source.MQTT_SPB) {
            mqttMode("sparkplugb", true);
        }
        String trippedBy = trip(s, "conformance I6");
        TripReason trip = supervisor().tripReason().orElseThrow();
        List<String> steps = new ArrayList<>();
        String refusal;
        Path cfg = robot.configDir().resolve("armature.safety.cfg");
        String original = Files.readString(cfg);

        try {
            // 1. a configuration change, taken
            String debounce = original.contains("estopDebounceMillis=5\n") ? "6" : "5";
            Files.writeString(cfg, original.replaceAll("estopDebounceMillis=\\d+", "estopDebounceMillis=" + debounce));
            awaitSafetyConfig("estopDebounceMillis", debounce);
            stillLatched(s, trip);
            steps.add("a change (estopDebounceMillis=" + debounce + ")");

            // 2. a bad configuration, refused
            int refusedBefore = count(robot.console(), "armature.safety configuration refused, the one in force stays");
            Files.writeString(cfg, original.replaceAll("permitMillis=\\d+", "permitMillis=0"));
            assertTrue(Poll.until(10_000, () -> count(robot.console(), "armature.safety configuration refused, the one in force stays") > refusedBefore),
                    "the bad configuration is refused with one line");
            stillLatched(s, trip);
            steps.add("a refused configuration (permitMillis=0)");
            Files.writeString(cfg, original);
            awaitSafetyConfig("permitMillis", valueOf(original, "permitMillis"));
        } finally {
            if (!Files.readString(cfg).equals(original)) {
                Files.writeString(cfg, original); // a cell that failed half-way leaves the next one the configuration it found
            }
        }

        // 3. the supervisor bundle restarted
        Bundle safety = robot.bundle("armature.safety");
        safety.stop();
        safety.start();
        stillLatched(s, trip);
        steps.add("an armature.safety restart");

        // 4. the JVM restarted (the framework stopped and started again from its storage)
        restartJvm();
        refusal = stillLatched(s, trip);
        steps.add("a JVM restart");
        return trippedBy + "; TRIPPED by " + trip.source() + " and " + s.label + "'s command refused, wheel still, after each of " + String.join(", ", steps)
                + "; after the JVM restart: " + refusal;
    }

    /** Asserts the robot is still tripped by the same source and that the source cannot move it; @return its refusal, short. */
    private static String stillLatched(Source s, TripReason trip) throws Exception {
        SafetySupervisor sup = supervisor();
        assertEquals(SafetyState.TRIPPED, sup.state(), "still tripped");
        TripReason now = sup.tripReason().orElseThrow();
        assertEquals(trip.source(), now.source(), "the same trip: " + now);
        assertTrue(now.message().contains(trip.message()), "the same reason: " + now.message());
        try (Still still = new Still()) {
            String refusal = attemptRefused(s, "the robot is tripped");
            Thread.sleep(100);
            still.assertStill(s.label + " command while latched");
            return abbreviate(refusal, 200);
        }
    }

    /**
     * Waits until the supervisor component has taken a configuration value: SCR puts a component's
     * configuration on its service's properties once the component has it (after @Modified).
     */
    private static void awaitSafetyConfig(String key, String value) throws Exception {
        assertTrue(Poll.until(10_000, () -> value.equals(String.valueOf(supervisorProperty(key)))),
                "the supervisor took " + key + "=" + value + ": its service has " + key + "=" + supervisorProperty(key));
    }

    private static Object supervisorProperty(String key) {
        org.osgi.framework.ServiceReference<SafetySupervisor> ref = robot.context().getServiceReference(SafetySupervisor.class);
        return ref == null ? null : ref.getProperty(key);
    }

    // ------------------------------------------------------------------ I7: front doors

    private static String i7(Source s) throws Exception {
        switch (s) {
            case GOGO, MQTT_JSON, MQTT_SPB, FOLLOWER -> throw new NotApplicable(structurallyNotApplicable(s, Invariant.I7));
            case REST -> {
                int port = robot.httpPort();
                String token = csrf();
                List<String> found = new ArrayList<>();
                try (Still still = new Still()) {
                    Handshake own = rawHandshake(port, "/armature/ws?token=" + token, "127.0.0.1:" + port, Map.of());
                    assertEquals(101, own.status(), "control: this server's own Host with the token upgrades: " + own);
                    Handshake origin = rawHandshake(port, "/armature/ws?token=" + token, "127.0.0.1:" + port, Map.of("Origin", "http://evil.example"));
                    found.add("Origin http://evil.example: " + origin.status() + " " + origin.body());
                    Handshake host = rawHandshake(port, "/armature/ws?token=" + token, "rebind.evil.example:" + port, Map.of());
                    found.add("Host rebind.evil.example:" + port + ": " + host.status() + " " + host.body());
                    Handshake rebinding = rawHandshake(port, "/armature/ws?token=" + token, "rebind.evil.example:" + port,
                            Map.of("Origin", "http://rebind.evil.example:" + port));
                    found.add("Host and Origin of a rebinding page: " + rebinding.status() + " " + rebinding.body());
                    still.assertStill("telemetry handshakes");
                    assertEquals(403, origin.status(), "a cross-origin telemetry handshake is refused: " + String.join("; ", found));
                    oneLine(origin.body());
                    assertEquals(403, host.status(), "a telemetry handshake with a foreign Host (DNS rebinding) is refused on the HTTP port "
                            + port + ": " + String.join("; ", found));
                    oneLine(host.body());
                    assertEquals(403, rebinding.status(), "a rebinding page's handshake is refused: " + String.join("; ", found));
                }
                return "HTTP port " + port + " /armature/ws (own Host: 101): " + String.join("; ", found);
            }
            case ROSBRIDGE, FOXGLOVE -> {
                String key = s == Source.ROSBRIDGE ? "rosbridgePort" : "foxglovePort";
                String protocol = s == Source.ROSBRIDGE ? null : "foxglove.websocket.v1";
                String base = rosBase(key);
                String port = base.replaceAll(".*:", "");
                String withToken = base + "/?token=" + rosToken();
                List<String> found = new ArrayList<>();
                try (Still still = new Still()) {
                    Map<String, Object> own = node.handshake(withToken, null, "localhost:" + port, protocol);
                    assertEquals(101.0, own.get("status"), "control: localhost with the port upgrades: " + own);
                    Map<String, Object> origin = node.handshake(withToken, "https://evil.example", null, protocol);
                    found.add("Origin https://evil.example (with the token): " + status(origin) + " " + origin.get("body"));
                    Map<String, Object> host = node.handshake(withToken, null, "rebind.evil.example:" + port, protocol);
                    found.add("Host rebind.evil.example:" + port + " (with the token): " + status(host) + " " + host.get("body"));
                    still.assertStill("handshakes");
                    assertEquals(403.0, origin.get("status"), String.join("; ", found));
                    oneLine(String.valueOf(origin.get("body")));
                    assertEquals(403.0, host.get("status"), String.join("; ", found));
                    oneLine(String.valueOf(host.get("body")));
                }
                String configured = valueOf(Files.readString(Path.of(System.getProperty("armature.runtime-config.dir", "../runtime-config"),
                        "sim-rover", "armature.bridge.ros.cfg")), key);
                return key + " " + port + " (runtime-config has " + configured + "; FeatureRuntime gives the test a free port): "
                        + String.join("; ", found);
            }
            default -> throw new IllegalStateException(s.name());
        }
    }

    // ------------------------------------------------------------------ I8: no supervisor

    private static String i8(Source s) throws Exception {
        if (s == Source.MQTT_JSON) {
            mqttMode("json", true);
        } else if (s == Source.MQTT_SPB) {
            mqttMode("sparkplugb", true);
        }
        Rig r = rig();
        Bundle safety = robot.bundle("armature.safety");
        safety.stop();
        try {
            assertTrue(Poll.until(2_000, () -> !r.board.motionPermitted()), "the board's permit lapsed without a supervisor");
            String refusal;
            String estop = null;
            try (Still still = new Still()) {
                refusal = attemptRefused(s, "no safety supervisor is running");
                Thread.sleep(300);
                still.assertStill(s.label + " command without a supervisor");
            }
            assertTrue(!r.board.motionPermitted(), "no permit without a supervisor");
            if (s.hasEstop()) {
                estop = estopWithoutSupervisor(s);
                assertEquals(0, r.pwmLeft.duty());
                assertTrue(!r.board.motionPermitted(), "the permit stays revoked");
            }
            return "refused: " + refusal + (estop == null ? "; no e-stop in this source" : "; e-stop: " + estop);
        } finally {
            safety.start();
        }
    }

    private static String estopWithoutSupervisor(Source s) throws Exception {
        switch (s) {
            case GOGO -> {
                String out = robot.gogo("robot:estop conformance I8").trim();
                assertTrue(out.startsWith("E-STOP: no safety supervisor is running: the motion permit of 1 board(s) revoked directly"), out);
                return out;
            }
            case REST -> {
                HttpResponse<String> resp = post("estop", "{\"reason\": \"conformance I8\"}", password, csrf(), Map.of());
                assertEquals(200, resp.statusCode(), resp.body());
                return "200 " + resp.body();
            }
            case MQTT_JSON -> {
                Fleet.Msg last = fleet.await(MQTT_BASE + "/status", System.nanoTime(), m -> m.json() != null, 5_000, "a status");
                double accepted = ((Number) last.json().get("commandsAccepted")).doubleValue();
                long since = System.nanoTime();
                fleet.publish(MQTT_BASE + "/cmd/estop", "conformance I8");
                Fleet.Msg after = fleet.await(MQTT_BASE + "/status", since, m -> m.json() != null
                        && ((Number) m.json().get("commandsAccepted")).doubleValue() > accepted, 5_000, "the e-stop counted as accepted");
                assertTrue(fleet.since(MQTT_BASE + "/cmd/error", since).isEmpty(), "no refusal: " + fleet.since(MQTT_BASE + "/cmd/error", since));
                assertEquals("UNSUPERVISED", after.json().get("safety"), after.text);
                assertEquals(0, after.dutyLeft, "PWM 0 when the status came");
                return "cmd/estop accepted (status: safety UNSUPERVISED, commandsAccepted " + fmt(accepted) + " -> "
                        + fmt(((Number) after.json().get("commandsAccepted")).doubleValue()) + ", no cmd/error)";
            }
            case MQTT_SPB -> {
                long accepted = fleet.lastNodeLong("commands/accepted");
                long refused = fleet.lastNodeLong("commands/refused");
                long since = System.nanoTime();
                fleet.spb(null, "Node Control/E-Stop", MetricDataType.Boolean, true);
                Fleet.Msg after = fleet.await(Fleet.NODE, since, m -> m.metric("commands/accepted") instanceof Long l && l > accepted, 5_000,
                        "the NCMD E-Stop counted as accepted");
                assertEquals(refused, after.metric("commands/refused"), "not refused: " + after);
                assertEquals("UNSUPERVISED", after.metric("safety"), after.toString());
                assertEquals(0, after.dutyLeft, "PWM 0 when the NDATA came");
                return "NCMD E-Stop accepted (NDATA: safety UNSUPERVISED, commands/accepted " + accepted + " -> " + after.metric("commands/accepted")
                        + ", refused unchanged)";
            }
            default -> throw new IllegalStateException(s.name());
        }
    }

    // ------------------------------------------------------------------ what each source does

    /** Drives the left wheel through the source and waits until its motor is driven. */
    private static void drive(Source s) throws Exception {
        Rig r = rig();
        switch (s) {
            case GOGO -> assertEquals("left setpoint 12 rad/s", robot.gogo("robot:setpoint left 12").trim());
            case REST -> {
                HttpResponse<String> resp = post("loops/left/setpoint", "{\"setpoint\": 12}", password, csrf(), Map.of());
                assertEquals(200, resp.statusCode(), resp.body());
            }
            case MQTT_JSON -> fleet.publish(MQTT_BASE + "/cmd/setpoint/left", "12");
            case MQTT_SPB -> fleet.spb("loop-left", "setpoint", MetricDataType.Double, 12.0);
            case ROSBRIDGE, FOXGLOVE -> {
                String conn = rosConnection(s);
                node.twist(conn, 0.2, 0, 3, 50);
                List<String> st = node.drain(conn);
                assertTrue(st.isEmpty(), "the /cmd_vel were taken: " + st);
            }
            case FOLLOWER -> assertEquals("following marker 7", robot.gogo("robot:follow marker 7").trim());
            default -> throw new IllegalStateException(s.name());
        }
        assertTrue(Poll.until(5_000, () -> r.pwmLeft.duty() > 0 && !r.brakeLeft.get()), s.label + " drives the left wheel: duty " + r.pwmLeft.duty()
                + ", " + supervisor().tripReason());
    }

    /** Trips the robot through the source's own e-stop, or the shell's when it has none; waits until tripped. @return how */
    private static String trip(Source s, String reason) throws Exception {
        Source by = s.hasEstop() ? s : Source.GOGO;
        long since = System.nanoTime();
        switch (by) {
            case GOGO -> assertTrue(robot.gogo("robot:estop " + reason).trim().startsWith("E-STOP: tripped by estop:gogo"));
            case REST -> assertEquals(200, post("estop", "{\"reason\": \"" + reason + "\"}", password, csrf(), Map.of()).statusCode());
            case MQTT_JSON -> fleet.publish(MQTT_BASE + "/cmd/estop", reason);
            case MQTT_SPB -> fleet.spb(null, "Node Control/E-Stop", MetricDataType.Boolean, true);
            default -> throw new IllegalStateException(by.name());
        }
        assertTrue(Poll.until(5_000, () -> supervisor().state() == SafetyState.TRIPPED), "tripped by " + by.label);
        assertEquals("estop:" + by.motionSource, supervisor().tripReason().orElseThrow().source());
        assertTrue(Poll.until(2_000, () -> rig().pwmLeft.duty() == 0), "PWM 0 once tripped");
        return "e-stop via " + by.label + (by == s ? "" : " (" + s.label + " has none)") + String.format(Locale.ROOT, " tripped in %.0f ms",
                (System.nanoTime() - since) / 1e6);
    }

    /** Resets through the shell or the REST API. @return what it answered */
    private static String reset(Source s) throws Exception {
        if (s == Source.REST) {
            HttpResponse<String> resp = post("reset", "{}", password, csrf(), Map.of());
            assertEquals(200, resp.statusCode(), resp.body());
            assertEquals("{\"state\":\"OK\",\"mayMove\":true,\"unhealthy\":[]}", resp.body());
            return "POST reset 200 " + resp.body();
        }
        String out = robot.gogo("robot:reset").trim();
        assertEquals("reset: motion is allowed again; every setpoint is 0 until a new command", out);
        return out;
    }

    /**
     * Commands the left wheel once through the source, expecting a refusal whose one-line reason
     * contains {@code expected}. @return the reason
     */
    private static String attemptRefused(Source s, String expected) throws Exception {
        String reason;
        switch (s) {
            case GOGO -> {
                String out = robot.gogo("robot:setpoint left 12").trim();
                assertTrue(out.startsWith("gogo: IllegalStateException: ") && out.contains(expected), out);
                reason = out;
            }
            case REST -> {
                HttpResponse<String> resp = post("loops/left/setpoint", "{\"setpoint\": 12}", password, csrf(), Map.of());
                assertEquals(409, resp.statusCode(), resp.body());
                assertTrue(resp.body().contains(expected), resp.body());
                reason = "409 " + resp.body();
            }
            case MQTT_JSON -> {
                long since = System.nanoTime();
                fleet.publish(MQTT_BASE + "/cmd/setpoint/left", "12");
                reason = cmdError(since, "/cmd/setpoint/left");
                assertTrue(reason.contains(expected), reason);
            }
            case MQTT_SPB -> {
                long since = System.nanoTime();
                long refused = fleet.lastNodeLong("commands/refused");
                fleet.spb("loop-left", "setpoint", MetricDataType.Double, 12.0);
                reason = ndataRefusal(since, refused);
                assertTrue(reason.contains(expected), reason);
            }
            case ROSBRIDGE, FOXGLOVE -> reason = rosRefusal(rosConnection(s), expected);
            case FOLLOWER -> reason = followerRefusal(expected);
            default -> throw new IllegalStateException(s.name());
        }
        return oneLine(reason);
    }

    /** One /cmd_vel on a connection with the token, expecting its refusal. @return the status line */
    private static String rosRefusal(String conn, String expected) throws Exception {
        node.drain(conn);
        int logged = count(robot.console(), "/cmd_vel refused, no motion: ");
        long sent = System.nanoTime();
        node.twist(conn, 0.2, 0, 1, 0);
        List<String> st;
        try {
            st = node.awaitStatuses(conn, 1, 5_000);
        } catch (AssertionError none) {
            // what the robot did with it, for the report: its refusal is logged (at most once per reason in 5 s) before it is sent
            StringBuilder threads = new StringBuilder();
            Thread.getAllStackTraces().forEach((t, trace) -> {
                if (t.getName().contains("WebSocket") || t.getName().contains("ros-bridge")) {
                    threads.append("\n  ").append(t.getName()).append(' ').append(t.getState());
                    for (int k = 0; k < Math.min(8, trace.length); k++) {
                        threads.append("\n    at ").append(trace[k]);
                    }
                }
            });
            System.out.println("DIAGNOSIS " + conn + ": no status within 5 s of the /cmd_vel sent " + (System.nanoTime() - sent) / 1_000_000
                    + " ms ago; robot refusal lines logged since: " + (count(robot.console(), "/cmd_vel refused, no motion: ") - logged)
                    + "; connection closed: " + node.closed(conn) + "; node statuses now: " + node.drain(conn) + threads);
            throw none;
        }
        String line = st.get(0);
        assertTrue(line.contains("/cmd_vel refused, no motion: ") && line.contains(expected), line);
        return oneLine(line);
    }

    /** robot:follow marker 7, expecting the follower to stop with the refusal. @return the follower's status line */
    private static String followerRefusal(String expected) throws Exception {
        String started = robot.gogo("robot:follow marker 7").trim();
        assertEquals("following marker 7", started);
        assertTrue(Poll.until(3_000, () -> robot.gogo("robot:follow").trim().startsWith("idle (marker 7): refused: ")),
                "the follower's command was refused: " + robot.gogo("robot:follow"));
        String status = robot.gogo("robot:follow").trim();
        assertTrue(status.contains(expected), status);
        return oneLine(status);
    }

    // ------------------------------------------------------------------ the state every cell starts from

    /** Supervisor running and OK, every source released, the follower idle, both wheels at rest. */
    private static void normalize() throws Exception {
        Bundle safety = robot.bundle("armature.safety");
        if (safety.getState() != Bundle.ACTIVE) {
            safety.start();
        }
        Rig r = rig();
        SafetySupervisor sup = supervisor();
        assertTrue(Poll.until(15_000, () -> {
            if (sup.mayMove()) {
                return true;
            }
            try {
                r.motion.reset("gogo");
            } catch (IllegalStateException stillUnhealthy) {
                return false;
            }
            return sup.mayMove();
        }), "the supervisor could be reset: " + sup.tripReason());
        try {
            robot.gogo("robot:follow stop");
        } catch (Exception noFollower) {
            // nothing to stop
        }
        for (CommandSource c : r.motion.sources()) {
            r.motion.release(c.name());
        }
        assertTrue(Poll.until(10_000, () -> r.pwmLeft.duty() == 0 && r.pwmRight.duty() == 0 && Math.abs(r.left.measurement()) < 0.3
                && Math.abs(r.right.measurement()) < 0.3 && r.inForce(r.left) == 0 && r.inForce(r.right) == 0),
                "both wheels at rest: duty " + r.pwmLeft.duty() + "/" + r.pwmRight.duty() + ", " + r.left.measurement() + "/" + r.right.measurement());
        rig = r;
    }

    /** The services the cells use, for the framework running now. */
    static final class Rig {
        final Framework framework;
        final PwmOutput pwmLeft;
        final PwmOutput pwmRight;
        final DigitalOutput brakeLeft;
        final TunableLoop left;
        final TunableLoop right;
        final LoopStatistics statsLeft;
        final MotionCommands motion;
        final Board board;
        private final Method profiled;

        Rig() throws Exception {
            framework = robot.framework();
            pwmLeft = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 10_000);
            pwmRight = robot.service(PwmOutput.class, "(armature.channel=motor.right.pwm)", 10_000);
            brakeLeft = robot.service(DigitalOutput.class, "(armature.channel=motor.left.brake)", 10_000);
            left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            right = robot.service(TunableLoop.class, "(armature.loop.name=right)", 10_000);
            statsLeft = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 10_000);
            motion = robot.service(MotionCommands.class, null, 10_000);
            board = robot.service(Board.class, "(armature.board=sim)", 10_000);
            Method m;
            try {
                m = left.getClass().getMethod("profiledSetpoint");
            } catch (NoSuchMethodException e) {
                m = null;
            }
            profiled = m;
        }

        /** @return the setpoint the loop's cycle works to: the profiled setpoint; else the setpoint, 0 once its lease has ended */
        double inForce(TunableLoop loop) {
            if (profiled != null) {
                try {
                    return (double) profiled.invoke(loop);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            long expiry = loop.leaseExpiryNanos();
            double v = loop.setpoint();
            return expiry != Long.MAX_VALUE && System.nanoTime() - expiry >= 0 ? 0.0 : v;
        }
    }

    private static Rig rig() throws Exception {
        Rig r = rig;
        if (r == null || r.framework != robot.framework()) {
            r = new Rig();
            rig = r;
        }
        return r;
    }

    private static SafetySupervisor supervisor() throws Exception {
        return robot.service(SafetySupervisor.class, null, 10_000);
    }

    private static CommandSource source(String name) throws Exception {
        return rig().motion.sources().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("armature.motion has no source " + name));
    }

    /** Stops the framework and starts it again from its storage, and waits until it is ready and the MQTT client has connected. */
    private static void restartJvm() throws Exception {
        int ready = count(robot.console(), "Armature sim-rover ready");
        long since = System.nanoTime();
        robot.restart();
        jvmRestarts++;
        assertTrue(Poll.until(60_000, () -> count(robot.console(), "Armature sim-rover ready") > ready), "ready after the restart");
        rig = null;
        rig();
        awaitMqtt(since); // for Sparkplug B, the NBIRTH: the node's counters start again at 0
        assertTrue(Poll.until(15_000, () -> restGet("status").statusCode() == 200), "the REST API is up after the restart");
    }

    // ------------------------------------------------------------------ watching that nothing moves

    /** Samples both wheels every millisecond while open: PWM, setpoints and the setpoints in force. */
    static final class Still implements AutoCloseable {
        private final Rig r;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile String moved;

        Still() throws Exception {
            r = rig();
            thread = new Thread(() -> {
                while (running && moved == null) {
                    check();
                    LockSupport.parkNanos(1_000_000L);
                }
            }, "still-watch");
            thread.setDaemon(true);
            thread.start();
        }

        private void check() {
            int dl = r.pwmLeft.duty();
            int dr = r.pwmRight.duty();
            double fl = r.inForce(r.left);
            double fr = r.inForce(r.right);
            double sl = r.left.setpoint();
            double sr = r.right.setpoint();
            if (dl != 0 || dr != 0 || fl != 0 || fr != 0 || sl != 0 || sr != 0) {
                moved = String.format(Locale.ROOT, "PWM %d/%d, setpoint %s/%s, in force %s/%s", dl, dr, fmt(sl), fmt(sr), fmt(fl), fmt(fr));
            }
        }

        /** @return what moved, or null */
        String moved() throws InterruptedException {
            close();
            check();
            return moved;
        }

        void assertStill(String what) throws InterruptedException {
            String m = moved();
            assertNull(m, what + " moved the wheel: " + m);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(2_000);
        }
    }

    // ------------------------------------------------------------------ REST

    private static HttpRequest.Builder request(String path, String pass) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + robot.httpPort() + "/armature/api/" + path))
                .timeout(Duration.ofSeconds(10));
        if (pass != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + pass).getBytes(StandardCharsets.UTF_8)));
        }
        return b;
    }

    private static HttpResponse<String> restGet(String path) throws Exception {
        return HTTP.send(request(path, password).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String json, String pass, String csrf, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = request(path, pass).header("Content-Type", "application/json");
        if (csrf != null) {
            b.header("X-Armature-CSRF", csrf);
        }
        headers.forEach(b::header);
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String csrf() throws Exception {
        HttpResponse<String> r = restGet("csrf");
        assertEquals(200, r.statusCode(), r.body());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    private static String refusedRest(int status, HttpResponse<String> r, String what) {
        assertEquals(status, r.statusCode(), what + ": " + r.body());
        assertTrue(r.body().startsWith("{\"error\":\""), what + ": " + r.body());
        return what + " " + status + " " + oneLine(r.body());
    }

    record Handshake(int status, String body) {
    }

    /** A WebSocket handshake over plain TCP with a Host header of the test's choosing. */
    private static Handshake rawHandshake(int port, String target, String host, Map<String, String> headers) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            byte[] nonce = new byte[16];
            new SecureRandom().nextBytes(nonce);
            StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    break;
                }
                head.append((char) c);
            }
            Matcher status = Pattern.compile("^HTTP/1\\.1 (\\d{3})").matcher(head);
            if (!status.find()) {
                throw new IOException("no HTTP status: " + head);
            }
            int code = Integer.parseInt(status.group(1));
            if (code == 101) {
                return new Handshake(101, "");
            }
            Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
            String body = "";
            if (length.find()) {
                body = new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
            }
            return new Handshake(code, body.trim());
        }
    }

    // ------------------------------------------------------------------ MQTT

    /** Switches the robot's MQTT to JSON or Sparkplug B, commands on or off, and waits until it has connected that way. */
    private static void mqttMode(String format, boolean commands) throws Exception {
        String want = format + ":" + commands;
        if (want.equals(mqttMode)) {
            return;
        }
        long since = System.nanoTime();
        Path cfg = robot.configDir().resolve(MqttRobotTest.CFG);
        FeatureRuntime.setConfig(cfg, "payloadFormat", format);
        FeatureRuntime.setConfig(cfg, "commandsEnabled", Boolean.toString(commands));
        mqttMode = want;
        awaitMqtt(since);
    }

    /**
     * Waits until the robot's MQTT client has connected as {@link #mqttMode} says since {@code since}:
     * Sparkplug B, its NBIRTH (sent once it has subscribed to its commands); JSON, its status, and
     * with commands on, the answer to a probe command (a setpoint of a loop that does not exist),
     * which shows that it has subscribed.
     */
    private static void awaitMqtt(long since) throws Exception {
        boolean commands = mqttMode.endsWith(":true");
        if (mqttMode.startsWith("sparkplugb")) {
            fleet.await(Fleet.NBIRTH, since, m -> Boolean.valueOf(commands).equals(m.metric("commands/enabled")), 20_000,
                    "an NBIRTH with commands/enabled " + commands);
            return;
        }
        fleet.await(MQTT_BASE + "/status", since, m -> m.json() != null && Boolean.valueOf(commands).equals(m.json().get("commandsEnabled")), 20_000,
                "a status with commandsEnabled " + commands);
        if (commands) {
            long probe = System.nanoTime();
            long end = probe + 20_000_000_000L;
            while (fleet.since(MQTT_BASE + "/cmd/error", probe).isEmpty()) {
                assertTrue(System.nanoTime() - end < 0, "the robot answers MQTT commands:\n" + robot.gogo("mqtt:status"));
                fleet.publish(MQTT_BASE + "/cmd/setpoint/probe-not-a-loop", "0");
                Poll.until(250, () -> !fleet.since(MQTT_BASE + "/cmd/error", probe).isEmpty());
            }
        }
    }

    /** @return the one-line error of the first cmd/error answer to {@code topicSuffix} since {@code since} */
    private static String cmdError(long since, String topicSuffix) throws Exception {
        Fleet.Msg m = fleet.await(MQTT_BASE + "/cmd/error", since, e -> e.json() != null && String.valueOf(e.json().get("topic")).endsWith(topicSuffix),
                5_000, "a cmd/error answer to " + topicSuffix);
        return oneLine(String.valueOf(m.json().get("error")));
    }

    /** @return commands/lastError of the first NDATA since {@code since} whose commands/refused is above {@code refusedBefore} */
    private static String ndataRefusal(long since, long refusedBefore) throws Exception {
        Fleet.Msg m = fleet.await(Fleet.NODE, since, n -> n.metric("commands/refused") instanceof Long l && l > refusedBefore,
                5_000, "an NDATA with the refusal counted");
        Object error = m.metric("commands/lastError");
        return oneLine(String.valueOf(error != null ? error : fleet.lastNode.get("commands/lastError")));
    }

    /**
     * The fleet side of MQTT: one Paho client that publishes commands (JSON and Sparkplug B, QoS 1)
     * and records what the robot publishes, with the left motor's PWM and brake read at each
     * message's arrival.
     */
    static final class Fleet implements AutoCloseable {
        static final String NDATA = "spBv1.0/armature/NDATA/" + NODE_ID;
        static final String NBIRTH = "spBv1.0/armature/NBIRTH/" + NODE_ID;
        /** the node's messages: NBIRTH or NDATA (a changed set of node metrics is born again rather than sent as data) */
        static final String NODE = "node";
        final MqttClient client;
        final List<Msg> received = new CopyOnWriteArrayList<>();
        final Map<String, Object> lastNode = new ConcurrentHashMap<>();

        /** A message as received. */
        static final class Msg {
            final String topic;
            final String text;
            final Map<String, Object> metrics;
            final long nanos;
            final int dutyLeft;
            final boolean brakeLeft;
            private Map<String, Object> json;

            Msg(String topic, String text, Map<String, Object> metrics, long nanos, int dutyLeft, boolean brakeLeft) {
                this.topic = topic;
                this.text = text;
                this.metrics = metrics;
                this.nanos = nanos;
                this.dutyLeft = dutyLeft;
                this.brakeLeft = brakeLeft;
            }

            @SuppressWarnings("unchecked")
            Map<String, Object> json() {
                if (json == null && text != null && text.startsWith("{")) {
                    try {
                        json = (Map<String, Object>) Json.parse(text);
                    } catch (RuntimeException notJson) {
                        return null;
                    }
                }
                return json;
            }

            Object metric(String name) {
                return metrics == null ? null : metrics.get(name);
            }

            @Override
            public String toString() {
                return topic + " " + (metrics != null ? metrics : text);
            }
        }

        Fleet(String uri) throws Exception {
            client = new MqttClient(uri, "conformance-fleet-" + System.nanoTime(), new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setAutomaticReconnect(false);
            client.connect(o);
            client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
                    long now = System.nanoTime();
                    Rig r = rig;
                    int duty = -1;
                    boolean brake = false;
                    if (r != null) {
                        try {
                            duty = r.pwmLeft.duty();
                            brake = r.brakeLeft.get();
                        } catch (RuntimeException gone) {
                            // a framework being restarted
                        }
                    }
                    Map<String, Object> metrics = null;
                    String text = null;
                    if (topic.startsWith("spBv1.0/")) {
                        try {
                            SparkplugBPayload p = new SparkplugBPayloadDecoder().buildFromByteArray(message.getPayload(), null);
                            metrics = new LinkedHashMap<>();
                            for (Metric m : p.getMetrics()) {
                                if (m.getName() != null) {
                                    metrics.put(m.getName(), m.getValue());
                                    if (m.getValue() != null) {
                                        lastNode.put(m.getName(), m.getValue());
                                    }
                                }
                            }
                        } catch (Exception notSparkplug) {
                            metrics = Map.of();
                        }
                    } else {
                        text = new String(message.getPayload(), StandardCharsets.UTF_8);
                    }
                    received.add(new Msg(topic, text, metrics, now, duty, brake));
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                }
            });
            client.subscribe(new String[] {MQTT_BASE + "/status", MQTT_BASE + "/cmd/error", NDATA, NBIRTH}, new int[] {0, 1, 0, 0});
        }

        void publish(String topic, String payload) throws Exception {
            client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
        }

        /** A Sparkplug B NCMD (device null) or DCMD with one metric, encoded with Eclipse Tahu. */
        void spb(String device, String metric, MetricDataType type, Object value) throws Exception {
            SparkplugBPayload p = new SparkplugBPayload(new Date(), new ArrayList<>(List.of(
                    new Metric.MetricBuilder(metric, type, value).timestamp(new Date()).createMetric())));
            String topic = "spBv1.0/armature/" + (device == null ? "NCMD/" + NODE_ID : "DCMD/" + NODE_ID + "/" + device);
            client.publish(topic, new SparkplugBPayloadEncoder().getBytes(p, false), 1, false);
        }

        long lastNodeLong(String metric) {
            Object v = lastNode.get(metric);
            return v instanceof Long l ? l : -1;
        }

        /** @return what came on {@code topic} since then; {@link #NODE} for the node's NBIRTH and NDATA */
        List<Msg> since(String topic, long sinceNanos) {
            List<Msg> out = new ArrayList<>();
            for (Msg m : received) {
                if (m.nanos - sinceNanos >= 0 && (m.topic.equals(topic) || topic.equals(NODE) && (m.topic.equals(NDATA) || m.topic.equals(NBIRTH)))) {
                    out.add(m);
                }
            }
            return out;
        }

        Msg await(String topic, long sinceNanos, Predicate<Msg> check, long timeoutMillis, String what) throws Exception {
            Msg[] found = new Msg[1];
            boolean ok = Poll.until(timeoutMillis, () -> {
                for (Msg m : since(topic, sinceNanos)) {
                    if (check.test(m)) {
                        found[0] = m;
                        return true;
                    }
                }
                return false;
            });
            if (!ok) {
                List<Msg> seen = since(topic, sinceNanos);
                throw new AssertionError(what + " within " + timeoutMillis + " ms; " + seen.size() + " messages on " + topic + ", last: "
                        + (seen.isEmpty() ? "none" : seen.get(seen.size() - 1)));
            }
            return found[0];
        }

        static boolean trippedByMqtt(Msg m) {
            Map<String, Object> j = m.json();
            return j != null && "TRIPPED".equals(j.get("safety")) && j.get("trip") instanceof Map<?, ?> t && "estop:mqtt".equals(t.get("source"));
        }

        @Override
        public void close() throws Exception {
            if (client.isConnected()) {
                client.disconnectForcibly(0, 1_000);
            }
            client.close();
        }
    }

    // ------------------------------------------------------------------ ROS clients under node

    private static String rosBase(String portKey) throws IOException {
        return "ws://127.0.0.1:" + valueOf(Files.readString(robot.configDir().resolve("armature.bridge.ros.cfg")), portKey);
    }

    private static String rosToken() throws IOException {
        return Files.readString(robot.dataDir().resolve("ros-token")).trim();
    }

    private static String rosUrl(String portKey) throws IOException {
        return rosBase(portKey) + "/";
    }

    /** @return the suite's connection of this ROS source with the robot's token, connected (again, after a restart) */
    private static String rosConnection(Source s) throws Exception {
        String conn = s == Source.ROSBRIDGE ? "rb" : "fx";
        if (!node.isOpen(conn)) {
            node.close(conn);
            String kind = s == Source.ROSBRIDGE ? "ros" : "fox";
            node.connect(kind, conn, rosBase(s == Source.ROSBRIDGE ? "rosbridgePort" : "foxglovePort") + "/?token=" + rosToken(), null);
        }
        node.drain(conn);
        return conn;
    }

    /** The long-lived node process of {@code ros-clients/conformance.mjs}: one request line, one answer line. */
    static final class NodeDriver implements AutoCloseable {
        private final Process process;
        private final Writer in;
        private final Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
        private final StringBuffer other = new StringBuffer();
        private final AtomicLong ids = new AtomicLong();
        private final Map<String, Boolean> open = new ConcurrentHashMap<>();
        private final Map<String, List<String>> statuses = new ConcurrentHashMap<>();
        private final Map<String, List<Object>> capabilities = new ConcurrentHashMap<>();

        NodeDriver() throws Exception {
            process = new ProcessBuilder("node", "conformance.mjs").directory(CLIENTS.toFile()).redirectErrorStream(true).start();
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        if (l.equals("READY")) {
                            ready.countDown();
                        } else if (l.startsWith("R ")) {
                            int sp = l.indexOf(' ', 2);
                            CompletableFuture<String> f = pending.remove(l.substring(2, sp));
                            if (f != null) {
                                f.complete(l.substring(sp + 1));
                            }
                        } else {
                            other.append(l).append('\n');
                        }
                    }
                } catch (IOException ended) {
                    // node exited
                }
            }, "conformance-node");
            reader.setDaemon(true);
            reader.start();
            if (!ready.await(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("node conformance.mjs did not start: " + other);
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> request(String... words) throws Exception {
            String id = Long.toString(ids.incrementAndGet());
            CompletableFuture<String> f = new CompletableFuture<>();
            pending.put(id, f);
            synchronized (in) {
                in.write(id + " " + String.join(" ", words) + "\n");
                in.flush();
            }
            String answer;
            try {
                answer = f.get(20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("node did not answer " + String.join(" ", words) + " within 20 s; its output: " + other);
            }
            return (Map<String, Object>) Json.parse(answer);
        }

        private Map<String, Object> ok(String... words) throws Exception {
            Map<String, Object> r = request(words);
            if (r.containsKey("error")) {
                throw new AssertionError("node " + words[0] + " " + words[1] + ": " + r.get("error"));
            }
            return r;
        }

        @SuppressWarnings("unchecked")
        void connect(String kind, String conn, String url, String authToken) throws Exception {
            Map<String, Object> r = ok(kind, conn, url, authToken == null ? "-" : authToken);
            open.put(conn, true);
            statuses.put(conn, new CopyOnWriteArrayList<>());
            if (r.get("capabilities") instanceof List<?> c) {
                capabilities.put(conn, (List<Object>) c);
            }
        }

        List<Object> capabilities(String conn) {
            return capabilities.getOrDefault(conn, List.of());
        }

        void twist(String conn, double x, double z, int count, int periodMillis) throws Exception {
            ok("twist", conn, Double.toString(x), Double.toString(z), Integer.toString(count), Integer.toString(periodMillis));
        }

        Map<String, Object> call(String conn, String service) throws Exception {
            return ok("call", conn, service);
        }

        /** Fetches the statuses received since the last fetch into the connection's list. */
        @SuppressWarnings("unchecked")
        private void fetch(String conn) throws Exception {
            Map<String, Object> r = ok("statuses", conn);
            List<String> list = statuses.computeIfAbsent(conn, k -> new CopyOnWriteArrayList<>());
            for (Object o : (List<Object>) r.get("statuses")) {
                list.add(String.valueOf(o));
            }
            if (Boolean.TRUE.equals(r.get("closed"))) {
                open.put(conn, false);
            }
        }

        /** @return every status line not returned before */
        List<String> drain(String conn) throws Exception {
            fetch(conn);
            List<String> list = statuses.computeIfAbsent(conn, k -> new CopyOnWriteArrayList<>());
            List<String> out = new ArrayList<>(list);
            list.removeAll(out);
            return out;
        }

        List<String> awaitStatuses(String conn, int n, long timeoutMillis) throws Exception {
            List<String> list = statuses.computeIfAbsent(conn, k -> new CopyOnWriteArrayList<>());
            if (!Poll.until(timeoutMillis, () -> {
                fetch(conn);
                return list.size() >= n;
            })) {
                throw new AssertionError(n + " status lines on " + conn + " within " + timeoutMillis + " ms; got " + list);
            }
            return drain(conn);
        }

        boolean closed(String conn) throws Exception {
            fetch(conn);
            return !open.getOrDefault(conn, false);
        }

        boolean isOpen(String conn) throws Exception {
            if (!open.getOrDefault(conn, false)) {
                return false;
            }
            return !closed(conn);
        }

        void close(String conn) throws Exception {
            request("close", conn);
            open.remove(conn);
        }

        Map<String, Object> handshake(String url, String origin, String host, String protocol) throws Exception {
            return ok("handshake", url, origin == null ? "-" : origin, host == null ? "-" : host, protocol == null ? "-" : protocol);
        }

        @Override
        public void close() throws Exception {
            try {
                in.close();
            } catch (IOException alreadyGone) {
                // node exited
            }
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    // ------------------------------------------------------------------ small things

    private static String status(Map<String, Object> handshake) {
        return handshake.get("status") instanceof Number n ? Integer.toString(n.intValue()) : String.valueOf(handshake.get("status"));
    }

    /** Asserts one line with a reason. @return it */
    private static String oneLine(String reason) {
        assertTrue(reason != null && !reason.isBlank(), "a refusal with a reason: '" + reason + "'");
        assertTrue(!reason.contains("\n") && !reason.contains("\r"), "a refusal in one line: " + reason);
        return reason;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f" : "%.2f", v);
    }

    private static String abbreviate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n) + "...";
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    private static String valueOf(String cfg, String key) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "=(.*)$").matcher(cfg);
        assertTrue(m.find(), "no " + key);
        return m.group(1).trim();
    }

    /** A small JSON reader for the node driver's and the robot's answers. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json j = new Json(text);
            Object v = j.value();
            j.ws();
            if (j.i != text.length()) {
                throw new IllegalArgumentException("trailing text in " + text);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            switch (c) {
                case '{' -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    i++;
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect('}');
                            return m;
                        }
                    }
                }
                case '[' -> {
                    List<Object> l = new ArrayList<>();
                    i++;
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                        } else {
                            expect(']');
                            return l;
                        }
                    }
                }
                case '"' -> {
                    return string();
                }
                case 't' -> {
                    i += 4;
                    return Boolean.TRUE;
                }
                case 'f' -> {
                    i += 5;
                    return Boolean.FALSE;
                }
                case 'n' -> {
                    i += 4;
                    return null;
                }
                default -> {
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    return Double.parseDouble(s.substring(start, i));
                }
            }
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected '" + c + "' at " + i + " in " + s);
            }
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 'r' -> b.append('\r');
                        case 't' -> b.append('\t');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }
    }
}
