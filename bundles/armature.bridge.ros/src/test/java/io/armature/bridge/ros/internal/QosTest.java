package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.armature.bridge.ros.internal.Qos.Durability;
import io.armature.bridge.ros.internal.Qos.Reliability;

class QosTest {

    private static Qos q(Reliability r, Durability d, int depth) {
        return new Qos(r, d, depth);
    }

    /** The ROS 2 compatibility table: every offered x requested pair of reliability and durability. */
    @Test
    void compatibilityFollowsTheRos2Table() {
        String[][] expected = {
                // offered,                requested,               why (empty: compatible)
                {"BEST_EFFORT VOLATILE", "BEST_EFFORT VOLATILE", ""},
                {"BEST_EFFORT VOLATILE", "RELIABLE VOLATILE", "reliability: requested reliable, offered best_effort"},
                {"BEST_EFFORT VOLATILE", "BEST_EFFORT TRANSIENT_LOCAL", "durability: requested transient_local, offered volatile"},
                {"BEST_EFFORT VOLATILE", "RELIABLE TRANSIENT_LOCAL",
                        "reliability: requested reliable, offered best_effort; durability: requested transient_local, offered volatile"},
                {"RELIABLE VOLATILE", "BEST_EFFORT VOLATILE", ""},
                {"RELIABLE VOLATILE", "RELIABLE VOLATILE", ""},
                {"RELIABLE VOLATILE", "BEST_EFFORT TRANSIENT_LOCAL", "durability: requested transient_local, offered volatile"},
                {"RELIABLE VOLATILE", "RELIABLE TRANSIENT_LOCAL", "durability: requested transient_local, offered volatile"},
                {"BEST_EFFORT TRANSIENT_LOCAL", "BEST_EFFORT VOLATILE", ""},
                {"BEST_EFFORT TRANSIENT_LOCAL", "RELIABLE VOLATILE", "reliability: requested reliable, offered best_effort"},
                {"BEST_EFFORT TRANSIENT_LOCAL", "BEST_EFFORT TRANSIENT_LOCAL", ""},
                {"BEST_EFFORT TRANSIENT_LOCAL", "RELIABLE TRANSIENT_LOCAL", "reliability: requested reliable, offered best_effort"},
                {"RELIABLE TRANSIENT_LOCAL", "BEST_EFFORT VOLATILE", ""},
                {"RELIABLE TRANSIENT_LOCAL", "RELIABLE VOLATILE", ""},
                {"RELIABLE TRANSIENT_LOCAL", "BEST_EFFORT TRANSIENT_LOCAL", ""},
                {"RELIABLE TRANSIENT_LOCAL", "RELIABLE TRANSIENT_LOCAL", ""},
        };
        for (String[] row : expected) {
            String[] o = row[0].split(" ");
            String[] r = row[1].split(" ");
            Qos offered = q(Reliability.valueOf(o[0]), Durability.valueOf(o[1]), 10);
            Qos requested = q(Reliability.valueOf(r[0]), Durability.valueOf(r[1]), 1);
            assertEquals(row[2], Qos.incompatibility(offered, requested).orElse(""), row[0] + " offered, " + row[1] + " requested");
        }
    }

    @Test
    void aLateJoinerGetsTheSmallerDepthOnlyWhenBothAreTransientLocal() {
        Qos latched = q(Reliability.RELIABLE, Durability.TRANSIENT_LOCAL, 3);
        assertEquals(3, Qos.lateJoinerMessages(latched, q(Reliability.RELIABLE, Durability.TRANSIENT_LOCAL, 10)));
        assertEquals(2, Qos.lateJoinerMessages(latched, q(Reliability.RELIABLE, Durability.TRANSIENT_LOCAL, 2)));
        assertEquals(0, Qos.lateJoinerMessages(latched, q(Reliability.RELIABLE, Durability.VOLATILE, 10)));
        assertEquals(0, Qos.lateJoinerMessages(Qos.DEFAULT, q(Reliability.RELIABLE, Durability.VOLATILE, 10)));
    }

    @Test
    void parsesRosNamesAndKeepsTheBaseForWhatIsLeftOut() {
        assertEquals(q(Reliability.BEST_EFFORT, Durability.TRANSIENT_LOCAL, 7),
                Qos.parse(Map.of("reliability", "best_effort", "durability", "transient_local", "depth", 7.0), Qos.DEFAULT));
        assertEquals(q(Reliability.RELIABLE, Durability.VOLATILE, 4), Qos.parse(Map.of("history_depth", 4.0), Qos.DEFAULT));
        assertEquals(q(Reliability.BEST_EFFORT, Durability.VOLATILE, 5), Qos.parse(Map.of(), Qos.SENSOR_DATA));
        assertEquals(Qos.DEFAULT, Qos.parse(Map.of("reliability", "system_default", "history", "keep_last"), Qos.DEFAULT));
    }

    @Test
    void badQosIsRefusedNamingTheField() {
        assertEquals("qos.reliability must be one of best_effort, reliable, system_default; was 'sometimes'",
                assertThrows(IllegalArgumentException.class, () -> Qos.parse(Map.of("reliability", "sometimes"), Qos.DEFAULT)).getMessage());
        assertEquals("qos.depth must be 1..1000 messages, was 0",
                assertThrows(IllegalArgumentException.class, () -> Qos.parse(Map.of("depth", 0.0), Qos.DEFAULT)).getMessage());
        assertEquals("qos.depth must be a whole number of messages, was 2.5",
                assertThrows(IllegalArgumentException.class, () -> Qos.parse(Map.of("depth", 2.5), Qos.DEFAULT)).getMessage());
        assertEquals("qos.history must be keep_last (keep_all is not offered), was 'keep_all'",
                assertThrows(IllegalArgumentException.class, () -> Qos.parse(Map.of("history", "keep_all"), Qos.DEFAULT)).getMessage());
        assertEquals("unknown qos field 'deadline'; qos takes reliability, durability, history, depth",
                assertThrows(IllegalArgumentException.class, () -> Qos.parse(Map.of("deadline", 1.0), Qos.DEFAULT)).getMessage());
    }
}
