package io.armature.bridge.ros.internal;

import java.util.Map;
import java.util.regex.Pattern;

/** ROS 2 message type names, and the JSON schemas the Foxglove protocol advertises with each. */
final class MessageTypes {

    static final String TWIST = "geometry_msgs/msg/Twist";
    static final String ODOMETRY = "nav_msgs/msg/Odometry";
    static final String IMU = "sensor_msgs/msg/Imu";
    static final String JOINT_STATE = "sensor_msgs/msg/JointState";

    private static final Pattern NAME = Pattern.compile("([A-Za-z][A-Za-z0-9_]*)/(?:msg/)?([A-Za-z][A-Za-z0-9_]*)");

    private static final String VECTOR3 = "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"},\"y\":{\"type\":\"number\"},"
            + "\"z\":{\"type\":\"number\"}}}";
    private static final String QUATERNION = "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"},\"y\":{\"type\":\"number\"},"
            + "\"z\":{\"type\":\"number\"},\"w\":{\"type\":\"number\"}}}";
    private static final String HEADER = "{\"type\":\"object\",\"properties\":{\"stamp\":{\"type\":\"object\",\"properties\":"
            + "{\"sec\":{\"type\":\"integer\"},\"nanosec\":{\"type\":\"integer\"}}},\"frame_id\":{\"type\":\"string\"}}}";
    private static final String NUMBERS = "{\"type\":\"array\",\"items\":{\"type\":\"number\"}}";
    private static final String TWIST_SCHEMA = "{\"type\":\"object\",\"properties\":{\"linear\":" + VECTOR3 + ",\"angular\":" + VECTOR3 + "}}";

    private static final Map<String, String> SCHEMAS = Map.of(
            TWIST, TWIST_SCHEMA,
            ODOMETRY, "{\"type\":\"object\",\"properties\":{\"header\":" + HEADER + ",\"child_frame_id\":{\"type\":\"string\"},"
                    + "\"pose\":{\"type\":\"object\",\"properties\":{\"pose\":{\"type\":\"object\",\"properties\":{\"position\":" + VECTOR3
                    + ",\"orientation\":" + QUATERNION + "}},\"covariance\":" + NUMBERS + "}},"
                    + "\"twist\":{\"type\":\"object\",\"properties\":{\"twist\":" + TWIST_SCHEMA + ",\"covariance\":" + NUMBERS + "}}}}",
            IMU, "{\"type\":\"object\",\"properties\":{\"header\":" + HEADER + ",\"orientation\":" + QUATERNION
                    + ",\"orientation_covariance\":" + NUMBERS + ",\"angular_velocity\":" + VECTOR3 + ",\"angular_velocity_covariance\":"
                    + NUMBERS + ",\"linear_acceleration\":" + VECTOR3 + ",\"linear_acceleration_covariance\":" + NUMBERS + "}}",
            JOINT_STATE, "{\"type\":\"object\",\"properties\":{\"header\":" + HEADER + ",\"name\":{\"type\":\"array\",\"items\":"
                    + "{\"type\":\"string\"}},\"position\":" + NUMBERS + ",\"velocity\":" + NUMBERS + ",\"effort\":" + NUMBERS + "}}");

    private MessageTypes() {
    }

    /**
     * @param type a ROS type name, {@code pkg/Name} (ROS 1 style) or {@code pkg/msg/Name}
     * @return the ROS 2 form, {@code pkg/msg/Name}
     * @throws IllegalArgumentException when it is not a type name
     */
    static String canonical(Object type) {
        if (type instanceof String s) {
            var m = NAME.matcher(s);
            if (m.matches()) {
                return m.group(1) + "/msg/" + m.group(2);
            }
        }
        throw new IllegalArgumentException(JsonTree.show(type) + " is not a message type; write package/msg/Type, for example "
                + TWIST);
    }

    /** @return the JSON schema of a type; any JSON object for a type the bridge does not know */
    static String schema(String type) {
        return SCHEMAS.getOrDefault(type, "{\"type\":\"object\"}");
    }
}
