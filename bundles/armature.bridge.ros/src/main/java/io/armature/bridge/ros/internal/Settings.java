package io.armature.bridge.ros.internal;

import java.util.List;
import java.util.Locale;

/**
 * The bridge's configuration, checked whole: a bad value refuses all of it with a one-line reason
 * naming the field.
 */
record Settings(String host, int rosbridgePort, int foxglovePort, String leftEncoder, String rightEncoder, String imuStream,
        double maxLinearSpeed, double maxAngularSpeed, double publishRateHz, int maxQueuedMessages, int maxQueuedBytes, int maxClients,
        int maxTopicsPerClient, int maxLatchedBytesPerTopic, int maxLatchedBytes, List<String> allowedOrigins, List<String> allowedHosts,
        String token, String odomFrame, String baseFrame, String imuFrame, String leftJoint, String rightJoint) {

    static Settings of(RosBridge.Config c) {
        Settings s = new Settings(c.host().trim(), c.rosbridgePort(), c.foxglovePort(), c.leftEncoderStream().trim(),
                c.rightEncoderStream().trim(), c.imuStream().trim(), c.maxLinearSpeed(), c.maxAngularSpeed(), c.publishRateHz(),
                c.maxQueuedMessages(), c.maxQueuedBytes(), c.maxClients(), c.maxTopicsPerClient(), c.maxLatchedBytesPerTopic(),
                c.maxLatchedBytes(), FrontDoor.list(c.allowedOrigins()), FrontDoor.list(c.allowedHosts()), c.token().trim(),
                c.odomFrame().trim(), c.baseFrame().trim(), c.imuFrame().trim(), c.leftJoint().trim(), c.rightJoint().trim());
        s.check();
        return s;
    }

    private void check() {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must be an address to listen on, for example 127.0.0.1");
        }
        port("rosbridgePort", rosbridgePort);
        port("foxglovePort", foxglovePort);
        if (rosbridgePort == 0 && foxglovePort == 0) {
            throw new IllegalArgumentException("rosbridgePort and foxglovePort are both 0: the bridge would serve nothing");
        }
        if (rosbridgePort != 0 && rosbridgePort == foxglovePort) {
            throw new IllegalArgumentException("rosbridgePort and foxglovePort are both " + rosbridgePort + "; they need a port each");
        }
        named("leftEncoderStream", leftEncoder);
        named("rightEncoderStream", rightEncoder);
        named("imuStream", imuStream);
        range("maxLinearSpeed", maxLinearSpeed, 0.0, 100, "m/s");
        range("maxAngularSpeed", maxAngularSpeed, 0.0, 100, "rad/s");
        range("publishRateHz", publishRateHz, 1, 200, "Hz");
        range("maxQueuedMessages", maxQueuedMessages, 1, 100_000, "messages");
        range("maxQueuedBytes", maxQueuedBytes, 4096, 1 << 30, "bytes");
        range("maxClients", maxClients, 1, 1000, "clients");
        range("maxTopicsPerClient", maxTopicsPerClient, 1, 10_000, "topics");
        range("maxLatchedBytesPerTopic", maxLatchedBytesPerTopic, 1024, 1 << 30, "bytes");
        range("maxLatchedBytes", maxLatchedBytes, maxLatchedBytesPerTopic, 1 << 30, "bytes (at least maxLatchedBytesPerTopic)");
        for (String o : allowedOrigins) {
            if (!FrontDoor.normalOrigin(o).matches("[a-z][a-z0-9+.-]*://[^/\\s?#]+")) {
                throw new IllegalArgumentException("allowedOrigins: '" + o + "' is not an origin such as https://app.foxglove.dev");
            }
        }
        for (String h : allowedHosts) {
            if (!FrontDoor.isHost(h)) {
                throw new IllegalArgumentException("allowedHosts: '" + h + "' is not a host name or host:port such as rover.local:9090");
            }
        }
        if (!token.isEmpty()) {
            RosToken.of(token);
        }
        named("odomFrame", odomFrame);
        named("baseFrame", baseFrame);
        named("imuFrame", imuFrame);
        named("leftJoint", leftJoint);
        named("rightJoint", rightJoint);
    }

    private static void port(String field, int v) {
        if (v < 0 || v > 65_535) {
            throw new IllegalArgumentException(field + " must be 1..65535, or 0 for off; was " + v);
        }
    }

    private static void named(String field, String v) {
        if (v.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
    }

    private static void range(String field, double v, double min, double max, String unit) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be %s..%s %s, was %s", field, plain(min), plain(max), unit,
                    plain(v)));
        }
    }

    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public String toString() { // the token stays out of messages
        return "Settings[host=" + host + ", rosbridgePort=" + rosbridgePort + ", foxglovePort=" + foxglovePort + "]";
    }
}
