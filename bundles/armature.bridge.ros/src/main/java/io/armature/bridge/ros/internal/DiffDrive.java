package io.armature.bridge.ros.internal;

/**
 * Differential-drive kinematics, pure: a body velocity (ROS {@code geometry_msgs/Twist}, x forward,
 * z up) to wheel speeds, and wheel angles back to a pose by integration. Not thread-safe: one
 * caller integrates.
 */
final class DiffDrive {

    private final double wheelRadius;
    private final double wheelBase;

    private boolean started;
    private double lastLeft;
    private double lastRight;
    private double x;
    private double y;
    private double heading;

    /**
     * @param wheelRadiusMeters wheel radius in m, above 0
     * @param wheelBaseMeters   distance between the wheels' contact points in m, above 0
     */
    DiffDrive(double wheelRadiusMeters, double wheelBaseMeters) {
        if (!(wheelRadiusMeters > 0) || Double.isInfinite(wheelRadiusMeters)) {
            throw new IllegalArgumentException("wheel radius must be finite and above 0 m, was " + wheelRadiusMeters);
        }
        if (!(wheelBaseMeters > 0) || Double.isInfinite(wheelBaseMeters)) {
            throw new IllegalArgumentException("wheel base must be finite and above 0 m, was " + wheelBaseMeters);
        }
        this.wheelRadius = wheelRadiusMeters;
        this.wheelBase = wheelBaseMeters;
    }

    /** @return the left wheel's speed in rad/s for a forward speed in m/s and a yaw rate in rad/s (positive turns left) */
    double leftWheel(double linearMetersPerSecond, double angularRadiansPerSecond) {
        return (linearMetersPerSecond - angularRadiansPerSecond * wheelBase / 2) / wheelRadius;
    }

    /** @return the right wheel's speed in rad/s for a forward speed in m/s and a yaw rate in rad/s (positive turns left) */
    double rightWheel(double linearMetersPerSecond, double angularRadiansPerSecond) {
        return (linearMetersPerSecond + angularRadiansPerSecond * wheelBase / 2) / wheelRadius;
    }

    /** @return the forward speed in m/s for wheel speeds in rad/s */
    double linear(double leftRadiansPerSecond, double rightRadiansPerSecond) {
        return wheelRadius * (leftRadiansPerSecond + rightRadiansPerSecond) / 2;
    }

    /** @return the yaw rate in rad/s (positive turns left) for wheel speeds in rad/s */
    double angular(double leftRadiansPerSecond, double rightRadiansPerSecond) {
        return wheelRadius * (rightRadiansPerSecond - leftRadiansPerSecond) / wheelBase;
    }

    /**
     * Moves the pose by the wheels' turn since the previous call (the first call only takes the
     * angles as the start), along an arc: midpoint heading.
     *
     * @param leftRadians  the left wheel's accumulated angle, rad
     * @param rightRadians the right wheel's accumulated angle, rad
     */
    void integrate(double leftRadians, double rightRadians) {
        if (!started) {
            started = true;
        } else {
            double dl = wheelRadius * (leftRadians - lastLeft);
            double dr = wheelRadius * (rightRadians - lastRight);
            double ds = (dl + dr) / 2;
            double dh = (dr - dl) / wheelBase;
            double mid = heading + dh / 2;
            x += ds * Math.cos(mid);
            y += ds * Math.sin(mid);
            heading = Math.IEEEremainder(heading + dh, 2 * Math.PI);
        }
        lastLeft = leftRadians;
        lastRight = rightRadians;
    }

    /** @return x in the odometry frame, m */
    double x() {
        return x;
    }

    /** @return y in the odometry frame, m */
    double y() {
        return y;
    }

    /** @return heading (yaw) in the odometry frame, rad, -π..π */
    double heading() {
        return heading;
    }
}
