package io.armature.recording.internal;

import java.nio.charset.StandardCharsets;

import io.armature.control.LoopSample;
import io.armature.motion.CommandSample;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;

/**
 * The ROS 2 messages samples are recorded as, with their definitions in the {@code ros2msg}
 * encoding the MCAP ROS 2 profile asks for: the message's own fields, then each type it uses,
 * after a line of 80 '=' and {@code MSG: package/Type}. Tools render these without plugins.
 */
public final class Ros2Messages {

    private static final String SEPARATOR = "================================================================================\n";

    private static final String HEADER = SEPARATOR + "MSG: std_msgs/Header\n"
            + "builtin_interfaces/Time stamp\n"
            + "string frame_id\n"
            + SEPARATOR + "MSG: builtin_interfaces/Time\n"
            + "int32 sec\n"
            + "uint32 nanosec\n";

    private static final String QUATERNION = SEPARATOR + "MSG: geometry_msgs/Quaternion\n"
            + "float64 x\n"
            + "float64 y\n"
            + "float64 z\n"
            + "float64 w\n";

    private static final String VECTOR3 = SEPARATOR + "MSG: geometry_msgs/Vector3\n"
            + "float64 x\n"
            + "float64 y\n"
            + "float64 z\n";

    /** sensor_msgs/msg/Imu */
    public static final String IMU_TYPE = "sensor_msgs/msg/Imu";
    static final String IMU_DEFINITION = "std_msgs/Header header\n"
            + "geometry_msgs/Quaternion orientation\n"
            + "float64[9] orientation_covariance\n"
            + "geometry_msgs/Vector3 angular_velocity\n"
            + "float64[9] angular_velocity_covariance\n"
            + "geometry_msgs/Vector3 linear_acceleration\n"
            + "float64[9] linear_acceleration_covariance\n"
            + HEADER
            + QUATERNION
            + VECTOR3;

    /** sensor_msgs/msg/JointState */
    public static final String JOINT_STATE_TYPE = "sensor_msgs/msg/JointState";
    static final String JOINT_STATE_DEFINITION = "std_msgs/Header header\n"
            + "string[] name\n"
            + "float64[] position\n"
            + "float64[] velocity\n"
            + "float64[] effort\n"
            + HEADER;

    /** armature_msgs/msg/LoopCycle: one cycle of a control loop (Armature's own message; the README documents it). */
    public static final String LOOP_CYCLE_TYPE = "armature_msgs/msg/LoopCycle";
    static final String LOOP_CYCLE_DEFINITION = "# One cycle of an Armature control loop, in the loop's unit (rad/s for a wheel)\n"
            + "std_msgs/Header header\n"
            + "string loop\n"
            + "string controller\n"
            + "float64 setpoint\n"
            + "float64 profiled_setpoint\n"
            + "float64 measurement\n"
            + "float64 output\n"
            + "float64 kp\n"
            + "float64 ki\n"
            + "float64 kd\n"
            + "float64 ks\n"
            + "float64 kv\n"
            + "int64 lateness_ns\n"
            + HEADER;

    /** armature_msgs/msg/SafetyState: the safety supervisor's state, written when it changes. */
    public static final String SAFETY_STATE_TYPE = "armature_msgs/msg/SafetyState";
    static final String SAFETY_STATE_DEFINITION = "# The safety supervisor's state, written when it changes\n"
            + "std_msgs/Header header\n"
            + "string state\n"
            + "bool may_move\n"
            + "string trip_source\n"
            + "string trip_reason\n"
            + "string[] unhealthy\n"
            + HEADER;

    /** armature_msgs/msg/LoopOwner: which command source owns a loop, written when it changes. */
    public static final String LOOP_OWNER_TYPE = "armature_msgs/msg/LoopOwner";
    static final String LOOP_OWNER_DEFINITION = "# Which command source owns a loop (empty: none), written when it changes\n"
            + "std_msgs/Header header\n"
            + "string loop\n"
            + "string source\n"
            + HEADER;

    /** nav_msgs/msg/Odometry */
    public static final String ODOMETRY_TYPE = "nav_msgs/msg/Odometry";
    static final String ODOMETRY_DEFINITION = "std_msgs/Header header\n"
            + "string child_frame_id\n"
            + "geometry_msgs/PoseWithCovariance pose\n"
            + "geometry_msgs/TwistWithCovariance twist\n"
            + HEADER
            + SEPARATOR + "MSG: geometry_msgs/PoseWithCovariance\n"
            + "geometry_msgs/Pose pose\n"
            + "float64[36] covariance\n"
            + SEPARATOR + "MSG: geometry_msgs/Pose\n"
            + "geometry_msgs/Point position\n"
            + "geometry_msgs/Quaternion orientation\n"
            + SEPARATOR + "MSG: geometry_msgs/Point\n"
            + "float64 x\n"
            + "float64 y\n"
            + "float64 z\n"
            + QUATERNION
            + SEPARATOR + "MSG: geometry_msgs/TwistWithCovariance\n"
            + "geometry_msgs/Twist twist\n"
            + "float64[36] covariance\n"
            + SEPARATOR + "MSG: geometry_msgs/Twist\n"
            + "geometry_msgs/Vector3 linear\n"
            + "geometry_msgs/Vector3 angular\n"
            + VECTOR3;

