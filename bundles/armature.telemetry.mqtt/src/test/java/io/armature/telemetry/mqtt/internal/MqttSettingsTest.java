package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.testing.ComponentConfigs;

class MqttSettingsTest {

    @TempDir
    Path dir;

    private static MqttTelemetry.Config config(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return ComponentConfigs.of(MqttTelemetry.Config.class, m);
    }

    private static String refusal(MqttTelemetry.Config c) {
        return assertThrows(IllegalArgumentException.class, () -> Settings.of(c, "rover")).getMessage();
    }

    @Test
    void defaultsComeFromTheRobotName() {
        Settings s = Settings.of(config(), "sim-rover");
        assertEquals("armature/sim-rover", s.base());
        assertEquals("armature-sim-rover", s.clientId());
        assertEquals("tcp://127.0.0.1:1883", s.brokerUri());
        assertEquals("armature/r2", Settings.of(config("robotId", "r2"), "sim-rover").base());
    }

    @Test
    void plainTcpCoalescesFlushesUnlessTurnedOffAndTlsNever() {
        assertTrue(Settings.of(config(), "rover").connectOptions().getSocketFactory() instanceof CoalescingSocketFactory);
        assertNull(Settings.of(config("flushDelayMicros", 0), "rover").connectOptions().getSocketFactory(), "0: Paho's own sockets");
        assertNull(Settings.of(config("brokerUri", "ssl://127.0.0.1:8883"), "rover").connectOptions().getSocketFactory(),
                "ssl:// with the JVM's trust: the JVM's TLS sockets");
        assertEquals("flushDelayMicros must be 0..10000, was -1", refusal(config("flushDelayMicros", -1)));
        assertEquals("flushDelayMicros must be 0..10000, was 20000", refusal(config("flushDelayMicros", 20_000)));
    }

    @Test
    void theLastWillSaysOfflineRetainedAndReconnectIsAutomatic() {
        MqttConnectOptions o = Settings.of(config("keepAliveSeconds", 4), "rover").connectOptions();
        assertEquals("armature/rover/online", o.getWillDestination());
        assertArrayEquals("false".getBytes(StandardCharsets.UTF_8), o.getWillMessage().getPayload());
        assertTrue(o.getWillMessage().isRetained());
        assertEquals(1, o.getWillMessage().getQos());
        assertFalse(o.isAutomaticReconnect(), "the component reconnects by itself");
        assertEquals(4, o.getKeepAliveInterval());
        assertNull(o.getUserName());
    }

    @Test
    void thePasswordComesFromAFileSoItIsNotInTheConfiguration() throws Exception {
        Path f = Files.writeString(dir.resolve("pw"), "s3cret\n");
        MqttConnectOptions o = Settings.of(config("username", "robot", "passwordFile", f.toString()), "rover").connectOptions();
        assertEquals("robot", o.getUserName());
        assertEquals("s3cret", new String(o.getPassword()));
        assertTrue(refusal(config("username", "robot", "passwordFile", dir.resolve("missing").toString())).startsWith("passwordFile "));
        assertEquals("give password or passwordFile, not both",
                refusal(config("username", "robot", "password", "x", "passwordFile", f.toString())));
        assertEquals("a password needs a username", refusal(config("password", "x")));
    }

    @Test
    void badValuesAreRefusedWithOneLineNamingTheSetting() {
        assertEquals("telemetryRateHz must be 0.1..1000.0, was 0.0", refusal(config("telemetryRateHz", 0.0)));
        assertEquals("telemetryRateHz must be 0.1..1000.0, was NaN", refusal(config("telemetryRateHz", Double.NaN)));
        assertEquals("statusRateHz must be 0.1..50.0, was 51.0", refusal(config("statusRateHz", 51.0)));
        assertEquals("bufferSize must be 1..100000, was 0", refusal(config("bufferSize", 0)));
        assertTrue(refusal(config("brokerUri", "http://127.0.0.1:1883")).startsWith("brokerUri must be tcp://"));
        assertTrue(refusal(config("brokerUri", "tcp://")).startsWith("brokerUri must be tcp://"));
        assertTrue(refusal(config("robotId", "a/#")).startsWith("robotId must be"));
        assertTrue(refusal(config("robotId", "a+b")).startsWith("robotId must be"));
        assertEquals("robotId is empty and the framework property armature.robot is not set",
                assertThrows(IllegalArgumentException.class, () -> Settings.of(config(), null)).getMessage());
        assertTrue(refusal(config("trustStore", "ca.p12")).startsWith("trustStore needs an ssl:// brokerUri"));
        assertTrue(refusal(config("brokerUri", "ssl://127.0.0.1:8883", "trustStore", dir.resolve("none.p12").toString()))
                .contains("cannot be loaded"));
    }

