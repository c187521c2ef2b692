package io.armature.kit.motion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.armature.motion.DriveGeometry;

/** Wheel angles to odometry with the drive's one kinematics ({@link DriveGeometry}) and the sim-rover's wheels: radius 0.04 m, base 0.20 m. */
class OdometryTest {

    private final DriveGeometry rover = new DriveGeometry("left", "right", 0.04, 0.20);

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
