package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.armature.control.TunableLoop;

/** WebSocket telemetry of sim-rover at /armature/ws, driven by real clients over TCP. */
class WebSocketTelemetryTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static FeatureRuntime robot;
    private static String password;
    private static String token;
    private static int port;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
        password = robot.consolePassword();
        port = robot.httpPort();
        assertTrue(Poll.until(10_000, () -> get("/armature/api/csrf").statusCode() == 200), "the API is up");
        token = WsClient.token(port, password);
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (robot != null) {
            robot.close();
        }
    }

    private static String basic(String pass) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + pass).getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", basic(password)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** @return the socket's counters (GET /armature/ws with the credentials) */
    private static long counter(String name) throws Exception {
        String body = get("/armature/ws").body();
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(body);
        assertTrue(m.find(), body);
        return Long.parseLong(m.group(1));
    }

    private static int refusal(String query, Map<String, String> headers) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> WsClient.connect(port, query, headers).close());
        assertTrue(e.getCause() instanceof WebSocketHandshakeException, e.toString());
        return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
    }

    @Test
    void telemetryArrivesAtThirtyHertzOrMoreAndFollowsTheLoop() throws Exception {
        TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
        try (WsClient c = WsClient.connect(port, "?token=" + token, Map.of())) {
            assertTrue(Poll.until(2_000, () -> c.messages.get() > 0), "a first message");
            long before = c.messages.get();
            Thread.sleep(2_000);
            long perSecond = (c.messages.get() - before) / 2;
            assertTrue(perSecond >= 30, perSecond + " messages a second");
            assertTrue(c.last().matches("\\{\"seq\":\\d+,\"t\":[\\d.]+,\"safety\":\\{\"state\":\"OK\",\"mayMove\":true,\"unhealthy\":\\[\\]\\},"
                    + "\"loops\":\\[\\{\"name\":\"left\",\"setpoint\":0\\.0,\"measurement\":.*,\"output\":.*,\"cycles\":\\d+,\"overruns\":\\d+\\},"
                    + "\\{\"name\":\"right\".*\\]\\}"), c.last() + "\n" + robot.gogo("robot:loops"));

            left.setSetpoint(15);
            assertTrue(Poll.until(3_000, () -> c.last().matches(".*\"name\":\"left\",\"setpoint\":15\\.0,\"measurement\":(14\\.[5-9]|15\\.[0-4]).*")),
                    c.last());
        } finally {
            left.setSetpoint(0);
        }
    }

    @Test
    void aHandshakeWithoutTheTokenFromAnotherSiteOrWithWrongCredentialsIsRefused() throws Exception {
        long refusedBefore = counter("refused");
        assertEquals(403, refusal("", Map.of()));
        assertEquals(403, refusal("?token=not-the-token", Map.of()));
        assertEquals(403, refusal("?token=" + token, Map.of("Origin", "http://evil.example")));
        assertEquals(401, refusal("?token=" + token, Map.of("Authorization", basic("wrong"))));
        assertEquals(refusedBefore + 4, counter("refused"));
        // the same origin, and the right credentials with the token, are welcome
        try (WsClient c = WsClient.connect(port, "?token=" + token, Map.of("Origin", "http://127.0.0.1:" + port, "Authorization", basic(password)))) {
            assertTrue(Poll.until(2_000, () -> c.messages.get() > 0));
        }
        // the counters need the credentials
        HttpResponse<String> anonymous = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/armature/ws")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
    }

    @Test
    void anOversizedMessageClosesTheSocketWith1009() throws Exception {
        try (WsClient c = WsClient.connect(port, "?token=" + token, Map.of())) {
            c.socket().sendText("{\"hello\": 1}", true).get(5, TimeUnit.SECONDS);
            c.socket().sendText("x".repeat(5000), true).get(5, TimeUnit.SECONDS);
            assertEquals(1009, c.closeCode.get(5, TimeUnit.SECONDS), c.closeReason());
        }
        assertTrue(counter("closedTooLarge") >= 1);
    }

    @Test
    void aClientThatFloodsIsClosedWith1008() throws Exception {
        try (WsClient c = WsClient.connect(port, "?token=" + token, Map.of())) {
            // 60 at once: ten beyond the 50 a second allowed, then silence. A client that writes on
            // after the server cut the connection sees its own broken pipe before the close frame it
            // was sent (seen under full-suite load with 500): that race is the client's, not the rule's.
            for (int i = 0; i < 60 && !c.closeCode.isDone(); i++) {
                try {
                    c.socket().sendText("{\"n\": " + i + "}", true).get(5, TimeUnit.SECONDS);
                } catch (ExecutionException closedMeanwhile) {
                    break;
                }
            }
            assertEquals(1008, c.closeCode.get(5, TimeUnit.SECONDS), c.closeReason());
            assertTrue(c.closeReason().startsWith("more than"), c.closeReason());
        }
        assertTrue(counter("closedFlooding") >= 1);
    }

    @Test
    void aClientThatNeverReadsIsDroppedWhileTheOthersKeepTheirRateAndTheQueuesStayBounded() throws Exception {
        long droppedBefore = counter("droppedSlow");
        List<WsClient> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            readers.add(WsClient.connect(port, "?token=" + token, Map.of()));
        }
        try (Socket stalled = WsClient.neverReading(port, token)) {
            long start = System.nanoTime();
            long[] before = readers.stream().mapToLong(r -> r.messages.get()).toArray();
            assertTrue(Poll.until(60_000, () -> counter("droppedSlow") > droppedBefore), "the stalled client is dropped: " + get("/armature/ws").body());
            double seconds = (System.nanoTime() - start) / 1e9;
            for (int i = 0; i < readers.size(); i++) {
                double rate = (readers.get(i).messages.get() - before[i]) / seconds;
                assertTrue(rate >= 30, "a reading client got " + rate + " messages a second meanwhile");
                assertTrue(!readers.get(i).closeCode.isDone(), "a reading client stays connected");
            }
            // at most a queue's worth per client ever waited: 32 messages of well under 1 KiB
            long maxQueued = counter("maxQueuedBytes");
            assertTrue(maxQueued <= 5L * 32 * 1024, "queued at most " + maxQueued + " bytes");
            // and the server let go of the connection: the stalled client finds the end of its stream
            assertTrue(Poll.until(5_000, () -> counter("clients") == readers.size()), get("/armature/ws").body());
            stalled.setSoTimeout(5_000);
            InputStream in = stalled.getInputStream();
            byte[] buf = new byte[65536];
            int n;
            try {
                while ((n = in.read(buf)) >= 0) {
                    assertTrue(n >= 0);
                }
            } catch (java.net.SocketException reset) {
                // an aborted connection may end in a reset rather than an orderly end of stream
            }
        } finally {
            readers.forEach(WsClient::close);
        }
    }
}
