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
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.paho.client.mqttv3.MqttConnectOptions;

/**
 * A validated {@link MqttTelemetry.Config}. Every check fails with a one-line message naming the
 * setting; nothing is half-applied.
 *
 * @param socketFactory a TLS socket factory over the configured trust store; null for the JVM
 *                      default (ssl://) or plain TCP
 */
record Settings(String brokerUri, String robotId, String clientId, String username, char[] password,
        SocketFactory socketFactory, double telemetryRateHz, double statusRateHz, boolean commandsEnabled,
        int bufferSize, int keepAliveSeconds, int connectTimeoutSeconds) {

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
        if (!robot.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("robotId must be 1..64 letters, digits, '.', '_' or '-' (it is a topic level), was '" + robot + "'");
        }
        String clientId = blank(c.clientId()) ? "armature-" + robot : c.clientId().trim();
        if (!clientId.matches("[A-Za-z0-9_.-]{1,64}")) {
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
        if (!blank(c.trustStore())) {
            if (!tls) {
                throw new IllegalArgumentException("trustStore needs an ssl:// brokerUri, was '" + uri + "'");
            }
            socketFactory = trustStoreSocketFactory(c.trustStore().trim(), c.trustStorePassword(), c.trustStoreType());
        }

        range("telemetryRateHz", c.telemetryRateHz(), 0.1, 50);
        range("statusRateHz", c.statusRateHz(), 0.1, 50);
        range("bufferSize", c.bufferSize(), 1, 100_000);
        range("keepAliveSeconds", c.keepAliveSeconds(), 2, 600);
        range("connectTimeoutSeconds", c.connectTimeoutSeconds(), 1, 60);
        return new Settings(uri, robot, clientId, username, password, socketFactory, c.telemetryRateHz(), c.statusRateHz(),
                c.commandsEnabled(), c.bufferSize(), c.keepAliveSeconds(), c.connectTimeoutSeconds());
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
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(keepAliveSeconds);
        o.setConnectionTimeout(connectTimeoutSeconds);
        o.setMaxInflight(1_000);
        o.setWill(base() + "/online", "false".getBytes(StandardCharsets.UTF_8), 1, true);
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

    private static SocketFactory trustStoreSocketFactory(String file, String password, String type) {
        String t = blank(type) ? "PKCS12" : type.trim();
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            KeyStore ks = KeyStore.getInstance(t);
            ks.load(in, blank(password) ? null : password.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("trustStore " + file + " (" + t + ") cannot be loaded: " + e.getMessage());
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
