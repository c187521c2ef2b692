package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import io.armature.motion.DriveGeometry;

/**
 * /cmd_vel's input checks, and wheel angles to odometry with the drive's one kinematics
 * ({@link DriveGeometry}) and the sim-rover's wheels: radius 0.04 m, base 0.20 m.
 */
class TwistAndOdometryTest {

    private final DriveGeometry rover = new DriveGeometry("left", "right", 0.04, 0.20);

    private static Twist twist(String json) {
        return Twist.parse(JsonTree.parse(json), 1.0, 6.0);
    }

    @Test
    void aTwistIsItsForwardSpeedAndYawRate() {
        Twist t = twist("{\"linear\":{\"x\":0.2,\"y\":0,\"z\":0},\"angular\":{\"x\":0,\"y\":0,\"z\":-1.5}}");
        assertEquals(0.2, t.linear());
        assertEquals(-1.5, t.angular());
        assertEquals(new Twist(0, 0), twist("{}"), "what is left out is 0, as ROS fills in");
    }

    @Test
    void aMalformedOrUnfollowableTwistIsRefusedNamingTheField() {
        String[][] bad = {
                {"[1,2]", "a geometry_msgs/Twist must be an object {linear: {x, y, z}, angular: {x, y, z}}, was [1.0, 2.0]"},
                {"{\"linear\":{\"x\":null}}", "linear.x must be a finite number, was null"},
                {"{\"linear\":{\"x\":\"fast\"}}", "linear.x must be a finite number, was 'fast'"},
                {"{\"linear\":{\"x\":1e400}}", "linear.x must be a finite number, was Infinity"},
                {"{\"linear\":{\"x\":1.5}}", "linear.x 1.5 m/s is beyond the limit of 1.0 m/s"},
                {"{\"angular\":{\"z\":-7}}", "angular.z -7.0 rad/s is beyond the limit of 6.0 rad/s"},
                {"{\"linear\":{\"y\":0.1}}", "a differential drive moves only along linear.x and turns only about angular.z; "
                        + "linear.y, linear.z, angular.x, angular.y must be 0"},
                {"{\"linear\":{\"w\":0.1}}", "unknown field 'linear.w'; a Vector3 has x, y, z"},
                {"{\"speed\":1}", "unknown field 'speed' in geometry_msgs/Twist; it has linear and angular"},
                {"{\"linear\":5}", "linear must be an object {x, y, z}, was 5"},
        };
        for (String[] b : bad) {
            assertEquals(b[1], assertThrows(IllegalArgumentException.class, () -> twist(b[0])).getMessage(), b[0]);
        }
    }

    @Test
    void odometryFollowsAStraightLineAndAQuarterCircle() {
        Odometry line = new Odometry();
        line.integrate(rover, 0, 0);
        line.integrate(rover, 25, 25); // 25 rad * 0.04 m = 1 m
        assertEquals(1.0, line.x(), 1e-12);
        assertEquals(0.0, line.y(), 1e-12);
        assertEquals(0.0, line.heading(), 1e-12);

        Odometry arc = new Odometry();
        // a quarter circle of radius 0.5 m to the left: the left wheel on 0.4 m, the right on 0.6 m
        double leftMeters = Math.PI / 2 * 0.4;
        double rightMeters = Math.PI / 2 * 0.6;
        arc.integrate(rover, 0, 0);
        for (int i = 1; i <= 1000; i++) {
            arc.integrate(rover, leftMeters / 0.04 * i / 1000, rightMeters / 0.04 * i / 1000);
        }
        assertEquals(0.5, arc.x(), 1e-6);
        assertEquals(0.5, arc.y(), 1e-6);
        assertEquals(Math.PI / 2, arc.heading(), 1e-9);
    }

    @Test
    void theFirstAnglesAreTheStartNotAJump() {
        Odometry o = new Odometry();
        o.integrate(rover, 1000, 1000);
        assertEquals(0.0, o.x());
        o.integrate(rover, 1000 + 25, 1000 + 25);
        assertEquals(1.0, o.x(), 1e-12);
    }
}
