package io.armature.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

import io.armature.control.ControlLoop;
import io.armature.control.PidGains;
import io.armature.deploy.ApplyResult;
import io.armature.deploy.BundleChange;
import io.armature.deploy.ChangeProgress;
import io.armature.recording.Recorder;
import io.armature.recording.RecordingStatus;
import io.armature.deploy.FeatureDeployer;
import io.armature.safety.SafetyState;
import io.armature.safety.TripReason;
import io.armature.testing.FakeLoop;
import io.armature.testing.FakeMotionCommands;
import io.armature.testing.FakeSupervisor;

class RestApiTest {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("admin:s3cret".getBytes(StandardCharsets.UTF_8));

    private final FakeLoop left = new FakeLoop("left", 20.0);

    {
        left.setpoint = 5.0;
    }
    private final FakeSupervisor supervisor = new FakeSupervisor();
    private RestApi api;
    private String token;

    @BeforeEach
    void start() {
        Logger log = (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class}, (p, m, a) -> null);
        api = new RestApi(new ApiGuard((u, p) -> u.equals("admin") && p.equals("s3cret"), new SecureRandom()), log);
        api.addLoop(left, Map.of(ControlLoop.PROPERTY_NAME, "left"));
        api.setSafety(supervisor);
        api.setCommands(new FakeMotionCommands(supervisor, left));
        RestApi.Reply csrf = get("/csrf", AUTH);
        assertEquals(200, csrf.status());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(csrf.json());
        assertTrue(m.find(), csrf.json());
        token = m.group(1);
    }

    private RestApi.Reply get(String path, String auth) {
        return get(path, auth, Map.of());
    }

    private RestApi.Reply get(String path, String auth, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        h.put("Host", "127.0.0.1:8080");
        if (auth != null) {
            h.put("Authorization", auth);
        }
        return api.handle(new RestApi.Request("GET", path, h::get, "http", 0, new ByteArrayInputStream(new byte[0]), "127.0.0.1", 8080));
    }

    private RestApi.Reply post(String path, String body, Map<String, String> overrides) {
        Map<String, String> h = new HashMap<>(Map.of("Authorization", AUTH, "Host", "127.0.0.1:8080", "Content-Type", "application/json",
                ApiGuard.CSRF_HEADER, token));
        h.putAll(overrides);
        h.values().removeIf(v -> v.isEmpty());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return api.handle(new RestApi.Request("POST", path, h::get, "http", bytes.length, new ByteArrayInputStream(bytes), "127.0.0.1", 8080));
    }

    private RestApi.Reply post(String path, String body) {
        return post(path, body, Map.of());
    }

    /** Asserts a refusal: its status, a one-line JSON error, and that the loop kept its settings. */
    private void assertRefused(int status, String messagePart, RestApi.Reply reply) {
        assertEquals(status, reply.status(), reply.json());
        assertTrue(reply.json().startsWith("{\"error\":\"") && reply.json().contains(messagePart), reply.json());
        assertFalse(reply.json().contains("Exception") || reply.json().contains("\\n\\tat "), "no stack trace: " + reply.json());
        assertEquals(5.0, left.setpoint, "setpoint unchanged");
        assertEquals(PidGains.of(0.1, 0.5, 0), left.gains, "gains unchanged");
        assertEquals(SafetyState.OK, supervisor.state(), "not tripped");
    }

    @Test
    void readsStatusLoopsAndOneLoop() {
        RestApi.Reply status = get("/status", AUTH);
        assertEquals(200, status.status());
        assertTrue(status.json().contains("\"safety\":{\"state\":\"OK\",\"mayMove\":true,\"unhealthy\":[]}"), status.json());
        assertTrue(status.json().contains("\"loops\":[\"left\"]"), status.json());
        RestApi.Reply loops = get("/loops", AUTH);
        assertTrue(loops.json().startsWith("[{\"name\":\"left\",\"unit\":\"rad/s\",\"setpoint\":5.0"), loops.json());
        assertTrue(loops.json().contains("\"gains\":{\"kp\":0.1,\"ki\":0.5,\"kd\":0.0,\"ks\":0.0,\"kv\":0.0}"), loops.json());
        assertEquals(200, get("/loops/left", AUTH).status());
        assertEquals(404, get("/loops/right", AUTH).status());
        assertEquals(404, get("/nothing", AUTH).status());
    }

    @Test
    void setsSetpointGainsAndController() {
        RestApi.Reply r = post("/loops/left/setpoint", "{\"setpoint\": 10}");
        assertEquals(200, r.status(), r.json());
        assertEquals(10.0, left.setpoint);
        assertTrue(r.json().contains("\"setpoint\":10.0"), r.json());

        assertEquals(200, post("/loops/left/gains", "{\"kp\": 0.2, \"kd\": 0.01}").status());
        assertEquals(new PidGains(0.2, 0.5, 0.01, 0, 0), left.gains, "ki kept, kp and kd set");

        assertEquals(200, post("/loops/left/controller", "{\"name\": \"lqr\"}").status());
        assertEquals("lqr", left.controller);
    }

    @Test
    void estopTripsWithTheReasonAndResetClearsIt() {
        RestApi.Reply r = post("/estop", "{\"reason\": \"operator saw smoke\"}");
        assertEquals(200, r.status(), r.json());
        assertEquals(SafetyState.TRIPPED, supervisor.state());
        assertEquals(new TripReason("estop:web", "operator saw smoke", 0), supervisor.trip.get());
        assertTrue(r.json().contains("\"reason\":\"operator saw smoke\""), r.json());

        supervisor.unhealthy = "imu stalled";
        assertEquals(409, post("/reset", "").status(), "refused while a condition is unhealthy");
        assertEquals(SafetyState.TRIPPED, supervisor.state());
        assertTrue(get("/status", AUTH).json().contains("\"unhealthy\":[\"imu stalled\"]"), "the status says what a reset waits for: " + get("/status", AUTH).json());
        supervisor.unhealthy = null;
        assertEquals(200, post("/reset", "").status());
        assertEquals(SafetyState.OK, supervisor.state());

        assertEquals(200, post("/estop", "").status(), "a reason is optional");
        assertEquals("e-stop from the REST API", supervisor.trip.get().message());
    }

    @Test
    void aResetMovesNothingAndASetpointWhileTrippedIsRefused() {
        assertEquals(200, post("/loops/left/setpoint", "{\"setpoint\": 12}").status());
        assertEquals(12.0, left.setpoint);
        post("/estop", "{}");
        left.setpoint = 0; // what the loop does on a trip
        RestApi.Reply refused = post("/loops/left/setpoint", "{\"setpoint\": 12}");
        assertEquals(409, refused.status(), refused.json());
        assertTrue(refused.json().contains("tripped"), refused.json());
        assertEquals(200, post("/reset", "{}").status());
        assertEquals(0.0, left.setpoint, "the reset restarted nothing");
    }

    @Test
    void aHostThatIsNotTheAddressConnectedToIsRefusedAsDnsRebinding() {
        Map<String, String> rebinding = Map.of("Authorization", AUTH, "Host", "rebind.evil.example:8080", "Origin", "http://rebind.evil.example:8080");
        RestApi.Reply r = api.handle(new RestApi.Request("GET", "/status", rebinding::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                "127.0.0.1", 8080));
        assertRefused(403, "Host rebind.evil.example:8080 is not this server", r);
        for (String host : new String[] {"127.0.0.1:8080", "localhost:8080", "[::1]:8080"}) {
            Map<String, String> h = Map.of("Authorization", AUTH, "Host", host);
            assertEquals(200, api.handle(new RestApi.Request("GET", "/status", h::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                    "127.0.0.1", 8080)).status(), host);
        }
        Map<String, String> otherPort = Map.of("Authorization", AUTH, "Host", "127.0.0.1:9999");
        assertEquals(403, api.handle(new RestApi.Request("GET", "/status", otherPort::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                "127.0.0.1", 8080)).status());
        Map<String, String> lan = Map.of("Authorization", AUTH, "Host", "192.168.1.5:8080");
        assertEquals(200, api.handle(new RestApi.Request("GET", "/status", lan::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                "192.168.1.5", 8080)).status(), "the robot's own address, as a client on the network addresses it");
        Map<String, String> named = Map.of("Authorization", AUTH, "Host", "robot.local:8080");
        assertEquals(403, api.handle(new RestApi.Request("GET", "/status", named::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                "192.168.1.5", 8080)).status());
        api.guard().allowHosts("robot.local");
        assertEquals(200, api.handle(new RestApi.Request("GET", "/status", named::get, "http", 0, new ByteArrayInputStream(new byte[0]),
                "192.168.1.5", 8080)).status(), "a name the operator allowed");
    }

    @Test
    void anEstopWithoutTheCommandServiceStillTripsTheSupervisorSoItStaysLatched() {
        api.setCommands(null);
        assertEquals(200, post("/estop", "{\"reason\": \"no command path\"}").status());
        assertEquals(SafetyState.TRIPPED, supervisor.state(), "a bare revoke would be undone by the supervisor's next feed");
        assertEquals(new TripReason("estop:web", "no command path", 0), supervisor.trip.get());
    }

    @Test
    void anEstopWithoutASupervisorOrCommandServiceStillAnswers200() {
        api.setSafety(null);
        api.setCommands(new FakeMotionCommands(null, left));
        RestApi.Reply r = post("/estop", "{}");
        assertEquals(200, r.status(), r.json());
        assertTrue(r.json().contains("nothing moves"), r.json());
        api.setCommands(null);
        assertEquals(200, post("/estop", "{}").status(), "not even the command path: the boards are revoked from here");
        assertEquals(409, post("/loops/left/setpoint", "{\"setpoint\": 1}").status(), "and nothing moves");
    }

    @Test
    void refusesMissingOrWrongCredentials() {
        assertRefused(401, "authentication required", get("/status", null));
        assertRefused(401, "wrong user or password", post("/loops/left/setpoint", "{\"setpoint\": 10}",
                Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:s3cre".getBytes(StandardCharsets.UTF_8)))));
        assertRefused(401, "not valid Basic", post("/estop", "{}", Map.of("Authorization", "Basic %%%")));
    }

    @Test
    void refusesPostsWithoutTheTokenFromAnotherOriginOrNotJson() {
        assertRefused(403, "X-Armature-CSRF", post("/loops/left/setpoint", "{\"setpoint\": 10}", Map.of(ApiGuard.CSRF_HEADER, "")));
        assertRefused(403, "X-Armature-CSRF", post("/estop", "{}", Map.of(ApiGuard.CSRF_HEADER, token + "x")));
        assertRefused(403, "cross-origin", post("/estop", "{}", Map.of("Origin", "http://evil.example")));
        assertRefused(403, "cross-origin", post("/estop", "{}", Map.of("Origin", "null")));
        assertRefused(403, "cross-origin", get("/csrf", AUTH, Map.of("Origin", "http://evil.example")));
        assertEquals(200, get("/csrf", AUTH, Map.of("Origin", "http://127.0.0.1:8080")).status(), "a page of this server may read it");
        assertRefused(415, "application/json", post("/loops/left/setpoint", "{\"setpoint\": 10}", Map.of("Content-Type", "text/plain")));
        assertRefused(405, "not allowed", api.handle(new RestApi.Request("DELETE", "/loops/left", Map.of("Authorization", AUTH)::get, "http", 0,
                new ByteArrayInputStream(new byte[0]), "127.0.0.1", 8080)));
        assertEquals(200, post("/loops/left/setpoint", "{\"setpoint\": 10}",
                Map.of("Origin", "http://127.0.0.1:8080", "Content-Type", "application/json; charset=utf-8")).status(), "own origin");
    }

    @Test
    void refusesHugeBodiesDeclaredOrNot() {
        String huge = "{\"setpoint\": 10, \"x\": \"" + "a".repeat(100 * 1024) + "\"}";
        assertRefused(413, "larger than 4096 bytes", post("/loops/left/setpoint", huge));
        byte[] bytes = huge.getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = Map.of("Authorization", AUTH, "Host", "127.0.0.1:8080", "Content-Type", "application/json",
                ApiGuard.CSRF_HEADER, token);
        assertRefused(413, "larger than", api.handle(new RestApi.Request("POST", "/loops/left/setpoint", h::get, "http", -1,
                new ByteArrayInputStream(bytes), "127.0.0.1", 8080)));
    }

    @Test
    void refusesBadJsonWrongTypesAndValuesTheLoopRefuses() {
        assertRefused(400, "malformed JSON at line 1", post("/loops/left/setpoint", "{\"setpoint\": 10"));
        assertRefused(400, "malformed JSON", post("/loops/left/setpoint", "{\"setpoint\": NaN}"));
        assertRefused(400, "must be a JSON object", post("/loops/left/setpoint", "[10]"));
        assertRefused(400, "setpoint must be a number, was the string \\\"10\\\"", post("/loops/left/setpoint", "{\"setpoint\": \"10\"}"));
        assertRefused(400, "setpoint must be a number, was true", post("/loops/left/setpoint", "{\"setpoint\": true}"));
        assertRefused(400, "setpoint is required", post("/loops/left/setpoint", "{}"));
        assertRefused(400, "unknown field 'setpiont'", post("/loops/left/setpoint", "{\"setpiont\": 10}"));
        assertRefused(400, "Duplicate field 'setpoint'", post("/loops/left/setpoint", "{\"setpoint\": 1, \"setpoint\": 2}"));
        assertRefused(400, "must not be null", post("/loops/left/setpoint", "{\"setpoint\": null}"));
        assertRefused(400, "beyond", post("/loops/left/setpoint", "{\"setpoint\": 25}"));
        assertRefused(400, "finite", post("/loops/left/setpoint", "{\"setpoint\": 1e400}"));
        assertRefused(400, "kp must be a finite number of at least 0", post("/loops/left/gains", "{\"kp\": -1, \"ki\": 0.1, \"kd\": 0}"));
        assertRefused(400, "kd must be a number", post("/loops/left/gains", "{\"kp\": 0.3, \"kd\": \"x\"}"));
        assertRefused(400, "at least one of", post("/loops/left/gains", "{}"));
        assertRefused(400, "no controller 'foo'", post("/loops/left/controller", "{\"name\": \"foo\"}"));
        assertRefused(400, "reason must be one line", post("/estop", "{\"reason\": \"two\\nlines\"}"));
        assertRefused(404, "no loop 'right'; loops: left", post("/loops/right/setpoint", "{\"setpoint\": 10}"));
    }
    /** A deployer that knows sim-rover (installed) and sim-rover-next, and answers apply with a set outcome. */
    private static final class FakeDeployer implements FeatureDeployer {
        final List<String> applied = new ArrayList<>();
        ApplyResult.Outcome outcome = ApplyResult.Outcome.APPLIED;

        @Override
        public List<String> available() {
            return List.of("sim-rover", "sim-rover-next");
        }

        @Override
        public Optional<String> installed() {
            return Optional.of("sim-rover");
        }

        @Override
        public List<BundleChange> diff(String feature) {
            if (!available().contains(feature)) {
                throw new IllegalArgumentException("no feature '" + feature + "' in /repo; available: sim-rover, sim-rover-next");
            }
            return feature.equals("sim-rover") ? List.of()
                    : List.of(new BundleChange(BundleChange.Kind.UPDATE, "armature.board.sim", "0.1.0", "0.1.1"));
        }

        @Override
        public ApplyResult apply(String feature) {
            applied.add(feature);
            return new ApplyResult(feature, outcome, outcome == ApplyResult.Outcome.APPLIED ? "applied" : "failed the health gate; rolled back",
                    diff(feature), 42);
        }

        final List<String> swapped = new ArrayList<>();

        @Override
        public ApplyResult swap(String symbolicName, byte[] jar) {
            swapped.add(symbolicName + " " + jar.length + " bytes");
            return new ApplyResult("sim-rover", outcome, outcome == ApplyResult.Outcome.APPLIED ? "swapped" : "failed the health gate; rolled back",
                    List.of(new BundleChange(BundleChange.Kind.UPDATE, symbolicName, "0.1.0", "0.1.1")), 42);
        }

        ChangeProgress progress;

        @Override
        public Optional<ChangeProgress> progress() {
            return Optional.ofNullable(progress);
        }
    }

    /** A recorder that writes a few bytes into the file it is given, into a directory of the test's. */
    private static final class FakeRecorder implements Recorder {
        final Path directory;
        RecordingStatus status;

        FakeRecorder(Path directory) {
            this.directory = directory;
        }

        @Override
        public RecordingStatus start(Path file, List<String> streams, double seconds) throws IOException {
            if (status != null && status.running()) {
                throw new IllegalStateException("a recording to " + status.file() + " runs; stop it first (robot:record stop)");
            }
            Files.write(file, new byte[] {(byte) 0x89, 'M', 'C', 'A', 'P'});
            status = new RecordingStatus(file, true, 0.0, Map.of("imu", 0L), Map.of("imu", 0L), 5, null);
            return status;
        }

        @Override
        public Optional<RecordingStatus> stop() {
            if (status == null) {
                return Optional.empty();
            }
            status = new RecordingStatus(status.file(), false, 1.5, Map.of("imu", 1500L), Map.of("imu", 0L), 5, null);
            return Optional.of(status);
        }

        @Override
        public Optional<RecordingStatus> status() {
            return Optional.ofNullable(status);
        }

        @Override
        public Path directory() {
            return directory;
        }
    }

    @Test
    void recordingStartsAndStopsByNameOnlyAndItsFileDownloads(@org.junit.jupiter.api.io.TempDir Path dir) {
        assertRefused(404, "no recorder is installed (bundle armature.recording)", get("/recording", AUTH));
        FakeRecorder recorder = new FakeRecorder(dir);
        api.setRecorder(recorder);
        assertEquals("{\"recording\":null}", get("/recording", AUTH).json());
        assertRefused(400, "a recording's name is letters, digits, '.', '_' and '-', ending in .mcap, was ../../etc/x.mcap",
                post("/recording/start", "{\"name\": \"../../etc/x.mcap\"}"));
        assertRefused(400, "unknown field 'path'", post("/recording/start", "{\"path\": \"/tmp/x.mcap\"}"));
        assertRefused(403, "missing or wrong X-Armature-CSRF header", post("/recording/start", "{}", Map.of(ApiGuard.CSRF_HEADER, "")));
        assertEquals(List.of(), List.of(dir.toFile().list()), "nothing written for a refused start");

        RestApi.Reply started = post("/recording/start", "{\"name\": \"run-1.mcap\", \"streams\": \"imu\", \"seconds\": 2}");
        assertEquals(200, started.status(), started.json());
        assertEquals("{\"recording\":{\"name\":\"run-1.mcap\",\"running\":true,\"seconds\":0.0,\"bytes\":5,\"messages\":{\"imu\":0},"
                + "\"lost\":{\"imu\":0},\"error\":null}}", started.json());
        assertRefused(409, "a recording named run-1.mcap exists; choose another name", post("/recording/start", "{\"name\": \"run-1.mcap\"}"));
        assertRefused(409, "a recording to " + dir.resolve("run-1.mcap") + " runs", post("/recording/start", "{\"name\": \"run-2.mcap\"}"));
        RestApi.Reply stopped = post("/recording/stop", "{}");
        assertEquals(200, stopped.status(), stopped.json());
        assertTrue(stopped.json().contains("\"running\":false,\"seconds\":1.5"), stopped.json());

        assertEquals("{\"recordings\":[{\"name\":\"run-1.mcap\",\"bytes\":5}]}", get("/recordings", AUTH).json());
        RestApi.Reply file = get("/recordings/run-1.mcap", AUTH);
        assertEquals(200, file.status());
        assertEquals(dir.resolve("run-1.mcap"), file.file(), "the file itself is the body");
        assertEquals("application/octet-stream", file.contentType());
        assertRefused(404, "no recording named nope.mcap", get("/recordings/nope.mcap", AUTH));
        assertRefused(400, "ending in .mcap", get("/recordings/..%2Fsecret", AUTH));
        assertRefused(401, "authentication required", get("/recordings/run-1.mcap", null));
    }

    @Test
    void deploymentShowsTheStepsOfTheRunningChangeAndThenItsResult() {
        FakeDeployer d = new FakeDeployer();
        api.setDeployer(d);
        assertEquals("{\"change\":null}", get("/deployment", AUTH).json(), "no change yet");
        d.progress = new ChangeProgress("feature sim-rover-next", true, List.of("verified 1 jar: manifest and SHA-256",
                "installed armature.board.sim 0.1.1 beside 0.1.0"), 120, null);
        assertEquals("{\"change\":\"feature sim-rover-next\",\"running\":true,\"elapsedMillis\":120,\"steps\":[\"verified 1 jar: "
                + "manifest and SHA-256\",\"installed armature.board.sim 0.1.1 beside 0.1.0\"],\"result\":null}", get("/deployment", AUTH).json());
        d.progress = new ChangeProgress("feature sim-rover-next", false, List.of("health gate passed"), 900,
                new ApplyResult("sim-rover-next", ApplyResult.Outcome.ROLLED_BACK, "failed; rolled back", List.of(), 900));
        assertEquals("{\"change\":\"feature sim-rover-next\",\"running\":false,\"elapsedMillis\":900,\"steps\":[\"health gate passed\"],"
                + "\"result\":{\"feature\":\"sim-rover-next\",\"outcome\":\"ROLLED_BACK\",\"message\":\"failed; rolled back\",\"millis\":900,"
                + "\"changes\":[],\"error\":\"failed; rolled back\"}}", get("/deployment", AUTH).json());
        assertRefused(401, "authentication required", get("/deployment", null));
    }

    @Test
    void aSwapTakesTheJarAsTheBodyWithTheCsrfTokenAndAnswersWithTheOutcome() {
        FakeDeployer d = new FakeDeployer();
        api.setDeployer(d);
        String jar = "PK-pretend-jar";
        assertRefused(403, "missing or wrong X-Armature-CSRF header", post("/bundles/armature.control/swap", jar,
                Map.of("Content-Type", "application/java-archive", ApiGuard.CSRF_HEADER, "")));
        assertRefused(403, "cross-origin request refused: Origin http://evil.example is not this server", post("/bundles/armature.control/swap", jar,
                Map.of("Content-Type", "application/java-archive", "Origin", "http://evil.example")));
        assertRefused(415, "Content-Type must be application/java-archive (the jar is the body)", post("/bundles/armature.control/swap", jar));
        assertEquals(List.of(), d.swapped, "nothing reached the deployer");

        RestApi.Reply ok = post("/bundles/armature.control/swap", jar, Map.of("Content-Type", "application/java-archive"));
        assertEquals(200, ok.status(), ok.json());
        assertEquals("{\"feature\":\"sim-rover\",\"outcome\":\"APPLIED\",\"message\":\"swapped\",\"millis\":42,\"changes\":[{\"kind\":\"UPDATE\","
                + "\"bundle\":\"armature.control\",\"from\":\"0.1.0\",\"to\":\"0.1.1\"}]}", ok.json());
        assertEquals(List.of("armature.control 14 bytes"), d.swapped, "the body went to the deployer whole");

        d.outcome = ApplyResult.Outcome.ROLLED_BACK;
        RestApi.Reply back = post("/bundles/armature.control/swap", jar, Map.of("Content-Type", "application/octet-stream"));
        assertEquals(409, back.status(), back.json());
        assertTrue(back.json().contains("\"error\":\"failed the health gate; rolled back\""), back.json());
    }

    @Test
    void featuresListsWhatApplyingEachWouldChange() {
        api.setDeployer(new FakeDeployer());
        RestApi.Reply r = get("/features", AUTH);
        assertEquals(200, r.status(), r.json());
        assertEquals("{\"installed\":\"sim-rover\",\"features\":[{\"name\":\"sim-rover\",\"installed\":true,\"changes\":[]},"
                + "{\"name\":\"sim-rover-next\",\"installed\":false,\"changes\":[{\"kind\":\"UPDATE\",\"bundle\":\"armature.board.sim\","
                + "\"from\":\"0.1.0\",\"to\":\"0.1.1\"}]}]}", r.json());
    }

    @Test
    void applyAnswers200WhenAppliedAnd409WhenRolledBack() {
        FakeDeployer d = new FakeDeployer();
        api.setDeployer(d);
        RestApi.Reply ok = post("/features/sim-rover-next/apply", "{}");
        assertEquals(200, ok.status(), ok.json());
        assertTrue(ok.json().startsWith("{\"feature\":\"sim-rover-next\",\"outcome\":\"APPLIED\",\"message\":\"applied\",\"millis\":42,"), ok.json());
        d.outcome = ApplyResult.Outcome.ROLLED_BACK;
        RestApi.Reply back = post("/features/sim-rover-next/apply", "{}");
        assertEquals(409, back.status(), back.json());
        assertTrue(back.json().contains("\"outcome\":\"ROLLED_BACK\"") && back.json().contains("\"error\":\"failed the health gate; rolled back\""),
                back.json());
        assertEquals(List.of("sim-rover-next", "sim-rover-next"), d.applied);
    }

    @Test
    void applyIsRefusedWithoutTheGuardsOrForAnUnknownFeatureAndNothingIsApplied() {
        FakeDeployer d = new FakeDeployer();
        api.setDeployer(d);
        assertEquals(403, post("/features/sim-rover-next/apply", "{}", Map.of(ApiGuard.CSRF_HEADER, "")).status());
        assertEquals(415, post("/features/sim-rover-next/apply", "{}", Map.of("Content-Type", "text/plain")).status());
        assertEquals(400, post("/features/sim-rover-next/apply", "{\"force\": true}").status());
        RestApi.Reply unknown = post("/features/moon-rover/apply", "{}");
        assertEquals(404, unknown.status(), unknown.json());
        assertEquals("{\"error\":\"no feature 'moon-rover' in /repo; available: sim-rover, sim-rover-next\"}", unknown.json());
        assertEquals(List.of(), d.applied);
    }

    @Test
    void withoutADeployerFeaturesAreNotFound() {
        RestApi.Reply r = get("/features", AUTH);
        assertEquals(404, r.status());
        assertEquals("{\"error\":\"no feature deployer is installed (bundle armature.deploy)\"}", r.json());
    }
}
