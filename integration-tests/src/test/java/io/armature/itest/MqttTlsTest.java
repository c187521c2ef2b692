package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The sim-rover's MQTT telemetry over TLS to a real mosquitto with a TLS listener on 127.0.0.1,
 * its certificates made by a test CA (openssl, keytool). The broker also listens in plain TCP on
 * another port, where the test watches what arrives.
 */
class MqttTlsTest extends MqttRobotTest {

    private static final String BASE = "armature/sim-rover";

    /** Starts mosquitto with a TLS listener presenting {@code server} (issued by {@code ca}), and returns that listener's port. */
    private int startBroker(TestCertificates ca, String server, String... tlsOptions) throws Exception {
        int tlsPort = Mosquitto.freePort();
        List<String> conf = new java.util.ArrayList<>(List.of("allow_anonymous true", "listener " + tlsPort + " 127.0.0.1",
                "cafile " + ca.caCertificate(), "certfile " + dir.resolve("certs/" + server + ".crt"), "keyfile " + ca.key(server)));
        conf.addAll(List.of(tlsOptions));
        broker = new Mosquitto(dir, conf.toArray(String[]::new));
        return tlsPort;
    }

    private String console() {
        return robot.console() + "\nbroker:\n" + logOf(broker);
    }

    private static String logOf(Mosquitto m) {
        try {
            return m.log();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    @Test
    void telemetryFlowsOverTlsToABrokerSignedByTheTrustedCa() throws Exception {
        TestCertificates fleet = new TestCertificates(dir.resolve("certs"), "fleet-ca");
        fleet.issue("broker", "IP:127.0.0.1");
        int tls = startBroker(fleet, "broker");
        try (Mosquitto.Sub sub = broker.sub(BASE + "/loops/left")) {
            startRobot("brokerUri", "ssl://127.0.0.1:" + tls, "trustStore", fleet.trustStore().toString(),
                    "trustStorePassword", TestCertificates.STORE_PASSWORD, "telemetryRateHz", "5");
            assertTrue(Poll.until(20_000, () -> sub.lines().size() >= 5), "loop telemetry over TLS: " + sub.lines() + "\n" + console());
        }
        // mosquitto_sub over the TLS listener itself, trusting the same CA, sees the robot online
        assertEquals("true", broker.first(BASE + "/online", 5_000, "-p", Integer.toString(tls), "--cafile", fleet.caCertificate().toString()));
        String status = robot.gogo("mqtt:status");
        assertTrue(status.startsWith("broker ssl://127.0.0.1:" + tls + " (connected)"), status);
    }

    @Test
    void aBrokerCertificateNotSignedByTheTrustedCaIsRefusedAndNothingIsSent() throws Exception {
        TestCertificates fleet = new TestCertificates(dir.resolve("certs"), "fleet-ca");
        TestCertificates rogue = new TestCertificates(dir.resolve("certs"), "rogue-ca");
        rogue.issue("impostor", "IP:127.0.0.1");
        int tls = startBroker(rogue, "impostor");
        Path trust = fleet.trustStore();
        try (Mosquitto.Sub everything = broker.sub("#")) {
            startRobot("brokerUri", "ssl://127.0.0.1:" + tls, "trustStore", trust.toString(), "trustStorePassword",
                    TestCertificates.STORE_PASSWORD, "telemetryRateHz", "10");
            String expected = "WARN  armature.telemetry.mqtt: MQTT broker ssl://127.0.0.1:" + tls + " not reachable (TLS: the broker's "
                    + "certificate is not signed by a CA in trustStore " + trust + " (";
            assertTrue(Poll.until(15_000, () -> robot.console().contains(expected)), console());
            Thread.sleep(3_000); // a few retries
            assertEquals(List.of(), everything.lines(), "nothing reached the broker");
            assertEquals(1, robot.console().split("not reachable", -1).length - 1, "one warning, not one per retry:\n" + robot.console());
            String status = robot.gogo("mqtt:status");
            assertTrue(status.contains("(connecting)") && status.contains("published 0,"), status);
        }
    }

    @Test
    void aBrokerThatAsksForAClientCertificateTakesTheRobotsKeyStore() throws Exception {
        TestCertificates fleet = new TestCertificates(dir.resolve("certs"), "fleet-ca");
        fleet.issue("broker", "IP:127.0.0.1");
        fleet.issue("sim-rover", null);
        int tls = startBroker(fleet, "broker", "require_certificate true");
        String uri = "ssl://127.0.0.1:" + tls;
        startRobot("brokerUri", uri, "trustStore", fleet.trustStore().toString(), "trustStorePassword", TestCertificates.STORE_PASSWORD);
        assertTrue(Poll.until(15_000, () -> robot.console().contains("WARN  armature.telemetry.mqtt: MQTT broker " + uri + " not reachable (")),
                "without a client certificate the broker refuses: " + console());
        assertNull(broker.first(BASE + "/online", 1_500), "nothing published without a client certificate");

        Path keys = fleet.keyStore("sim-rover");
        FeatureRuntime.setConfig(robot.configDir().resolve(CFG), "keyStorePassword", TestCertificates.STORE_PASSWORD);
        FeatureRuntime.setConfig(robot.configDir().resolve(CFG), "keyStore", keys.toString());
        assertTrue(Poll.until(20_000, () -> "true".equals(broker.first(BASE + "/online", 1_000))), "online with its certificate: " + console());
        assertTrue(!robot.console().contains(TestCertificates.STORE_PASSWORD), "no password in the log");
    }
}
