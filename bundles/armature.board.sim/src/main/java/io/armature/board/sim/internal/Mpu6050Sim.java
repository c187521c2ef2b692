package io.armature.board.sim.internal;

import java.io.IOException;

/**
 * The register map of an InvenSense MPU-6050 6-axis IMU as seen over I2C at address 0x68, fed
 * from the rover model. Enough of the real device for a driver: WHO_AM_I, PWR_MGMT_1 (sleep
 * after reset, as on the real part), GYRO_CONFIG and ACCEL_CONFIG full-scale ranges, and the
 * big-endian measurement registers 0x3B..0x48 with the real scaling and clipping.
 */
public final class Mpu6050Sim {

    public static final int ADDRESS = 0x68;
    public static final int REG_GYRO_CONFIG = 0x1B;
    public static final int REG_ACCEL_CONFIG = 0x1C;
    public static final int REG_ACCEL_XOUT_H = 0x3B;
    public static final int REG_PWR_MGMT_1 = 0x6B;
    public static final int REG_WHO_AM_I = 0x75;

    private static final double G = 9.80665;
    private static final double[] ACCEL_LSB_PER_G = {16384, 8192, 4096, 2048};
    private static final double[] GYRO_LSB_PER_DEG_S = {131, 65.5, 32.8, 16.4};

    private final byte[] registers = new byte[128];

    public Mpu6050Sim() {
        reset();
    }

    private void reset() {
        java.util.Arrays.fill(registers, (byte) 0);
        registers[REG_PWR_MGMT_1] = 0x40; // SLEEP set after power-on, as on the real part
        registers[REG_WHO_AM_I] = 0x68;
    }

    /** Updates the measurement registers. Units: m/s² and rad/s; temperature in °C. */
    public synchronized void update(double ax, double ay, double az, double gx, double gy, double gz, double celsius) {
        if (asleep()) {
            return; // a sleeping MPU-6050 keeps its last (initially zero) readings
        }
        int afs = (registers[REG_ACCEL_CONFIG] >> 3) & 3;
        int fs = (registers[REG_GYRO_CONFIG] >> 3) & 3;
        put(0x3B, ax / G * ACCEL_LSB_PER_G[afs]);
        put(0x3D, ay / G * ACCEL_LSB_PER_G[afs]);
        put(0x3F, az / G * ACCEL_LSB_PER_G[afs]);
        put(0x41, (celsius - 36.53) * 340.0); // datasheet: T = raw / 340 + 36.53
        put(0x43, Math.toDegrees(gx) * GYRO_LSB_PER_DEG_S[fs]);
        put(0x45, Math.toDegrees(gy) * GYRO_LSB_PER_DEG_S[fs]);
        put(0x47, Math.toDegrees(gz) * GYRO_LSB_PER_DEG_S[fs]);
    }

    private boolean asleep() {
        return (registers[REG_PWR_MGMT_1] & 0x40) != 0;
    }

    private void put(int reg, double value) {
        long raw = Math.round(value);
        raw = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, raw)); // the ADC clips at full scale
        registers[reg] = (byte) (raw >> 8);
        registers[reg + 1] = (byte) raw;
    }

    public synchronized void read(int register, byte[] buffer, int offset, int length) throws IOException {
        checkRange(register, length);
        System.arraycopy(registers, register, buffer, offset, length);
    }

    public synchronized void write(int register, byte[] data, int offset, int length) throws IOException {
        checkRange(register, length);
        for (int i = 0; i < length; i++) {
            int reg = register + i;
            byte value = data[offset + i];
            if (reg == REG_PWR_MGMT_1 && (value & 0x80) != 0) {
                reset(); // DEVICE_RESET
                continue;
            }
            if (reg == REG_WHO_AM_I || (reg >= REG_ACCEL_XOUT_H && reg <= 0x48)) {
                continue; // read-only
            }
            registers[reg] = value;
        }
    }

    private static void checkRange(int register, int length) throws IOException {
        if (register < 0 || length < 0 || register + length > 128) {
            throw new IOException(String.format("MPU-6050 has no registers 0x%02X..0x%02X", register, register + length - 1));
        }
    }
}
