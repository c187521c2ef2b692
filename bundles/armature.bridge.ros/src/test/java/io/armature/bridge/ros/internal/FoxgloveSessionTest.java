package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;

class FoxgloveSessionTest {

    private final TopicGraph graph = new TopicGraph();
    private final FakeSocket socket = new FakeSocket("127.0.0.1:2001");
    private final FoxgloveSession client = new FoxgloveSession(graph, new Outbox(socket, 100), "Armature test",
            new ClientAccess(ClientAccess.FOXGLOVE_SOURCE, true, false), 2);
    private final RecordingEnd robot = new RecordingEnd("the robot");

    private static ByteBuffer clientMessage(int channel, String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 1).putInt(channel).put(payload).flip();
        return b;
    }

    @Test
    void greetsWithServerInfoAdvertisesChannelsAndSendsMessageDataToSubscribers() {
        graph.robotTopic("/odom", MessageTypes.ODOMETRY);
        Publisher odom = graph.advertise("/odom", null, robot, Qos.DEFAULT);
        graph.onChange(g -> client.topicsChanged());
        client.opened();
        List<String> hello = socket.take();
        assertTrue(hello.get(0).startsWith("{\"op\":\"serverInfo\",\"name\":\"Armature test\",\"capabilities\":[\"clientPublish\"],"
                + "\"supportedEncodings\":[\"json\"],\"metadata\":{},\"sessionId\":\""), hello.get(0));
        assertTrue(hello.get(1).startsWith("{\"op\":\"advertise\",\"channels\":[{\"id\":1,\"topic\":\"/odom\",\"encoding\":\"json\","
                + "\"schemaName\":\"nav_msgs/msg/Odometry\",\"schema\":\"{\\\"type\\\":\\\"object\\\""), hello.get(1));
        assertTrue(hello.get(1).endsWith("\"schemaEncoding\":\"jsonschema\"}]}"), hello.get(1));

        client.onText("{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":7,\"channelId\":1}]}");
        graph.publish(odom, new Message("{\"a\":1}", null, 1_700_000_000_123_456_789L));
        ByteBuffer frame = socket.binaries.get(0).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, frame.get());
        assertEquals(7, frame.getInt(), "the subscription id");
        assertEquals(1_700_000_000_123_456_789L, frame.getLong(), "the stamp, ns");
        byte[] rest = new byte[frame.remaining()];
        frame.get(rest);
        assertEquals("{\"a\":1}", new String(rest, StandardCharsets.UTF_8));

        client.onText("{\"op\":\"unsubscribe\",\"subscriptionIds\":[7]}");
        graph.publish(odom, new Message("{\"a\":2}", null, 0));
        assertEquals(1, socket.binaries.size(), "nothing after unsubscribe");
    }

    @Test
    void aBestEffortClientPublisherOfAReliableSubscriptionIsWarnedAndItsMessagesDoNotArrive() {
        graph.robotTopic("/cmd_vel", MessageTypes.TWIST);
        List<String> got = new ArrayList<>();
        graph.subscribe("/cmd_vel", null, new TopicGraph.OwnedSubscriber(new RecordingEnd("the robot's /cmd_vel subscription")) {
            @Override
            public Qos requested() {
                return Qos.DEFAULT;
            }

            @Override
            public int depth() {
                return 10;
            }

            @Override
            public void deliver(Topic topic, Message message, Publisher from) {
                got.add(message.json());
            }
        });
        client.opened();
        socket.take();
        client.onText("{\"op\":\"advertise\",\"channels\":[{\"id\":1,\"topic\":\"/cmd_vel\",\"encoding\":\"json\",\"schemaName\":"
                + "\"geometry_msgs/msg/Twist\",\"qos\":{\"reliability\":\"best_effort\"}},{\"id\":2,\"topic\":\"/cmd_vel\",\"encoding\":\"json\","
                + "\"schemaName\":\"geometry_msgs/msg/Twist\"}]}");
        List<String> status = socket.take();
        assertTrue(status.get(0).startsWith("{\"op\":\"status\",\"level\":1,\"message\":\"incompatible QoS: the robot's /cmd_vel "
                + "subscription cannot receive from this publisher on /cmd_vel: reliability: requested reliable, offered best_effort"),
                status.toString());
        client.onBinary(clientMessage(1, "{\"linear\":{\"x\":0.1}}"));
        client.onBinary(clientMessage(2, "{\"linear\":{\"x\":0.2}}"));
        assertEquals(List.of("{\"linear\":{\"x\":0.2}}"), got, "only the reliable channel's message arrives");
    }

    @Test
    void badFramesAreAnsweredWithAStatusErrorAndPublishNothing() {
        client.opened();
        socket.take();
        client.onText("{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1,\"channelId\":99}]}");
        client.onText("not json");
        client.onText("{\"op\":\"advertise\",\"channels\":[{\"id\":1,\"topic\":\"/x\",\"encoding\":\"cdr\",\"schemaName\":\"std_msgs/msg/String\"}]}");
        client.onBinary(clientMessage(5, "{}"));
        client.onText("{\"op\":\"advertise\",\"channels\":[{\"id\":3,\"topic\":\"/x\",\"encoding\":\"json\",\"schemaName\":\"std_msgs/msg/String\"}]}");
        client.onBinary(clientMessage(3, "{\"data\":"));
        List<String> s = socket.take();
        assertEquals("{\"op\":\"status\",\"level\":2,\"message\":\"subscription 1 refused: no channel 99\"}", s.get(0));
        assertTrue(s.get(1).startsWith("{\"op\":\"status\",\"level\":2,\"message\":\"malformed JSON: Unrecognized token 'not'"), s.get(1));
        assertEquals("{\"op\":\"status\",\"level\":2,\"message\":\"client channel 1 refused: encoding 'cdr' is not supported; use json\"}", s.get(2));
        assertEquals("{\"op\":\"status\",\"level\":2,\"message\":\"client message on channel 5, which this client has not advertised\"}", s.get(3));
        assertEquals(5, s.size(), s.toString());
        assertTrue(s.get(4).startsWith("{\"op\":\"status\",\"level\":2,\"message\":\"message on /x refused: malformed JSON:"),
                s.toString());
    }

    @Test
    void aClientMayHoldAtMostMaxTopicsPerClientChannelsAndSubscriptions() {
        graph.robotTopic("/odom", MessageTypes.ODOMETRY);
        graph.advertise("/odom", null, robot, Qos.DEFAULT);
        client.opened();
        socket.take();
        client.onText("{\"op\":\"advertise\",\"channels\":[{\"id\":1,\"topic\":\"/a\",\"encoding\":\"json\",\"schemaName\":"
                + "\"std_msgs/msg/String\"},{\"id\":2,\"topic\":\"/b\",\"encoding\":\"json\",\"schemaName\":\"std_msgs/msg/String\"},"
                + "{\"id\":3,\"topic\":\"/c\",\"encoding\":\"json\",\"schemaName\":\"std_msgs/msg/String\"}]}");
        client.onText("{\"op\":\"subscribe\",\"subscriptions\":[{\"id\":1,\"channelId\":1},{\"id\":2,\"channelId\":1},"
                + "{\"id\":3,\"channelId\":1}]}");
        List<String> s = socket.take().stream().filter(m -> m.startsWith("{\"op\":\"status\"")).toList();
        assertEquals(List.of("{\"op\":\"status\",\"level\":2,\"message\":\"client channel 3 refused: this client advertises 2 channels "
                + "already (maxTopicsPerClient); unadvertise one first\"}", "{\"op\":\"status\",\"level\":2,\"message\":\"subscription 3 "
                + "refused: this client has 2 subscriptions already (maxTopicsPerClient); unsubscribe one first\"}"), s);
        assertTrue(graph.find("/c").isEmpty());
    }
}
