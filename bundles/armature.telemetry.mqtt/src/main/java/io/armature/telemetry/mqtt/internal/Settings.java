package io.armature.telemetry.mqtt.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.SocketFactory;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.paho.client.mqttv3.MqttConnectOptions;

/**
 * A validated {@link MqttTelemetry.Config}. Every check fails with a one-line message naming the
 * setting; nothing is half-applied.
 *
 * @param socketFactory   a TLS socket factory over the configured trust store and client key
 *                        store; for tcp:// one that coalesces flushes ({@code flushDelayMicros});
 *                        null for the JVM default (ssl://) or plain TCP flushed per packet
 * @param trustStore      the trust store file as configured, for messages; null for the JVM's
 * @param sparkplugGroupId the Sparkplug B group id; null for plain JSON
 * @param telemetryQos    QoS of JSON loop and stream messages, 0 or 1
 */
record Settings(String brokerUri, String robotId, String clientId, String username, char[] password,
        SocketFactory socketFactory, String trustStore, double telemetryRateHz, double statusRateHz, boolean commandsEnabled,
        int bufferSize, int keepAliveSeconds, int connectTimeoutSeconds, String sparkplugGroupId, int telemetryQos) {

    /** Payload formats: {@code json}, or {@code sparkplugb} for Sparkplug B (Eclipse Tahu). */
    static final String JSON = "json";
    static final String SPARKPLUG_B = "sparkplugb";

    /** What a topic level of ours may hold: MQTT wildcards, '/' and spaces are not among them. */
    private static final String TOPIC_LEVEL = "[A-Za-z0-9_.-]{1,64}";

    static Settings of(MqttTelemetry.Config c, String frameworkRobot) {
        String uri = c.brokerUri() == null ? "" : c.brokerUri().trim();
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("brokerUri must be tcp://host:port or ssl://host:port, was '" + uri + "'");
        }
        if (!("tcp".equals(parsed.getScheme()) || "ssl".equals(parsed.getScheme())) || parsed.getHost() == null
                || parsed.getPort() > 65535 || (parsed.getPath() != null && !parsed.getPath().isEmpty())) {
            throw new IllegalArgumentException("brokerUri must be tcp://host:port or ssl://host:port, was '" + uri + "'");
        }
        boolean tls = "ssl".equals(parsed.getScheme());

        String robot = blank(c.robotId()) ? (frameworkRobot == null ? "" : frameworkRobot.trim()) : c.robotId().trim();
        if (robot.isEmpty()) {
            throw new IllegalArgumentException("robotId is empty and the framework property armature.robot is not set");
        }
        if (!robot.matches(TOPIC_LEVEL)) {
            throw new IllegalArgumentException("robotId must be 1..64 letters, digits, '.', '_' or '-' (it is a topic level), was '" + robot + "'");
        }
        String clientId = blank(c.clientId()) ? "armature-" + robot : c.clientId().trim();
        if (!clientId.matches(TOPIC_LEVEL)) {
            throw new IllegalArgumentException("clientId must be 1..64 letters, digits, '.', '_' or '-', was '" + clientId + "'");
        }

        String username = blank(c.username()) ? null : c.username().trim();
        char[] password = null;
        if (!blank(c.password()) && !blank(c.passwordFile())) {
            throw new IllegalArgumentException("give password or passwordFile, not both");
        }
        if (!blank(c.passwordFile())) {
            password = readSecret(c.passwordFile().trim());
        } else if (!blank(c.password())) {
            password = c.password().toCharArray();
        }
        if (password != null && username == null) {
            throw new IllegalArgumentException("a password needs a username");
        }

        SocketFactory socketFactory = null;
        String trustStore = blank(c.trustStore()) ? null : c.trustStore().trim();
        String keyStore = blank(c.keyStore()) ? null : c.keyStore().trim();
        if (trustStore != null || keyStore != null) {
            if (!tls) {
                throw new IllegalArgumentException((trustStore != null ? "trustStore" : "keyStore") + " needs an ssl:// brokerUri, was '" + uri + "'");
            }
            TrustManager[] trust = null;
            if (trustStore != null) {
                try {
                    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    tmf.init(load("trustStore", trustStore, c.trustStorePassword(), c.trustStoreType()));
                    trust = tmf.getTrustManagers();
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("trustStore " + trustStore + " cannot be used: " + e.getMessage());
                }
            }
            KeyManager[] keys = null;
            if (keyStore != null) {
                char[] keyPassword = blank(c.keyStorePassword()) ? new char[0] : c.keyStorePassword().toCharArray();
                try {
                    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                    kmf.init(load("keyStore", keyStore, c.keyStorePassword(), c.keyStoreType()), keyPassword);
                    keys = kmf.getKeyManagers();
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("keyStore " + keyStore + " cannot be used (its key needs the keyStorePassword): "
                            + e.getMessage());
                }
            }
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(keys, trust, null);
                socketFactory = ctx.getSocketFactory();
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("TLS cannot be set up: " + e.getMessage());
            }
        }

        String format = blank(c.payloadFormat()) ? JSON : c.payloadFormat().trim().toLowerCase(java.util.Locale.ROOT);
        String group = null;
        if (format.equals(SPARKPLUG_B)) {
            group = blank(c.sparkplugGroupId()) ? "" : c.sparkplugGroupId().trim();
            if (!group.matches(TOPIC_LEVEL)) {
                throw new IllegalArgumentException("sparkplugGroupId must be 1..64 letters, digits, '.', '_' or '-' (it is a topic level), was '"
                        + group + "'");
            }
        } else if (!format.equals(JSON)) {
            throw new IllegalArgumentException("payloadFormat must be " + JSON + " or " + SPARKPLUG_B + ", was '" + c.payloadFormat() + "'");
        }

        range("telemetryRateHz", c.telemetryRateHz(), 0.1, 1000);
        range("statusRateHz", c.statusRateHz(), 0.1, 50);
        range("telemetryQos", c.telemetryQos(), 0, 1);
        range("bufferSize", c.bufferSize(), 1, 100_000);
        range("keepAliveSeconds", c.keepAliveSeconds(), 2, 600);
        range("connectTimeoutSeconds", c.connectTimeoutSeconds(), 1, 60);
        range("flushDelayMicros", c.flushDelayMicros(), 0, 10_000);
        if (!tls && c.flushDelayMicros() > 0) {
            socketFactory = new CoalescingSocketFactory(c.flushDelayMicros(), "armature-mqtt-tx");
        }
        return new Settings(uri, robot, clientId, username, password, socketFactory, trustStore, c.telemetryRateHz(), c.statusRateHz(),
                c.commandsEnabled(), c.bufferSize(), c.keepAliveSeconds(), c.connectTimeoutSeconds(), group, c.telemetryQos());
    }

    boolean sparkplug() {
        return sparkplugGroupId != null;
    }

    /** @return the topic prefix of this robot, {@code armature/<robotId>} */
    String base() {
        return "armature/" + robotId;
    }

    /**
     * The connect options: clean session (the component reconnects by itself), and a Last Will that the
     * broker publishes when the connection drops without a DISCONNECT: {@code <base>/online}
     * retained {@code false}, QoS 1.
     */
    MqttConnectOptions connectOptions() {
        return connectOptions(base() + "/online", "false".getBytes(StandardCharsets.UTF_8), true);
    }

    /** The connect options with another Last Will (Sparkplug B: NDEATH, not retained), QoS 1. */
    MqttConnectOptions connectOptions(String willTopic, byte[] willPayload, boolean willRetained) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(keepAliveSeconds);
        o.setConnectionTimeout(connectTimeoutSeconds);
        o.setMaxInflight(1_000);
        o.setWill(willTopic, willPayload, 1, willRetained);
        if (username != null) {
            o.setUserName(username);
        }
        if (password != null) {
            o.setPassword(password);
        }
        if (socketFactory != null) {
            o.setSocketFactory(socketFactory);
        }
        return o;
    }

    private static char[] readSecret(String file) {
        try {
            String s = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) {
                throw new IllegalArgumentException("passwordFile " + file + " is empty");
            }
            return s.toCharArray();
        } catch (IOException e) {
            throw new IllegalArgumentException("passwordFile " + file + " cannot be read: " + e);
        }
    }

    private static KeyStore load(String setting, String file, String password, String type) {
        String t = blank(type) ? "PKCS12" : type.trim();
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            KeyStore ks = KeyStore.getInstance(t);
            ks.load(in, blank(password) ? null : password.toCharArray());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(setting + " " + file + " (" + t + ") cannot be loaded: " + e.getMessage());
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static void range(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + v);
        }
    }

    private static void range(String name, double v, double min, double max) {
        if (!(v >= min && v <= max)) { // also rejects NaN
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + v);
        }
    }
}