    @Test
    void sparkplugBAndTlsSettingsAreCheckedToo() {
        Settings json = Settings.of(config(), "rover");
        assertFalse(json.sparkplug());
        assertEquals(0, json.telemetryQos());
        Settings sp = Settings.of(config("payloadFormat", "SparkplugB", "sparkplugGroupId", "fleet"), "rover");
        assertTrue(sp.sparkplug());
        assertEquals("fleet", sp.sparkplugGroupId());
        MqttConnectOptions o = sp.connectOptions("spBv1.0/fleet/NDEATH/rover", new byte[] {1, 2}, false);
        assertEquals("spBv1.0/fleet/NDEATH/rover", o.getWillDestination());
        assertFalse(o.getWillMessage().isRetained(), "an NDEATH is not retained");
        assertEquals(1, o.getWillMessage().getQos());

        assertEquals("payloadFormat must be json or sparkplugb, was 'xml'", refusal(config("payloadFormat", "xml")));
        assertTrue(refusal(config("payloadFormat", "sparkplugb", "sparkplugGroupId", "a/b")).startsWith("sparkplugGroupId must be"));
        assertTrue(refusal(config("payloadFormat", "sparkplugb", "sparkplugGroupId", "")).startsWith("sparkplugGroupId must be"));
        assertEquals("telemetryQos must be 0..1, was 2", refusal(config("telemetryQos", 2)));
        assertTrue(refusal(config("keyStore", "robot.p12")).startsWith("keyStore needs an ssl:// brokerUri"));
        assertTrue(refusal(config("brokerUri", "ssl://127.0.0.1:8883", "keyStore", dir.resolve("none.p12").toString()))
                .startsWith("keyStore " + dir.resolve("none.p12") + " (PKCS12) cannot be loaded"));
    }

    @Test
    void commandPayloadsArePlainFiniteNumbers() {
        assertEquals(2.5, CommandPayloads.number(" 2.5\n", "setpoint"));
        assertEquals(-3.0, CommandPayloads.number("-3", "setpoint"));
        assertEquals(1e9, CommandPayloads.number("1e9", "setpoint")); // the loop refuses it, not the parser
        assertEquals("setpoint must be a number, was 'abc'",
                assertThrows(IllegalArgumentException.class, () -> CommandPayloads.number("abc", "setpoint")).getMessage());
        for (String bad : new String[] {"NaN", "Infinity", "-Infinity", "0x1p3", "1.0d", "", "1e999", "1 2"}) {
            assertThrows(IllegalArgumentException.class, () -> CommandPayloads.number(bad, "setpoint"), bad);
        }
        assertEquals("e-stop over MQTT", CommandPayloads.reason(" \n"));
        assertEquals("bumped into a wall", CommandPayloads.reason("bumped\ninto a wall"));
        assertEquals(CommandPayloads.MAX_REASON_CHARS, CommandPayloads.reason("x".repeat(1000)).length());
    }

    @Test
    void jsonEscapesStringsAndWritesNullForNonFiniteNumbers() {
        String j = new Json().field("s", "a\"b\\c\nd\u0001").field("n", Double.NaN).field("x", 1.5).field("l", 7L)
                .field("b", true).field("z", (String) null).toString();
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\u0001\",\"n\":null,\"x\":1.5,\"l\":7,\"b\":true,\"z\":null}", j);
        Fields f = new Fields().value("o", 3).value("f", 0.25f).value("t", true).value("s", java.time.Duration.ofSeconds(2)).value("n", null);
        assertEquals("{\"o\":3,\"f\":0.25,\"t\":true,\"s\":\"PT2S\",\"n\":null}", FieldsTest.text(f));
        assertEquals("o:LONG\nf:DOUBLE\nt:BOOLEAN\ns:STRING\nn:STRING\n", f.signature());
        assertEquals("[{},{\"a\":1}]", Json.array(java.util.List.of("{}", "{\"a\":1}")));
    }
}
