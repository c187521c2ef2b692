package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.hal.PwmOutput;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;

/** The JSON REST API of sim-rover, driven over HTTP as an operator's script would, with the console password. */
class RestApiTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static FeatureRuntime robot;
    private static String password;
    private static String base;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
        Matcher m = Pattern.compile("Web Console user 'admin', password (\\S+) \\(shown once").matcher(robot.console());
        assertTrue(m.find(), robot.console());
        password = m.group(1);
        base = "http://127.0.0.1:" + robot.httpPort() + "/armature/api/";
        assertTrue(Poll.until(10_000, () -> get("status", password).statusCode() == 200), "the API is up");
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    @AfterEach
    void rest() throws Exception {
        SafetySupervisor s = supervisor();
        if (!s.mayMove()) {
            s.reset("test");
        }
        loop("left").setSetpoint(0);
        loop("right").setSetpoint(0);
    }

    private static HttpRequest.Builder request(String path, String pass) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (pass != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + pass).getBytes(StandardCharsets.UTF_8)));
        }
        return b;
    }

    private static HttpResponse<String> get(String path, String pass) throws Exception {
        return CLIENT.send(request(path, pass).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String token() throws Exception {
        HttpResponse<String> r = get("csrf", password);
        assertEquals(200, r.statusCode(), r.body());
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    /** A POST as the README shows it: credentials, the CSRF token, a JSON body. */
    private static HttpResponse<String> post(String path, String json) throws Exception {
        return send(request(path, password).header("X-Armature-CSRF", token()).header("Content-Type", "application/json"), json);
    }

    private static HttpResponse<String> send(HttpRequest.Builder b, String body) throws Exception {
        return CLIENT.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static TunableLoop loop(String name) throws Exception {
        return robot.service(TunableLoop.class, "(armature.loop.name=" + name + ")", 10_000);
    }

    private static SafetySupervisor supervisor() throws Exception {
        return robot.service(SafetySupervisor.class, null, 10_000);
    }

    @Test
    void statusShowsSafetyBoardsLoopsAndStreams() throws Exception {
        HttpResponse<String> status = get("status", password);
        assertEquals(200, status.statusCode());
        assertEquals("application/json", status.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        assertTrue(status.body().startsWith("{\"safety\":{\"state\":\"OK\",\"mayMove\":true,\"unhealthy\":[]}"), status.body());
        assertTrue(status.body().contains("\"loops\":[\"left\",\"right\"]"), status.body());
        assertTrue(status.body().contains("\"streams\":[\"encoder.left\",\"encoder.right\",\"imu\",\"loop.left\",\"loop.right\",\"motion.commands\"]"),
                "the sensor streams, the loops' cycle streams and the motion commands: " + status.body());
        assertTrue(status.body().matches(".*\"boards\":\\[\\{\"id\":\"sim\".*\"motionPermitted\":true.*"), status.body());

        HttpResponse<String> loops = get("loops", password);
        assertTrue(loops.body().matches("\\[\\{\"name\":\"left\",\"unit\":\"rad/s\",\"setpoint\":0\\.0,.*\"controller\":\"pid\".*"
                + "\"rateHz\":1000\\.0.*\\{\"name\":\"right\".*"), loops.body());
        HttpResponse<String> streams = get("streams", password);
        assertTrue(streams.body().matches("\\[\\{\"name\":\"encoder\\.left\",\"rateHz\":1000\\.0,\"readers\":\\d+,\"published\":[1-9]\\d*.*"), streams.body());
    }

    @Test
    void aSetpointPostedDrivesTheSimulatedWheelToThatSpeed() throws Exception {
        HttpResponse<String> r = post("loops/left/setpoint", "{\"setpoint\": 20}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"setpoint\":20.0"), r.body());
        TunableLoop left = loop("left");
        assertEquals(20.0, left.setpoint());
        assertTrue(Poll.until(3_000, () -> Math.abs(left.measurement() - 20) < 0.6), "measured " + left.measurement());
        assertTrue(get("loops/left", password).body().matches(".*\"measurement\":(19\\.[4-9]|20\\.[0-5]).*"), get("loops/left", password).body());
        assertTrue(get("loops/left", password).body().matches(".*\"overruns\":\\d+,\"boundedSteps\":\\d+,.*"), "the stalls whose step was bounded: "
                + get("loops/left", password).body());
    }

    @Test
    void gainsPostedAreTheGainsTheLoopAndGogoSee() throws Exception {
        TunableLoop right = loop("right");
        PidGains before = right.gains();
        try {
            HttpResponse<String> r = post("loops/right/gains", "{\"kp\": 0.05, \"ki\": 0.2, \"kd\": 0}");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(before.withPid(0.05, 0.2, 0), right.gains());
            assertTrue(robot.gogo("robot:pid right").trim().startsWith("right kp 0.05 ki 0.2 kd 0 ks"), robot.gogo("robot:pid right"));
        } finally {
            right.setGains(before);
        }
    }

    @Test
    void estopStopsTheMotorWithTheReasonAndAfterTheResetOnlyANewSetpointDrivesIt() throws Exception {
        PwmOutput pwm = robot.service(PwmOutput.class, "(armature.channel=motor.left.pwm)", 5_000);
        assertEquals(200, post("loops/left/setpoint", "{\"setpoint\": 20}").statusCode());
        assertTrue(Poll.until(3_000, () -> pwm.duty() > 20_000), "driving: duty " + pwm.duty());

        HttpResponse<String> r = post("estop", "{\"reason\": \"hand near the left wheel\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(0, pwm.duty(), "PWM 0 by the time the reply arrives");
        assertEquals(SafetyState.TRIPPED, supervisor().state());
        String status = get("status", password).body();
        assertTrue(status.matches("\\{\"safety\":\\{\"state\":\"TRIPPED\",\"mayMove\":false,\"trip\":\\{\"source\":\"estop:web\","
                + "\"reason\":\"hand near the left wheel\",\"secondsAgo\":[0-9.]+},\"unhealthy\":\\[]}.*"), status);
        assertTrue(robot.gogo("robot:status").contains("estop:web: hand near the left wheel"), robot.gogo("robot:status"));
        Thread.sleep(50);
        assertEquals(0, pwm.duty(), "latched");

        HttpResponse<String> reset = post("reset", "");
        assertEquals(200, reset.statusCode(), reset.body());
        assertEquals("{\"state\":\"OK\",\"mayMove\":true,\"unhealthy\":[]}", reset.body());
        Thread.sleep(500);
        assertEquals(0, pwm.duty(), "a reset moves nothing by itself");
        assertTrue(get("loops/left", password).body().contains("\"setpoint\":0.0"), get("loops/left", password).body());
        assertEquals(200, post("loops/left/setpoint", "{\"setpoint\": 20}").statusCode());
        assertTrue(Poll.until(3_000, () -> pwm.duty() > 20_000), "a new setpoint drives again: duty " + pwm.duty());
    }

    @Test
    void everyBadRequestIsRefusedWithItsStatusAndChangesNothing() throws Exception {
        TunableLoop left = loop("left");
        left.setSetpoint(5);
        PidGains gains = left.gains();
        String token = token();
        HttpRequest.Builder good = request("loops/left/setpoint", password).header("X-Armature-CSRF", token)
                .header("Content-Type", "application/json");
        String ok = "{\"setpoint\": 10}";

        HttpResponse<String> noAuth = send(request("loops/left/setpoint", null).header("X-Armature-CSRF", token)
                .header("Content-Type", "application/json"), ok);
        assertRefused(401, "authentication required", noAuth);
        assertEquals("Basic realm=\"Armature\", charset=\"UTF-8\"", noAuth.headers().firstValue("WWW-Authenticate").orElse(""));
        assertRefused(401, "authentication required", get("status", null));
        assertRefused(401, "wrong user or password", send(request("loops/left/setpoint", password + "x").header("X-Armature-CSRF", token)
                .header("Content-Type", "application/json"), ok));
        assertRefused(401, "wrong user or password", send(request("loops/left/setpoint", "admin").header("X-Armature-CSRF", token)
                .header("Content-Type", "application/json"), ok));
        assertRefused(403, "X-Armature-CSRF", send(request("loops/left/setpoint", password).header("Content-Type", "application/json"), ok));
        assertRefused(403, "X-Armature-CSRF", send(request("estop", password).header("X-Armature-CSRF", "guess")
                .header("Content-Type", "application/json"), "{}"));
        assertRefused(403, "cross-origin request refused: Origin http://evil.example", send(request("estop", password)
                .header("X-Armature-CSRF", token).header("Content-Type", "application/json").header("Origin", "http://evil.example"), "{}"));
        assertRefused(403, "cross-origin request refused", CLIENT.send(request("csrf", password).header("Origin", "http://evil.example").GET().build(),
                HttpResponse.BodyHandlers.ofString()));
        assertRefused(415, "Content-Type must be application/json", send(request("loops/left/setpoint", password)
                .header("X-Armature-CSRF", token).header("Content-Type", "application/x-www-form-urlencoded"), "setpoint=10"));
        assertRefused(413, "larger than 4096 bytes", send(good.copy(), "{\"setpoint\": 10, \"pad\": \"" + "x".repeat(100 * 1024) + "\"}"));
        assertRefused(400, "malformed JSON at line 1", send(good.copy(), "{\"setpoint\": 10"));
        assertRefused(400, "setpoint must be a number, was the string \\\"10\\\"", send(good.copy(), "{\"setpoint\": \"10\"}"));
        assertRefused(400, "malformed JSON", send(good.copy(), "{\"setpoint\": NaN}"));
        assertRefused(400, "setpoint must be a number within ±30.0 rad/s, was Infinity", send(good.copy(), "{\"setpoint\": 1e999}"));
        assertRefused(400, "setpoint must be a number within ±30.0 rad/s, was 99.0", send(good.copy(), "{\"setpoint\": 99}"));
        assertRefused(400, "kp must be a finite number of at least 0, was -1.0", send(request("loops/left/gains", password)
                .header("X-Armature-CSRF", token).header("Content-Type", "application/json"), "{\"kp\": -1, \"ki\": 0, \"kd\": 0}"));
        assertRefused(404, "no loop 'middle'; loops: left, right", send(request("loops/middle/setpoint", password)
                .header("X-Armature-CSRF", token).header("Content-Type", "application/json"), ok));

        assertEquals(gains, left.gains(), "gains unchanged");
        assertEquals(200, send(good.copy(), ok).statusCode(), "the same request, well-formed, is taken");
        assertEquals(10.0, left.setpoint());
    }

    /** Asserts the status, a one-line JSON error and that the left loop and the supervisor were not touched. */
    private static void assertRefused(int status, String messagePart, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse("").split(";")[0], r.body());
        assertTrue(r.body().startsWith("{\"error\":\"") && r.body().contains(messagePart), r.body());
        assertFalse(r.body().contains("Exception") || r.body().contains("\\tat "), "no stack trace: " + r.body());
        TunableLoop left = loop("left");
        assertEquals(5.0, left.setpoint(), "setpoint unchanged after " + r.body());
        assertEquals(SafetyState.OK, supervisor().state(), "not tripped after " + r.body());
    }
}
