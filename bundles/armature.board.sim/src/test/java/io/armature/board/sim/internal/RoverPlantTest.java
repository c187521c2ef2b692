package io.armature.board.sim.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RoverPlantTest {

    private static final long MS = 1_000_000;

    private static RoverPlant drive(long seed, double leftDuty, double rightDuty, int millis) {
        RoverPlant p = new RoverPlant(seed, 1440);
        p.setImuErrors(0.002, 0.001, 0.02, 0.05);
        p.setBrake(0, false);
        p.setBrake(1, false);
        p.setDuty(0, leftDuty);
        p.setDuty(1, rightDuty);
        for (int i = 0; i < millis; i++) {
            p.step(MS);
        }
        return p;
    }

    @Test
    void sameSeedSameRun() throws Exception {
        RoverPlant a = drive(7, 0.6, 0.4, 500);
        RoverPlant b = drive(7, 0.6, 0.4, 500);
        assertEquals(a.x(), b.x());
        assertEquals(a.heading(), b.heading());
        assertEquals(a.measuredGyroZ(), b.measuredGyroZ());
        byte[] ra = new byte[14];
        byte[] rb = new byte[14];
        a.imu.read(0x3B, ra, 0, 14);
        b.imu.read(0x3B, rb, 0, 14);
        assertArrayEquals(ra, rb);
    }

    @Test
    void equalDutiesDriveStraightAhead() {
        RoverPlant p = drive(1, 0.5, 0.5, 1000);
        assertEquals(0.0, p.heading(), 1e-12);
        assertTrue(p.x() > 0.3, "moved " + p.x() + " m");
        assertEquals(0.0, p.y(), 1e-12);
        double wheel = p.left.speed();
        assertEquals(RoverPlant.WHEEL_RADIUS_M * wheel, p.forwardSpeed(), 1e-9);
    }

    @Test
    void differentDutiesTurnAndTheGyroFeelsIt() {
        RoverPlant p = new RoverPlant(3, 1440);
        p.setImuErrors(0, 0, 0, 0);
        p.setBrake(0, false);
        p.setBrake(1, false);
        p.setDuty(1, 0.8);
        for (int i = 0; i < 1000; i++) {
            p.step(MS);
        }
        double expectedYaw = RoverPlant.WHEEL_RADIUS_M * (p.right.speed() - p.left.speed()) / RoverPlant.TRACK_WIDTH_M;
        assertTrue(expectedYaw > 0.5, "turning left at " + expectedYaw + " rad/s");
        assertEquals(expectedYaw, p.measuredGyroZ(), 1e-9);
        assertTrue(p.heading() > 0.3);
    }

    @Test
    void gyroNoiseAndBiasHaveTheirConfiguredSize() {
        RoverPlant p = new RoverPlant(11, 1440);
        p.setImuErrors(0.01, 0.003, 0, 0);
        double sum = 0;
        double sumSq = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            p.step(MS);
            double e = p.measuredGyroZ() - p.trueGyroZ();
            sum += e;
            sumSq += e * e;
        }
        double mean = sum / n;
        double sd = Math.sqrt(sumSq / n - mean * mean);
        assertEquals(0.003, mean, 0.0005);
        assertEquals(0.01, sd, 0.0005);
    }

    @Test
    void batterySagsUnderLoadAndDrains() {
        RoverPlant idle = drive(1, 0, 0, 100);
        RoverPlant busy = drive(1, 1.0, 1.0, 100);
        assertTrue(idle.batteryVolts() > 12.5, "idle battery " + idle.batteryVolts());
        assertTrue(busy.batteryVolts() < idle.batteryVolts(), "accelerating motors draw current");
        assertTrue(busy.stateOfCharge() < idle.stateOfCharge());
    }

    @Test
    void encoderCountsFollowTheWheel() {
        RoverPlant p = drive(1, 0.7, 0.7, 500);
        long expected = (long) Math.floor(p.left.angle() * 1440 / (2 * Math.PI));
        assertEquals(expected, p.leftEncoder.counts());
        assertTrue(expected > 1000);
    }
}
