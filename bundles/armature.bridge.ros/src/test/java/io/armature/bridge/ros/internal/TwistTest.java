package io.armature.bridge.ros.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** /cmd_vel's input checks. */
class TwistTest {

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
}
