package io.armature.board.sim.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;

import org.junit.jupiter.api.Test;

class Mpu6050SimTest {

    private static short word(byte[] r, int i) {
        return (short) (((r[i] & 0xFF) << 8) | (r[i + 1] & 0xFF));
    }

    @Test
    void answersWhoAmIAndSleepsAfterReset() throws IOException {
        Mpu6050Sim imu = new Mpu6050Sim();
        byte[] b = new byte[1];
        imu.read(Mpu6050Sim.REG_WHO_AM_I, b, 0, 1);
        assertEquals(0x68, b[0]);
        imu.update(1, 2, 9.8, 0.1, 0.2, 0.3, 25);
        byte[] r = new byte[14];
        imu.read(0x3B, r, 0, 14);
        assertEquals(0, word(r, 0), "asleep: no measurement");
    }

    @Test
    void scalesMeasurementsByTheConfiguredFullScale() throws IOException {
        Mpu6050Sim imu = new Mpu6050Sim();
        imu.write(Mpu6050Sim.REG_PWR_MGMT_1, new byte[] {0}, 0, 1);
        imu.update(0, 0, 9.80665, 0, 0, Math.toRadians(100), 36.53);
        byte[] r = new byte[14];
        imu.read(0x3B, r, 0, 14);
        assertEquals(16384, word(r, 4), "1 g at ±2 g full scale");
        assertEquals(0, word(r, 6), "temperature register");
        assertEquals(13100, word(r, 12), "100 °/s at 131 LSB per °/s");

        imu.write(Mpu6050Sim.REG_GYRO_CONFIG, new byte[] {3 << 3}, 0, 1);
        imu.update(0, 0, 9.80665, 0, 0, Math.toRadians(3000), 36.53);
        imu.read(0x3B, r, 0, 14);
        assertEquals(Short.MAX_VALUE, word(r, 12), "beyond ±2000 °/s the reading clips");
    }

    @Test
    void rejectsRegistersOutsideTheMap() {
        Mpu6050Sim imu = new Mpu6050Sim();
        assertThrows(IOException.class, () -> imu.read(0x7F, new byte[4], 0, 4));
    }
}
