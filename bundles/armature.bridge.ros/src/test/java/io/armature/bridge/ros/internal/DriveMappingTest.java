package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** /cmd_vel to wheel speeds and wheel angles to odometry, with the sim-rover's wheels: radius 0.04 m, base 0.20 m. */
class DriveMappingTest {

    private final DiffDrive drive = new DiffDrive(0.04, 0.20);

    private static Twist twist(String json) {
        return Twist.parse(JsonTree.parse(json), 1.0, 6.0);
    }

    @Test
    void forwardTurnsBothWheelsAlikeAndAYawRateTurnsThemApart() {
        Twist forward = twist("{\"linear\":{\"x\":0.2,\"y\":0,\"z\":0},\"angular\":{\"x\":0,\"y\":0,\"z\":0}}");
        assertEquals(5.0, drive.leftWheel(forward.linear(), forward.angular()), 1e-12, "0.2 m/s / 0.04 m");
        assertEquals(5.0, drive.rightWheel(forward.linear(), forward.angular()), 1e-12);
        Twist spin = twist("{\"angular\":{\"z\":2.0}}");
        assertEquals(-5.0, drive.leftWheel(spin.linear(), spin.angular()), 1e-12, "2 rad/s * 0.1 m / 0.04 m, left backwards");
        assertEquals(5.0, drive.rightWheel(spin.linear(), spin.angular()), 1e-12);
        assertEquals(0.2, drive.linear(5, 5), 1e-12);
        assertEquals(2.0, drive.angular(-5, 5), 1e-12);
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
        drive.integrate(0, 0);
        drive.integrate(25, 25); // 25 rad * 0.04 m = 1 m
        assertEquals(1.0, drive.x(), 1e-12);
        assertEquals(0.0, drive.y(), 1e-12);
        assertEquals(0.0, drive.heading(), 1e-12);

        DiffDrive arc = new DiffDrive(0.04, 0.20);
        // a quarter circle of radius 0.5 m to the left: the left wheel on 0.4 m, the right on 0.6 m
        double leftMeters = Math.PI / 2 * 0.4;
        double rightMeters = Math.PI / 2 * 0.6;
        arc.integrate(0, 0);
        for (int i = 1; i <= 1000; i++) {
            arc.integrate(leftMeters / 0.04 * i / 1000, rightMeters / 0.04 * i / 1000);
        }
        assertEquals(0.5, arc.x(), 1e-6);
        assertEquals(0.5, arc.y(), 1e-6);
        assertEquals(Math.PI / 2, arc.heading(), 1e-9);
    }

    @Test
    void badWheelGeometryIsRefused() {
        assertEquals("wheel radius must be finite and above 0 m, was 0.0",
                assertThrows(IllegalArgumentException.class, () -> new DiffDrive(0, 0.2)).getMessage());
        assertEquals("wheel base must be finite and above 0 m, was NaN",
                assertThrows(IllegalArgumentException.class, () -> new DiffDrive(0.04, Double.NaN)).getMessage());
    }
}
