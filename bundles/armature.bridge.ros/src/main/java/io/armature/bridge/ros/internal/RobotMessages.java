package io.armature.bridge.ros.internal;

import java.util.List;

import io.armature.sensor.ImuSample;

/** The robot's ROS 2 messages as JSON, with the field names of their ROS 2 definitions. */
final class RobotMessages {

    private static final double[] UNKNOWN_COVARIANCE_36 = new double[36];
    private static final double[] UNKNOWN_COVARIANCE_9 = new double[9];
    /** REP 145: a first element of -1 says the IMU gives no orientation */
    private static final double[] NO_ORIENTATION = {-1, 0, 0, 0, 0, 0, 0, 0, 0};

    private RobotMessages() {
    }

    /**
     * {@code nav_msgs/Odometry}: pose in the odometry frame, twist in the body frame.
     *
     * @param stampNanos ns since the Unix epoch
     * @param x          m
     * @param y          m
     * @param heading    yaw, rad
     * @param linear     forward speed, m/s
     * @param angular    yaw rate, rad/s
     */
    static String odometry(long stampNanos, String odomFrame, String baseFrame, double x, double y, double heading, double linear,
            double angular) {
        return new JsonOut().begin().header(stampNanos, odomFrame).field("child_frame_id", baseFrame)
                .begin("pose").begin("pose").vector("position", x, y, 0)
                .begin("orientation").field("x", 0.0).field("y", 0.0).field("z", Math.sin(heading / 2)).field("w", Math.cos(heading / 2)).end()
                .end().array("covariance", UNKNOWN_COVARIANCE_36).end()
                .begin("twist").begin("twist").vector("linear", linear, 0, 0).vector("angular", 0, 0, angular).end()
                .array("covariance", UNKNOWN_COVARIANCE_36).end()
                .end().toString();
    }

    /** {@code sensor_msgs/Imu} without orientation (REP 145): angular velocity in rad/s, acceleration in m/s². */
    static String imu(long stampNanos, String frame, ImuSample s) {
        return new JsonOut().begin().header(stampNanos, frame)
                .begin("orientation").field("x", 0.0).field("y", 0.0).field("z", 0.0).field("w", 1.0).end()
                .array("orientation_covariance", NO_ORIENTATION)
                .vector("angular_velocity", s.gyroX, s.gyroY, s.gyroZ).array("angular_velocity_covariance", UNKNOWN_COVARIANCE_9)
                .vector("linear_acceleration", s.accelX, s.accelY, s.accelZ).array("linear_acceleration_covariance", UNKNOWN_COVARIANCE_9)
                .end().toString();
    }

    /** {@code sensor_msgs/JointState} of the two wheels: position in rad, velocity in rad/s, no effort. */
    static String jointStates(long stampNanos, List<String> names, double leftPosition, double rightPosition, double leftVelocity,
            double rightVelocity) {
        return new JsonOut().begin().header(stampNanos, "").array("name", names).array("position", leftPosition, rightPosition)
                .array("velocity", leftVelocity, rightVelocity).array("effort").end().toString();
    }
}
