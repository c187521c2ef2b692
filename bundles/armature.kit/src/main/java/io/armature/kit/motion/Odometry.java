package io.armature.kit.motion;

import io.armature.motion.DriveGeometry;

/**
 * The robot's pose, integrated from its wheels' angles with the drive's one kinematics
 * ({@link DriveGeometry}, owned by the motion-command service): what every interface that
 * reports odometry ({@code /odom} of the ROS bridges, a recording) integrates with. Not
 * thread-safe: one caller integrates.
 */
public final class Odometry {

    private boolean started;
    private double lastLeft;
    private double lastRight;
    private double x;
    private double y;
    private double heading;

    /**
     * Moves the pose by the wheels' turn since the previous call (the first call only takes the
     * angles as the start), along an arc: midpoint heading.
     *
     * @param drive        the wheels' radius and base
     * @param leftRadians  the left wheel's accumulated angle, rad
     * @param rightRadians the right wheel's accumulated angle, rad
     */
    public void integrate(DriveGeometry drive, double leftRadians, double rightRadians) {
        if (!started) {
            started = true;
        } else {
            // linear() and angular() are linear in the wheel speeds: applied to the angles each wheel
            // turned over the step, they give the distance travelled and the change of heading
            double ds = drive.linear(leftRadians - lastLeft, rightRadians - lastRight);
            double dh = drive.angular(leftRadians - lastLeft, rightRadians - lastRight);
            double mid = heading + dh / 2;
            x += ds * Math.cos(mid);
            y += ds * Math.sin(mid);
            heading = Math.IEEEremainder(heading + dh, 2 * Math.PI);
        }
        lastLeft = leftRadians;
        lastRight = rightRadians;
    }

    /** @return x in the odometry frame, m */
    public double x() {
        return x;
    }

    /** @return y in the odometry frame, m */
    public double y() {
        return y;
    }

    /** @return heading (yaw) in the odometry frame, rad, -π..π */
    public double heading() {
        return heading;
    }
}
