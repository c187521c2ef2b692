package io.armature.bridge.ros.internal;

import java.util.Locale;

/**
 * The bridge's configuration, checked whole: a bad value refuses all of it with a one-line reason
 * naming the field.
 */
record Settings(String host, int rosbridgePort, int foxglovePort, String leftLoop, String rightLoop, String leftEncoder,
        String rightEncoder, String imuStream, double wheelRadius, double wheelBase, double maxLinearSpeed, double maxAngularSpeed,
        int cmdVelTimeoutMillis, double publishRateHz, int maxQueuedMessages, String odomFrame, String baseFrame, String imuFrame,
        String leftJoint, String rightJoint) {

    static Settings of(RosBridge.Config c) {
        Settings s = new Settings(c.host().trim(), c.rosbridgePort(), c.foxglovePort(), c.leftLoop().trim(), c.rightLoop().trim(),
                c.leftEncoderStream().trim(), c.rightEncoderStream().trim(), c.imuStream().trim(), c.wheelRadius(), c.wheelBase(),
                c.maxLinearSpeed(), c.maxAngularSpeed(), c.cmdVelTimeoutMillis(), c.publishRateHz(), c.maxQueuedMessages(),
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
        named("leftLoop", leftLoop);
        named("rightLoop", rightLoop);
        if (leftLoop.equals(rightLoop)) {
            throw new IllegalArgumentException("leftLoop and rightLoop are both '" + leftLoop + "'");
        }
        named("leftEncoderStream", leftEncoder);
        named("rightEncoderStream", rightEncoder);
        named("imuStream", imuStream);
        range("wheelRadius", wheelRadius, 0.001, 10, "m");
        range("wheelBase", wheelBase, 0.01, 100, "m");
        range("maxLinearSpeed", maxLinearSpeed, 0.0, 100, "m/s");
        range("maxAngularSpeed", maxAngularSpeed, 0.0, 100, "rad/s");
        range("cmdVelTimeoutMillis", cmdVelTimeoutMillis, 50, 10_000, "ms");
        range("publishRateHz", publishRateHz, 1, 200, "Hz");
        range("maxQueuedMessages", maxQueuedMessages, 1, 100_000, "messages");
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
}
