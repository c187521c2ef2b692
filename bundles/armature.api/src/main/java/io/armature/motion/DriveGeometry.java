package io.armature.motion;

import java.util.Objects;

/**
 * A differential drive: which loops turn the wheels and how wheel speeds relate to the body's
 * velocity (ROS {@code geometry_msgs/Twist}: x forward, yaw positive to the left).
 *
 * @param leftLoop          the left wheel's loop name
 * @param rightLoop         the right wheel's loop name
 * @param wheelRadiusMeters wheel radius in m, above 0
 * @param wheelBaseMeters   distance between the wheels' contact points in m, above 0
 */
public record DriveGeometry(String leftLoop, String rightLoop, double wheelRadiusMeters, double wheelBaseMeters) {
    public DriveGeometry {
        Objects.requireNonNull(leftLoop, "leftLoop");
        Objects.requireNonNull(rightLoop, "rightLoop");
        if (!(wheelRadiusMeters > 0) || Double.isInfinite(wheelRadiusMeters)) {
            throw new IllegalArgumentException("wheel radius must be finite and above 0 m, was " + wheelRadiusMeters);
        }
        if (!(wheelBaseMeters > 0) || Double.isInfinite(wheelBaseMeters)) {
            throw new IllegalArgumentException("wheel base must be finite and above 0 m, was " + wheelBaseMeters);
        }
    }

    /** @return the left wheel's speed in rad/s for a forward speed in m/s and a yaw rate in rad/s */
    public double leftWheel(double linearMetersPerSecond, double angularRadiansPerSecond) {
        return (linearMetersPerSecond - angularRadiansPerSecond * wheelBaseMeters / 2) / wheelRadiusMeters;
    }

    /** @return the right wheel's speed in rad/s for a forward speed in m/s and a yaw rate in rad/s */
    public double rightWheel(double linearMetersPerSecond, double angularRadiansPerSecond) {
        return (linearMetersPerSecond + angularRadiansPerSecond * wheelBaseMeters / 2) / wheelRadiusMeters;
    }

    /** @return the forward speed in m/s for wheel speeds in rad/s */
    public double linear(double leftRadiansPerSecond, double rightRadiansPerSecond) {
        return wheelRadiusMeters * (leftRadiansPerSecond + rightRadiansPerSecond) / 2;
    }

    /** @return the yaw rate in rad/s (positive turns left) for wheel speeds in rad/s */
    public double angular(double leftRadiansPerSecond, double rightRadiansPerSecond) {
        return wheelRadiusMeters * (rightRadiansPerSecond - leftRadiansPerSecond) / wheelBaseMeters;
    }
}
