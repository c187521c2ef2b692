package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.api.Test;

class SparkplugTest {

    private static SparkplugBPayload decode(byte[] bytes) throws Exception {
        return new SparkplugBPayloadDecoder().buildFromByteArray(bytes, null);
    }

    private static Metric metric(SparkplugBPayload p, String name) {
        return p.getMetrics().stream().filter(m -> name.equals(m.getName())).findFirst().orElseThrow();
    }

    @Test
    void topicsFollowTheSparkplugBNamespace() {
        Sparkplug sp = new Sparkplug("fleet", "rover-7");
        assertEquals("spBv1.0/fleet/NBIRTH/rover-7", sp.topic("NBIRTH"));
        assertEquals("spBv1.0/fleet/DDATA/rover-7/loop-left", sp.topic("DDATA", "loop-left"));
    }

    @Test
    void bdSeqGoesUpByOneBeforeEveryConnectAndWrapsAt256() throws Exception {
        Sparkplug sp = new Sparkplug("g", "n");
        for (int connect = 0; connect < 256; connect++) {
            SparkplugBPayload death = decode(sp.nextDeath());
            assertEquals((long) connect, metric(death, "bdSeq").getValue());
            assertEquals(MetricDataType.Int64, metric(death, "bdSeq").getDataType());
            assertNull(death.getSeq(), "an NDEATH has no seq");
        }
        assertEquals(0L, metric(decode(sp.nextDeath()), "bdSeq").getValue(), "after 255 comes 0");
        assertEquals(0L, metric(decode(sp.nodeBirth(new Fields())), "bdSeq").getValue(), "the NBIRTH carries the Will's bdSeq");
    }

    @Test
    void seqIsZeroInTheBirthAndWrapsFrom255To0() throws Exception {
        Sparkplug sp = new Sparkplug("g", "n");
        sp.nextDeath();
        SparkplugBPayload birth = decode(sp.nodeBirth(new Fields().add("safety", "OK")));
        assertEquals(0L, birth.getSeq());
        assertEquals(List.of("bdSeq", "Node Control/Rebirth", "Node Control/E-Stop", "Node Control/Reset", "safety"),
                birth.getMetrics().stream().map(Metric::getName).toList());
        assertEquals(false, metric(birth, "Node Control/Rebirth").getValue());
        for (long expected = 1; expected <= 255; expected++) {
            assertEquals(expected, decode(sp.nodeData(new Fields().add("safety", "OK"))).getSeq());
        }
        assertEquals(0L, decode(sp.deviceData(new Fields())).getSeq(), "255 is followed by 0");
        assertEquals(1L, decode(sp.deviceDeath("loop-left")).getSeq());
    }

    @Test
    void metricsKeepTheirTypesAndADeviceIsBornAgainWhenTheyChange() throws Exception {
        Sparkplug sp = new Sparkplug("g", "n");
        sp.nextDeath();
        sp.nodeBirth(new Fields());
        Fields loop = new Fields().add("setpoint", 1.5).add("cycles", 7L).add("ok", true).add("unit", "rad/s").add("fault", (String) null);
        assertTrue(sp.deviceNeedsBirth("loop-left", loop));
        SparkplugBPayload p = decode(sp.deviceBirth("loop-left", loop));
        assertEquals(MetricDataType.Double, metric(p, "setpoint").getDataType());
        assertEquals(1.5, metric(p, "setpoint").getValue());
        assertEquals(MetricDataType.Int64, metric(p, "cycles").getDataType());
        assertEquals(7L, metric(p, "cycles").getValue());
        assertEquals(MetricDataType.Boolean, metric(p, "ok").getDataType());
        assertEquals("rad/s", metric(p, "unit").getValue());
        assertTrue(metric(p, "fault").isNull());
        assertEquals(MetricDataType.String, metric(p, "fault").getDataType());

        assertFalse(sp.deviceNeedsBirth("loop-left", new Fields().add("setpoint", 2.0).add("cycles", 8L).add("ok", false)
                .add("unit", "rad/s").add("fault", "stalled")), "new values alone need no birth");
        assertTrue(sp.deviceNeedsBirth("loop-left", new Fields().add("setpoint", 2L)), "a changed type does");
        sp.nextDeath();
        assertTrue(sp.deviceNeedsBirth("loop-left", loop), "a new connection births every device again");
    }

    @Test
    void aPayloadThatIsNotSparkplugBIsRefusedWithOneLine() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> Sparkplug.decode("\u0008\u00ff\u00ff".getBytes(StandardCharsets.ISO_8859_1))).getMessage();
        assertTrue(m.startsWith("not a Sparkplug B payload: "), m);
    }
}
