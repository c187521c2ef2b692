package io.armature.sensors.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.armature.board.sim.internal.SimBoard;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.testing.ComponentConfigs;

/** The IMU source on the simulated rover's I2C bus, in stepped simulated time. */
class Mpu6050SourceTest {

    private static final long MS = 1_000_000;
    private final SimBoard board = new SimBoard();

    private Mpu6050Source source(Object... keyValues) throws IOException {
        board.activate(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "unsupervised", true, "gyroNoise", 0.0, "gyroBias", 0.0,
                "accelNoise", 0.0, "accelBias", 0.0)), null);
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new Mpu6050Source(ComponentConfigs.of(Mpu6050Source.Config.class, m), board, null, false);
    }

    @AfterEach
    void stop() {
        if (board.info() != null) {
            board.deactivate();
        }
    }

    private void spin(int duty) {
        board.channel("motor.right.brake", DigitalOutput.class).set(false);
        board.channel("motor.right.pwm", PwmOutput.class).setDuty(duty);
    }

    @Test
    void publishesTheRoversMotionInSiUnits() throws Exception {
        Mpu6050Source imu = source();
        SampleReader<ImuSample> reader = imu.stream().openQueue(16);
        spin(40_000);
        ImuSample s = new ImuSample();
        for (int i = 0; i < 300; i++) {
            board.advance(MS);
            imu.sample(i * MS);
            assertTrue(reader.poll(s));
        }
        assertTrue(s.valid);
        assertEquals(board.plant().yawRate(), s.gyroZ, Math.toRadians(1 / 32.8) * 1.5, "gyro z is the rover's yaw rate, to one LSB");
        assertEquals(9.80665, s.accelZ, 4 * 9.80665 / 32768 * 1.5, "gravity on z");
        assertEquals(0, reader.lost());
        assertEquals(0, imu.stream().invalidCount());
    }

    @Test
    void aSaturatedReadingIsFlaggedInvalidAndCounted() throws Exception {
        Mpu6050Source imu = source("gyroRangeDps", 250, "maxGyroStep", 100.0);
        SampleReader<ImuSample> reader = imu.stream().openLatest();
        spin(65_535); // spins faster than 250 °/s
        for (int i = 0; i < 800; i++) {
            board.advance(MS);
            imu.sample(i * MS);
        }
        ImuSample s = new ImuSample();
        assertTrue(reader.poll(s));
        assertTrue(Math.toDegrees(board.plant().yawRate()) > 250);
        assertFalse(s.valid, "at full scale the true rate is unknown");
        assertTrue(imu.stream().invalidCount() > 100, "counted: " + imu.stream().invalidCount());
    }

    @Test
    void aSpikeBeyondThePhysicallyPossibleChangeIsFlagged() throws Exception {
        Mpu6050Source imu = source("maxGyroStep", 0.01);
        SampleReader<ImuSample> reader = imu.stream().openQueue(256);
        for (int i = 0; i < 10; i++) {
            board.advance(MS);
            imu.sample(i * MS);
        }
        spin(65_535); // a step of yaw rate far above 0.01 rad/s per sample
        for (int i = 10; i < 40; i++) {
            board.advance(MS);
            imu.sample(i * MS);
        }
        assertTrue(imu.stream().invalidCount() > 0);
        ImuSample s = new ImuSample();
        int valid = 0;
        while (reader.poll(s)) {
            valid += s.valid ? 1 : 0;
        }
        assertTrue(valid >= 10, "the calm samples stay valid");
    }

    @Test
    void noImuAtTheAddressIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> source("address", 0x69));
        assertTrue(e.getMessage().contains("0x69"), e.getMessage());
        board.deactivate();
        assertEquals("an MPU-6050 answers at 0x68 or 0x69, not 0x50", assertThrows(IllegalArgumentException.class, () -> source("address", 0x50))
                .getMessage().replace("IMU 'imu': ", ""));
    }

    @Test
    void stoppingTheSourceEndsItsStreamVisibly() throws Exception {
        Mpu6050Source imu = source();
        SampleReader<ImuSample> reader = imu.stream().openLatest();
        board.advance(MS);
        imu.sample(MS);
        imu.deactivate();
        assertFalse(reader.sourceAlive());
        assertFalse(reader.poll(new ImuSample()));
    }

    @Test
    void aFailedBusReadPublishesAnInvalidSample() throws Exception {
        Mpu6050Source imu = source();
        SampleReader<ImuSample> reader = imu.stream().openLatest();
        board.deactivate(); // the bus refuses from now on
        imu.sample(MS);
        ImuSample s = new ImuSample();
        assertTrue(reader.poll(s));
        assertFalse(s.valid);
        assertEquals(1, imu.readErrors());
    }
}
