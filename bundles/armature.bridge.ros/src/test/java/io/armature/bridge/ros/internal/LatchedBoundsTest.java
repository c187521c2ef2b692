package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;

/** What the graph holds for late joiners is bounded per topic and in all; a command topic takes only what its gate admits. */
class LatchedBoundsTest {

    private static final Qos LATCHED = new Qos(Qos.Reliability.RELIABLE, Qos.Durability.TRANSIENT_LOCAL, Qos.MAX_DEPTH);

    private static Message message(int chars) {
        return new Message("{\"d\":\"" + "x".repeat(chars - 8) + "\"}", null, 0);
    }

    private static List<String> lateJoiner(TopicGraph g, String topic) {
        List<String> got = new ArrayList<>();
        g.subscribe(topic, null, new TopicGraph.OwnedSubscriber(new RecordingEnd("late")) {
            @Override
            public Qos requested() {
                return null; // adapts: takes every publisher's kept messages, up to its depth
            }

            @Override
            public int depth() {
                return Qos.MAX_DEPTH;
            }

            @Override
            public void deliver(Topic t, Message m, Publisher from) {
                got.add(m.json());
            }
        });
        return got;
    }

    @Test
    void aTopicKeepsAtMostItsBoundTheOldestGoingFirstAndThePublisherIsToldOnce() {
        TopicGraph g = new TopicGraph(1000, 10_000);
        RecordingEnd client = new RecordingEnd("client");
        Publisher p = g.advertise("/map", "std_msgs/msg/String", client, LATCHED);
        for (int i = 0; i < 1000; i++) {
            g.publish(p, message(100)); // 1000 messages of 100: 100000, the depth allows all
        }
        assertEquals(1000, g.latchedChars(), "ten kept: the bound, not the depth");
        assertEquals(10, lateJoiner(g, "/map").size());
        assertEquals(List.of(), client.heard, "what fits is kept without a word");

        g.publish(p, message(2000));
        assertEquals(List.of("a message on /map was delivered but not kept for late joiners: the kept messages of this topic would "
                + "exceed 1000 bytes (maxLatchedBytesPerTopic)"), client.heard);
        assertEquals(0, g.latchedChars(), "the older ones went first to make room, and it still did not fit");
        g.publish(p, message(2000));
        assertEquals(1, client.heard.size(), "told once");
        g.publish(p, message(100));
        assertEquals(100, g.latchedChars());
        g.unadvertise(p);
        assertEquals(0, g.latchedChars(), "a publisher's kept messages go with it");
    }

    @Test
    void allTopicsTogetherKeepAtMostTheTotalBound() {
        TopicGraph g = new TopicGraph(1000, 2500);
        RecordingEnd client = new RecordingEnd("client");
        for (int t = 0; t < 3; t++) {
            Publisher p = g.advertise("/t" + t, "std_msgs/msg/String", client, LATCHED);
            for (int i = 0; i < 10; i++) {
                g.publish(p, message(100));
            }
        }
        assertEquals(2500, g.latchedChars(), "the third topic keeps only what the total left, its own oldest going first");
        assertEquals(5, lateJoiner(g, "/t2").size());
        assertEquals(List.of(), client.heard);
        Publisher fourth = g.advertise("/t3", "std_msgs/msg/String", client, LATCHED);
        g.publish(fourth, message(100));
        assertEquals(List.of("a message on /t3 was delivered but not kept for late joiners: the kept messages of all topics would exceed "
                + "2500 bytes (maxLatchedBytes)"), client.heard, "nothing left for a fourth");
        assertEquals(2500, g.latchedChars());
    }

    @Test
    void aCommandTopicTakesOnlyWhatItsGateAdmitsAndNobodyHearsTheRest() {
        TopicGraph g = new TopicGraph();
        g.commandTopic("/cmd_vel", MessageTypes.TWIST, p -> {
            if (p.end.access() == null || !p.end.access().mayCommand()) {
                throw new IllegalArgumentException("/cmd_vel refused, no motion: no credential");
            }
        });
        List<String> heard = lateJoiner(g, "/cmd_vel");
        Publisher stranger = g.advertise("/cmd_vel", null, new RecordingEnd("stranger"), Qos.DEFAULT);
        assertEquals("/cmd_vel refused, no motion: no credential", assertThrows(IllegalArgumentException.class,
                () -> g.publish(stranger, message(20))).getMessage());
        assertTrue(heard.isEmpty(), "a refused command reaches no subscriber");
        TopicGraph.End trusted = new TopicGraph.End() {
            private final ClientAccess access = new ClientAccess(ClientAccess.ROSBRIDGE_SOURCE, true, true);

            @Override
            public void warn(String message) {
            }

            @Override
            public void error(String message) {
            }

            @Override
            public String who() {
                return "trusted";
            }

            @Override
            public ClientAccess access() {
                return access;
            }
        };
        g.publish(g.advertise("/cmd_vel", null, trusted, Qos.DEFAULT), message(20));
        assertEquals(1, heard.size());
    }
}
