package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;

import io.armature.control.ControlLoop;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.testing.FakeLoop;
import io.armature.testing.FakeSupervisor;
import io.armature.testing.ComponentConfigs;

/** The component with stand-in wheel loops and supervisor, driven over a real WebSocket on 127.0.0.1. */
class RosBridgeTest {

    private final FakeLoop left = new FakeLoop("left", 30);
    private final FakeLoop right = new FakeLoop("right", 30);
    private final FakeSupervisor supervisor = new FakeSupervisor();
    private RosBridge bridge;
    private Client client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.closeBlocking();
        }
        if (bridge != null) {
            bridge.deactivate();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private int start(Object... settings) throws Exception {
        Map<String, Object> m = new HashMap<>();
        int port = freePort();
        m.put("rosbridgePort", port);
        m.put("foxglovePort", 0);
        for (int i = 0; i < settings.length; i += 2) {
            m.put((String) settings[i], settings[i + 1]);
        }
        bridge = new RosBridge();
        bridge.setLogger(quietLogger());
        bridge.addLoop(left, Map.of(ControlLoop.PROPERTY_NAME, "left"));
        bridge.addLoop(right, Map.of(ControlLoop.PROPERTY_NAME, "right"));
        setSafety(supervisor);
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, method, args) -> method.getName().equals("getProperty") ? "test-rover" : null);
        bridge.activate(context, ComponentConfigs.of(RosBridge.Config.class, m));
        client = new Client(new URI("ws://127.0.0.1:" + port));
        assertTrue(client.connectBlocking(5, TimeUnit.SECONDS), "connected");
        return port;
    }

    private void setSafety(SafetySupervisor s) throws Exception {
        var f = RosBridge.class.getDeclaredField("safety");
        f.setAccessible(true);
        f.set(bridge, s);
    }

    private static Logger quietLogger() {
        return (Logger) Proxy.newProxyInstance(RosBridgeTest.class.getClassLoader(), new Class<?>[] {Logger.class},
                (p, method, args) -> method.getReturnType() == boolean.class ? false : method.getName().equals("getName") ? "test" : null);
    }

    private void cmdVel(String twist) {
        client.send("{\"op\":\"publish\",\"id\":\"p\",\"topic\":\"/cmd_vel\",\"msg\":" + twist + "}");
    }

    @Test
    void aTwistSetsTheWheelSetpointsAndAStaleOneStopsThem() throws Exception {
        start("cmdVelTimeoutMillis", 300);
        client.send("{\"op\":\"advertise\",\"topic\":\"/cmd_vel\",\"type\":\"geometry_msgs/Twist\"}");
        cmdVel("{\"linear\":{\"x\":0.2},\"angular\":{\"z\":1.0}}");
        assertTrue(Poll.until(10_000, () -> left.setpoint != 0), "the left wheel got a setpoint");
        assertEquals(2.5, left.setpoint, 1e-9, "(0.2 - 1.0 * 0.1) / 0.04 rad/s");
        assertEquals(7.5, right.setpoint, 1e-9, "(0.2 + 1.0 * 0.1) / 0.04 rad/s");
        long t0 = System.nanoTime();
        assertTrue(Poll.until(10_000, () -> left.setpoint == 0 && right.setpoint == 0), "stale /cmd_vel stops the wheels");
        long waited = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waited >= 150, "not before the timeout: " + waited + " ms");
    }

    @Test
    void aBadTwistIsRefusedWithAStatusAndMovesNothing() throws Exception {
        start();
        String[] bad = {"{\"linear\":{\"x\":null}}", "{\"linear\":{\"x\":\"1\"}}", "{\"linear\":{\"x\":1e300}}",
                "{\"linear\":{\"x\":0.1,\"y\":0.3}}"};
        for (String b : bad) {
            cmdVel(b);
            String status = client.next();
            assertTrue(status.startsWith("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"/cmd_vel refused, no motion: "), b + " -> " + status);
        }
        cmdVel("[0.1]");
        assertEquals("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"publish on /cmd_vel needs \\\"msg\\\", a JSON object; was [0.1]\","
                + "\"id\":\"p\"}", client.next());
        client.send("{\"op\":\"publish\",\"topic\":\"/cmd_vel\",\"msg\":{\"linear\":{\"x\":0.1}}");
        assertTrue(client.next().contains("malformed JSON"), "a broken frame");
        Thread.sleep(100);
        assertEquals(0, left.sets + right.sets, "no setpoint was written");
    }

    @Test
    void aTrippedRobotDoesNotMoveOnCmdVelAndATripStopsWheelsItMoved() throws Exception {
        start("cmdVelTimeoutMillis", 10_000);
        cmdVel("{\"linear\":{\"x\":0.1}}");
        assertTrue(Poll.until(10_000, () -> left.setpoint == 2.5), "moving");
        supervisor.trip = Optional.of(new TripReason("gogo", "e-stop pressed", System.nanoTime()));
        assertTrue(Poll.until(10_000, () -> left.setpoint == 0 && right.setpoint == 0), "the trip set the wheels to 0");
        int sets = left.sets;
        cmdVel("{\"linear\":{\"x\":0.1}}");
        String status = client.next();
        assertEquals("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"/cmd_vel refused, no motion: the robot is tripped (gogo: e-stop pressed); "
                + "reset it first\",\"id\":\"p\"}", status);
        assertEquals(sets, left.sets, "no setpoint while tripped");
    }

    @Test
    void stoppingTheBridgeStopsTheWheelsItMoved() throws Exception {
        start("cmdVelTimeoutMillis", 10_000);
        cmdVel("{\"linear\":{\"x\":-0.1}}");
        assertTrue(Poll.until(10_000, () -> left.setpoint == -2.5), "moving");
        client.closeBlocking();
        client = null;
        bridge.deactivate();
        bridge = null;
        assertEquals(0.0, left.setpoint);
        assertEquals(0.0, right.setpoint);
    }

    @Test
    void theTopicListNamesTheRobotsTopics() throws Exception {
        start();
        client.send("{\"op\":\"call_service\",\"id\":\"t\",\"service\":\"rosapi/topics\"}");
        assertEquals("{\"op\":\"service_response\",\"service\":\"rosapi/topics\",\"id\":\"t\",\"values\":{\"topics\":[\"/cmd_vel\",\"/imu\","
                + "\"/joint_states\",\"/odom\"],\"types\":[\"geometry_msgs/msg/Twist\",\"sensor_msgs/msg/Imu\",\"sensor_msgs/msg/JointState\","
                + "\"nav_msgs/msg/Odometry\"]},\"result\":true}", client.next());
    }

    @Test
    void aBadConfigurationIsRefusedAndThePreviousStays() throws Exception {
        int port = start();
        Map<String, Object> m = new HashMap<>(Map.of("rosbridgePort", port, "foxglovePort", 0, "wheelRadius", -1.0));
        bridge.modified(ComponentConfigs.of(RosBridge.Config.class, m));
        client.send("{\"op\":\"call_service\",\"id\":\"t\",\"service\":\"rosapi/topic_type\",\"args\":{\"topic\":\"/odom\"}}");
        assertTrue(client.next().contains("\"values\":{\"type\":\"nav_msgs/msg/Odometry\"}"), "still serving on the same connection");
        assertEquals("wheelRadius must be 0.001..10 m, was -1", org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Settings.of(ComponentConfigs.of(RosBridge.Config.class, m))).getMessage());
    }

    @Test
    void aFrameLargerThanTheLimitClosesTheConnectionBeforeItIsKept() throws Exception {
        start();
        String huge = "{\"op\":\"publish\",\"topic\":\"/cmd_vel\",\"msg\":{\"pad\":\"" + "x".repeat(RosBridge.MAX_FRAME_BYTES) + "\"}}";
        client.send(huge);
        assertTrue(client.closed.await(5, TimeUnit.SECONDS), "closed");
        assertEquals(1009, client.closeCode, "1009: message too big");
        assertEquals(0, left.sets + right.sets);
    }

    @Test
    void aPortInUseIsAClearErrorAndAChangeToOneKeepsTheRunningConfiguration() throws Exception {
        int port = start();
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            RosBridge other = new RosBridge();
            other.setLogger(quietLogger());
            BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                    (p, method, args) -> null);
            String why = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> other.activate(context,
                    ComponentConfigs.of(RosBridge.Config.class, Map.of("rosbridgePort", taken.getLocalPort(), "foxglovePort", 0)))).getMessage();
            assertTrue(why.startsWith("rosbridge cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": "), why);

            bridge.modified(ComponentConfigs.of(RosBridge.Config.class, Map.of("rosbridgePort", taken.getLocalPort(), "foxglovePort", 0)));
        }
        Client again = new Client(new URI("ws://127.0.0.1:" + port));
        try {
            assertTrue(again.connectBlocking(5, TimeUnit.SECONDS), "the previous port serves again");
            again.send("{\"op\":\"call_service\",\"id\":\"t\",\"service\":\"rosapi/topics\"}");
            assertTrue(again.next().startsWith("{\"op\":\"service_response\""));
        } finally {
            again.closeBlocking();
        }
    }

    @Test
    void aClientThatStopsReadingIsDroppedAndTheOthersGoOn() throws Exception {
        int port = start("maxQueuedMessages", 50);
        try (java.net.Socket slow = new java.net.Socket("127.0.0.1", port)) {
            slow.setReceiveBufferSize(4096); // small, so the server's side fills soon
            var out = slow.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(maskedTextFrame("{\"op\":\"subscribe\",\"topic\":\"/flood\",\"type\":\"std_msgs/String\"}"));
            out.flush();
            client.send("{\"op\":\"advertise\",\"topic\":\"/flood\",\"type\":\"std_msgs/String\"}");
            String publish = "{\"op\":\"publish\",\"topic\":\"/flood\",\"msg\":{\"data\":\"" + "x".repeat(8_000) + "\"}}";
            // the slow client reads nothing: about 20 MB for it, far beyond the socket buffers
            for (int i = 0; i < 2_500 && bridge.droppedClients() == 0; i++) {
                client.send(publish);
                if (i % 20 == 19) {
                    Thread.sleep(20); // stop soon after the drop: what is sent is handled in order before the call below
                }
            }
            assertTrue(Poll.until(10_000, () -> bridge.droppedClients() == 1), "the slow client was dropped");
            client.send("{\"op\":\"call_service\",\"id\":\"t\",\"service\":\"rosapi/topic_type\",\"args\":{\"topic\":\"/flood\"}}");
            assertEquals("{\"op\":\"service_response\",\"service\":\"rosapi/topic_type\",\"id\":\"t\",\"values\":{\"type\":"
                    + "\"std_msgs/msg/String\"},\"result\":true}", client.next(30), "the publishing client goes on");
        }
    }

    /** One client-to-server WebSocket text frame (RFC 6455: clients mask what they send). */
    private static byte[] maskedTextFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {1, 2, 3, 4};
        java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
        f.write(0x81);
        f.write(0x80 | 126);
        f.write(payload.length >> 8);
        f.write(payload.length & 0xff);
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i % 4]);
        }
        return f.toByteArray();
    }

    /** A WebSocket client that keeps what it receives. */
    private static final class Client extends WebSocketClient {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        volatile int closeCode;

        Client(URI uri) {
            super(uri);
        }

        String next() throws InterruptedException {
            return next(10);
        }

        String next(int seconds) throws InterruptedException {
            String s = received.poll(seconds, TimeUnit.SECONDS);
            assertNotNull(s, "a reply within " + seconds + " s");
            return s;
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
        }

        @Override
        public void onMessage(String message) {
            received.add(message);
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            closeCode = code;
            closed.countDown();
        }

        @Override
        public void onError(Exception ex) {
        }
    }

    static final class Poll {
        static boolean until(long millis, java.util.function.BooleanSupplier c) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000;
            while (System.nanoTime() < end) {
                if (c.getAsBoolean()) {
                    return true;
                }
                Thread.sleep(10);
            }
            return c.getAsBoolean();
        }
    }
}