    /** armature_msgs/msg/MotionCommand: a motion command as the robot received it, and what became of it. */
    public static final String MOTION_COMMAND_TYPE = "armature_msgs/msg/MotionCommand";
    static final String MOTION_COMMAND_DEFINITION = "# A motion command as the robot received it, and what became of it\n"
            + "std_msgs/Header header\n"
            + "string kind\n"
            + "string source\n"
            + "string loop\n"
            + "float64 value\n"
            + "float64 angular\n"
            + "bool accepted\n"
            + "bool in_force\n"
            + "string detail\n"
            + HEADER;

    private static final byte[] NO_FRAME = new byte[0];

    private Ros2Messages() {
    }

    /**
     * An IMU sample as sensor_msgs/msg/Imu: no orientation estimate (its covariance's first
     * element -1, as the message's definition asks), covariances unknown (0).
     */
    static void imu(ImuSample s, long epochNanos, byte[] frameId, CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(frameId);
        cdr.float64(0).float64(0).float64(0).float64(1); // orientation: identity, marked unknown below
        cdr.float64(-1);
        for (int i = 1; i < 9; i++) {
            cdr.float64(0);
        }
        cdr.float64(s.gyroX).float64(s.gyroY).float64(s.gyroZ);
        zeros(cdr, 9);
        cdr.float64(s.accelX).float64(s.accelY).float64(s.accelZ);
        zeros(cdr, 9);
    }

    /** An encoder sample as sensor_msgs/msg/JointState of one joint: its angle (rad) and speed (rad/s), no effort. */
    static void jointState(EncoderSample s, long epochNanos, byte[] joint, CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(NO_FRAME);
        cdr.uint32(1).string(joint);
        cdr.uint32(1).float64(s.positionRadians);
        cdr.uint32(1).float64(s.velocityRadiansPerSecond);
        cdr.uint32(0);
    }

    /** A loop's cycle as armature_msgs/msg/LoopCycle; {@code loop} is the loop's name (its stream's, less the prefix). */
    static void loopCycle(LoopSample s, long epochNanos, byte[] loop, CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(NO_FRAME).string(loop).string(s.controller);
        cdr.float64(s.setpoint).float64(s.profiledSetpoint).float64(s.measurement).float64(s.output);
        cdr.float64(s.kp).float64(s.ki).float64(s.kd).float64(s.ks).float64(s.kv).int64(s.latenessNanos);
    }

    static void safetyState(long epochNanos, String state, boolean mayMove, String tripSource, String tripReason, java.util.List<String> unhealthy,
            CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(NO_FRAME).string(state).bool(mayMove).string(tripSource).string(tripReason);
        cdr.uint32(unhealthy.size());
        unhealthy.forEach(cdr::string);
    }

    static void loopOwner(long epochNanos, String loop, String source, CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(NO_FRAME).string(loop).string(source);
    }

    /**
     * The pose on the plane as nav_msgs/msg/Odometry: position and yaw in the odometry frame, the
     * body's forward speed and yaw rate in the base frame; covariances unknown (0).
     */
    static void odometry(long epochNanos, byte[] frame, byte[] childFrame, double x, double y, double yaw, double linear, double angular,
            CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(frame).string(childFrame);
        cdr.float64(x).float64(y).float64(0);
        cdr.float64(0).float64(0).float64(Math.sin(yaw / 2)).float64(Math.cos(yaw / 2)); // a turn about z
        zeros(cdr, 36);
        cdr.float64(linear).float64(0).float64(0);
        cdr.float64(0).float64(0).float64(angular);
        zeros(cdr, 36);
    }

    /** A motion command as armature_msgs/msg/MotionCommand. */
    static void motionCommand(CommandSample c, long epochNanos, byte[] unused, CdrWriter cdr) {
        cdr.begin().time(epochNanos).string(NO_FRAME).string(c.kind.name()).string(c.source).string(c.loop);
        cdr.float64(c.value).float64(c.angular).bool(c.accepted).bool(c.inForce).string(c.detail);
    }

    private static void zeros(CdrWriter cdr, int n) {
        for (int i = 0; i < n; i++) {
            cdr.float64(0);
        }
    }

    /** @return the topic a stream is recorded on: {@code encoder.left} on {@code /encoder/left} */
    public static String topic(String stream) {
        return "/" + stream.replace('.', '/');
    }

    /** @return the stream a topic was recorded from: the inverse of {@link #topic} */
    public static String stream(String topic) {
        return (topic.startsWith("/") ? topic.substring(1) : topic).replace('/', '.');
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
