package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class FieldsTest {

    /** @return the JSON payload of {@code f} as text */
    static String text(Fields f) {
        return new String(f.json(new StringBuilder()), StandardCharsets.UTF_8);
    }

    @Test
    void aClearedMessageKeepsNothingOfTheLastOne() {
        Fields f = new Fields();
        for (int i = 0; i < 20; i++) {
            f.add("v" + i, i * 0.5).add("t" + i, "x");
        }
        f.clear().add("setpoint", 12.5).add("fault", (String) null).add("moving", true);
        assertEquals("{\"setpoint\":12.5,\"fault\":null,\"moving\":true}", text(f));
        assertEquals("setpoint:DOUBLE\nfault:STRING\nmoving:BOOLEAN\n", f.signature());
        assertEquals(java.util.List.of(new Fields.Field("setpoint", Fields.Kind.DOUBLE, 12.5), new Fields.Field("fault", Fields.Kind.STRING, null),
                new Fields.Field("moving", Fields.Kind.BOOLEAN, true)), f.list());
    }

    @Test
    void payloadsAreJsonInUtf8() {
        StringBuilder scratch = new StringBuilder();
        Fields f = new Fields().add("unit", "rad/s").add("n", 3L).add("x", Double.POSITIVE_INFINITY);
        assertEquals("{\"unit\":\"rad/s\",\"n\":3,\"x\":null}", new String(f.json(scratch), StandardCharsets.US_ASCII));
        f.clear().add("unit", "°C");
        assertEquals("{\"unit\":\"°C\"}", new String(f.json(scratch), StandardCharsets.UTF_8));
    }

    @Test
    void aReusedMessageAllocatesOnlyItsPayload() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        Fields f = new Fields();
        StringBuilder scratch = new StringBuilder();
        int payload = 0;
        for (int round = 0; round < 3; round++) { // the first rounds warm up and size the arrays
            long before = mx.getThreadAllocatedBytes(thread);
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                f.clear().add("setpoint", 12.5 + i).add("measurement", 12.4871 * i).add("output", 0.3125).add("unit", "rad/s")
                        .add("cycles", (long) i).add("overruns", 0L).add("latenessP99Micros", 31.7).add("moving", true);
                payload = f.json(scratch).length;
            }
            long perMessage = (mx.getThreadAllocatedBytes(thread) - before) / n;
            if (round == 2) {
                // the payload: a byte[] of its length, 16 bytes of header, 8-byte aligned
                assertTrue(perMessage <= (payload + 16 + 7) / 8 * 8 + 8, perMessage + " bytes a message for a " + payload + "-byte payload");
            }
        }
    }
}
