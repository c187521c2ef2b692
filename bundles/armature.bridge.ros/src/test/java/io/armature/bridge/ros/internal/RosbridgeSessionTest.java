package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.bridge.ros.internal.TopicGraph.Message;

class RosbridgeSessionTest {

    private final TopicGraph graph = new TopicGraph();
    private final FakeSocket aSocket = new FakeSocket("127.0.0.1:1001");
    private final FakeSocket bSocket = new FakeSocket("127.0.0.1:1002");
    private final RosbridgeSession a = session(aSocket);
    private final RosbridgeSession b = session(bSocket);

    /** A client over loopback without the token: it may read and relay topics of its own. */
    private RosbridgeSession session(FakeSocket socket) {
        return new RosbridgeSession(graph, new Outbox(socket, 100), new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, true, false),
                TOKEN::equals, 64);
    }

    private static final String TOKEN = "the-robots-token-0123";

    @Test
    void badJsonAndUnknownOperationsAreAnsweredWithAStatusErrorAndChangeNothing() {
        a.onText("{\"op\":\"subscribe\",\"topic\":\"/odom\"");
        a.onText("[1,2]");
        a.onText("{\"op\":\"fly\",\"id\":\"f1\"}");
        a.onText("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/nothing\"}");
        a.onText("{\"op\":\"advertise\",\"id\":\"a1\",\"topic\":\"/x\",\"type\":\"not a type\"}");
        a.onText("{\"op\":\"subscribe\",\"id\":\"s2\",\"topic\":\"/x\",\"type\":\"std_msgs/String\",\"throttle_rate\":-1}");
        List<String> replies = aSocket.take();
        assertEquals(6, replies.size(), replies.toString());
        assertTrue(replies.get(0).startsWith("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"malformed JSON: Unexpected end-of-input"),
                replies.get(0));
        assertEquals("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"a rosbridge message must be a JSON object with an \\\"op\\\"\"}",
                replies.get(1));
        assertEquals("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"unknown op 'fly'; this bridge takes auth, advertise, unadvertise, "
                + "publish, subscribe, unsubscribe, call_service\",\"id\":\"f1\"}", replies.get(2));
        assertEquals("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"cannot infer the type of topic /nothing: nothing advertises it; "
                + "give its type\",\"id\":\"s1\"}", replies.get(3));
        assertTrue(replies.get(4).contains("\"msg\":\"'not a type' is not a message type;"), replies.get(4));
        assertTrue(replies.get(5).contains("\"msg\":\"throttle_rate must be a whole number 0..3600000, was -1\""), replies.get(5));
        assertTrue(graph.topics().isEmpty(), "nothing was made: " + graph.topics());
    }

    @Test
    void advertisedMessagesReachSubscribersAndTheTopicListShowsThem() {
        a.onText("{\"op\":\"advertise\",\"id\":\"a1\",\"topic\":\"/chatter\",\"type\":\"std_msgs/String\"}");
        b.onText("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"chatter\"}");
        a.onText("{\"op\":\"publish\",\"topic\":\"/chatter\",\"msg\":{\"data\":\"hello \\\"ros\\\"\"}}");
        assertEquals(List.of("{\"op\":\"publish\",\"topic\":\"/chatter\",\"msg\":{\"data\":\"hello \\\"ros\\\"\"}}"), bSocket.take());
        b.onText("{\"op\":\"call_service\",\"id\":\"c1\",\"service\":\"rosapi/topics\",\"args\":{}}");
        assertEquals(List.of("{\"op\":\"service_response\",\"service\":\"rosapi/topics\",\"id\":\"c1\",\"values\":{\"topics\":[\"/chatter\"],"
                + "\"types\":[\"std_msgs/msg/String\"]},\"result\":true}"), bSocket.take());
        b.onText("{\"op\":\"call_service\",\"id\":\"c2\",\"service\":\"/rosapi/topic_type\",\"args\":{\"topic\":\"/chatter\"}}");
        assertEquals(List.of("{\"op\":\"service_response\",\"service\":\"/rosapi/topic_type\",\"id\":\"c2\",\"values\":{\"type\":"
                + "\"std_msgs/msg/String\"},\"result\":true}"), bSocket.take());
        b.onText("{\"op\":\"unsubscribe\",\"topic\":\"/chatter\"}");
        a.onText("{\"op\":\"publish\",\"topic\":\"/chatter\",\"msg\":{\"data\":\"gone\"}}");
        assertEquals(List.of(), bSocket.take(), "nothing after unsubscribe");
        a.closed();
        assertTrue(graph.topics().isEmpty(), "the topic went with its last client");
    }

    @Test
    void aReliableSubscriberOfABestEffortPublisherIsWarnedAndGetsNothingWhileAnAdaptingOneGetsIt() {
        TopicGraph.End robot = new RecordingEnd("the robot");
        graph.robotTopic("/imu", MessageTypes.IMU);
        TopicGraph.Publisher imu = graph.advertise("/imu", null, robot, Qos.SENSOR_DATA);
        a.onText("{\"op\":\"subscribe\",\"id\":\"s1\",\"topic\":\"/imu\",\"qos\":{\"reliability\":\"reliable\"}}");
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"warning\",\"msg\":\"incompatible QoS: this subscription cannot receive from "
                + "the robot on /imu: reliability: requested reliable, offered best_effort (offered best_effort, volatile, depth 5; "
                + "requested reliable, volatile, depth 10); by the ROS 2 QoS rules no data flows between them\",\"id\":\"s1\"}"),
                aSocket.take());
        b.onText("{\"op\":\"subscribe\",\"id\":\"s2\",\"topic\":\"/imu\"}");
        assertEquals(List.of(), bSocket.take());
        graph.publish(imu, new Message("{\"n\":1}", null, 0));
        assertEquals(List.of(), aSocket.take(), "no data across an incompatible pair");
        assertEquals(List.of("{\"op\":\"publish\",\"topic\":\"/imu\",\"msg\":{\"n\":1}}"), bSocket.take());
    }

    @Test
    void aLateTransientLocalJoinerGetsTheLastDepthMessagesAndAVolatileOneNone() {
        a.onText("{\"op\":\"advertise\",\"topic\":\"/map\",\"type\":\"std_msgs/msg/String\",\"qos\":{\"durability\":\"transient_local\","
                + "\"depth\":3}}");
        for (int i = 1; i <= 5; i++) {
            a.onText("{\"op\":\"publish\",\"topic\":\"/map\",\"msg\":{\"data\":\"" + i + "\"}}");
        }
        b.onText("{\"op\":\"subscribe\",\"topic\":\"/map\",\"qos\":{\"durability\":\"transient_local\",\"depth\":2}}");
        assertEquals(List.of("{\"op\":\"publish\",\"topic\":\"/map\",\"msg\":{\"data\":\"4\"}}",
                "{\"op\":\"publish\",\"topic\":\"/map\",\"msg\":{\"data\":\"5\"}}"), bSocket.take(), "min(3, 2) kept messages, oldest first");
        FakeSocket cSocket = new FakeSocket("127.0.0.1:1003");
        session(cSocket).onText("{\"op\":\"subscribe\",\"topic\":\"/map\",\"queue_length\":10}");
        assertEquals(3, cSocket.take().size(), "an adapting subscriber takes transient_local and the publisher's depth of 3");
        FakeSocket dSocket = new FakeSocket("127.0.0.1:1004");
        session(dSocket).onText("{\"op\":\"subscribe\",\"topic\":\"/map\",\"qos\":{\"durability\":\"volatile\"}}");
        assertEquals(List.of(), dSocket.take(), "volatile: no history");
    }

    @Test
    void latchOffersTransientLocalDepthOneAndATransientLocalRequestOfAVolatilePublisherIsWarned() {
        a.onText("{\"op\":\"advertise\",\"topic\":\"/state\",\"type\":\"std_msgs/String\",\"latch\":true}");
        a.onText("{\"op\":\"publish\",\"topic\":\"/state\",\"msg\":{\"data\":\"old\"}}");
        a.onText("{\"op\":\"publish\",\"topic\":\"/state\",\"msg\":{\"data\":\"new\"}}");
        b.onText("{\"op\":\"subscribe\",\"topic\":\"/state\",\"qos\":{\"durability\":\"transient_local\"}}");
        assertEquals(List.of("{\"op\":\"publish\",\"topic\":\"/state\",\"msg\":{\"data\":\"new\"}}"), bSocket.take());

        a.onText("{\"op\":\"advertise\",\"topic\":\"/live\",\"type\":\"std_msgs/String\"}");
        b.onText("{\"op\":\"subscribe\",\"id\":\"s9\",\"topic\":\"/live\",\"qos\":{\"durability\":\"transient_local\"}}");
        String warning = bSocket.take().get(0);
        assertTrue(warning.contains("durability: requested transient_local, offered volatile"), warning);
        String toPublisher = aSocket.take().get(0);
        assertTrue(toPublisher.startsWith("{\"op\":\"status\",\"level\":\"warning\",\"msg\":\"incompatible QoS: rosbridge client "
                + "127.0.0.1:1002 cannot receive from this publisher on /live"), toPublisher);
        assertTrue(toPublisher.endsWith("no data flows between them\"}"), "the other client's operation id is not the publisher's: " + toPublisher);
        assertTrue(warning.endsWith("no data flows between them\",\"id\":\"s9\"}"), "the subscriber's own operation id: " + warning);
    }

    @Test
    void throttleRateDropsMessagesSoonerThanThePeriod() {
        a.onText("{\"op\":\"advertise\",\"topic\":\"/fast\",\"type\":\"std_msgs/String\"}");
        b.onText("{\"op\":\"subscribe\",\"topic\":\"/fast\",\"throttle_rate\":60000}");
        for (int i = 0; i < 5; i++) {
            a.onText("{\"op\":\"publish\",\"topic\":\"/fast\",\"msg\":{\"data\":\"" + i + "\"}}");
        }
        assertEquals(List.of("{\"op\":\"publish\",\"topic\":\"/fast\",\"msg\":{\"data\":\"0\"}}"), bSocket.take());
    }

    @Test
    void anUnknownServiceIsAFailedResponse() {
        a.onText("{\"op\":\"call_service\",\"id\":\"c1\",\"service\":\"/rosapi/nodes\"}");
        List<String> r = aSocket.take();
        assertEquals(2, r.size(), r.toString());
        assertEquals("{\"op\":\"service_response\",\"service\":\"/rosapi/nodes\",\"id\":\"c1\",\"values\":\"unknown service '/rosapi/nodes'; "
                + "this bridge offers rosapi/topics and rosapi/topic_type\",\"result\":false}", r.get(1));
    }

    @Test
    void authWithTheTokenLetsAClientCommandAndAWrongOneClosesTheConnection() {
        TopicGraph.Publisher[] admitted = new TopicGraph.Publisher[1];
        graph.commandTopic("/cmd_vel", MessageTypes.TWIST, p -> {
            if (!p.end.access().mayCommand()) {
                throw new IllegalArgumentException("/cmd_vel refused, no motion: no credential");
            }
            admitted[0] = p;
        });
        ClientAccess access = new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, true, false);
        RosbridgeSession c = new RosbridgeSession(graph, new Outbox(aSocket, 100), access, TOKEN::equals, 64);
        c.onText("{\"op\":\"publish\",\"id\":\"p1\",\"topic\":\"/cmd_vel\",\"msg\":{\"linear\":{\"x\":0.1}}}");
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"/cmd_vel refused, no motion: no credential\",\"id\":\"p1\"}"),
                aSocket.take());
        c.onText("{\"op\":\"auth\",\"mac\":\"" + TOKEN + "\",\"client\":\"127.0.0.1\",\"dest\":\"127.0.0.1\",\"rand\":\"r\",\"t\":0,"
                + "\"level\":\"admin\",\"end\":0}");
        assertEquals(List.of(), aSocket.take(), "a good auth is quiet, as rosbridge's");
        assertTrue(access.mayCommand());
        c.onText("{\"op\":\"publish\",\"id\":\"p2\",\"topic\":\"/cmd_vel\",\"msg\":{\"linear\":{\"x\":0.1}}}");
        assertEquals(List.of(), aSocket.take());
        assertTrue(admitted[0] != null, "the gate admitted it");

        ClientAccess other = new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, true, false);
        RosbridgeSession d = new RosbridgeSession(graph, new Outbox(bSocket, 100), other, TOKEN::equals, 64);
        d.onText("{\"op\":\"auth\",\"id\":\"a\",\"mac\":\"guess-guess-guess-guess\"}");
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"auth refused: wrong token; the connection closes\","
                + "\"id\":\"a\"}"), bSocket.take());
        assertEquals("1008 auth refused: wrong token; the connection closes", bSocket.closedWith);
        assertTrue(!other.mayCommand());
    }

    @Test
    void aClientFromAnotherHostWithoutTheTokenMayDoNothingButAuthenticate() {
        graph.robotTopic("/odom", MessageTypes.ODOMETRY);
        ClientAccess remote = new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, false, false);
        RosbridgeSession c = new RosbridgeSession(graph, new Outbox(aSocket, 100), remote, TOKEN::equals, 64);
        c.onText("{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"/odom\"}");
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"subscribe refused: a client from another host must "
                + "authenticate first: send {\\\"op\\\": \\\"auth\\\", \\\"mac\\\": \\\"<the robot's token>\\\"}, or connect with "
                + "?token=<the robot's token>\",\"id\":\"s\"}"), aSocket.take());
        assertTrue(graph.find("/odom").get().subscribers.isEmpty());
        c.onText("{\"op\":\"auth\",\"mac\":\"" + TOKEN + "\"}");
        c.onText("{\"op\":\"subscribe\",\"id\":\"s\",\"topic\":\"/odom\"}");
        assertEquals(List.of(), aSocket.take());
        assertEquals(1, graph.find("/odom").get().subscribers.size());
    }

    @Test
    void aClientMayAdvertiseAndSubscribeAtMostMaxTopicsPerClient() {
        RosbridgeSession c = new RosbridgeSession(graph, new Outbox(aSocket, 1000), new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, true,
                false), TOKEN::equals, 3);
        for (int i = 0; i < 4; i++) {
            c.onText("{\"op\":\"advertise\",\"id\":\"a" + i + "\",\"topic\":\"/t" + i + "\",\"type\":\"std_msgs/String\"}");
        }
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"cannot publish on /t3: this client advertises 3 topics "
                + "already (maxTopicsPerClient); unadvertise one first\",\"id\":\"a3\"}"), aSocket.take());
        assertTrue(graph.find("/t3").isEmpty(), "nothing made for the refused one");
        c.onText("{\"op\":\"advertise\",\"topic\":\"/t0\",\"type\":\"std_msgs/String\"}");
        assertEquals(List.of(), aSocket.take(), "advertising one of its own again is no new topic");
        for (int i = 0; i < 4; i++) {
            c.onText("{\"op\":\"subscribe\",\"id\":\"s" + i + "\",\"topic\":\"/s" + i + "\",\"type\":\"std_msgs/String\"}");
        }
        assertEquals(List.of("{\"op\":\"status\",\"level\":\"error\",\"msg\":\"cannot subscribe to /s3: this client has 3 subscriptions "
                + "already (maxTopicsPerClient); unsubscribe one first\",\"id\":\"s3\"}"), aSocket.take());
        assertTrue(graph.find("/s3").isEmpty());
    }
}
