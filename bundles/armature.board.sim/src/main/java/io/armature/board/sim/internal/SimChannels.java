package io.armature.board.sim.internal;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

import io.armature.hal.AnalogInput;
import io.armature.hal.ChannelType;
import io.armature.hal.I2cBus;
import io.armature.kit.board.DescribedChannel;
import io.armature.kit.board.EdgeInput;
import io.armature.kit.board.GuardedOutput;
import io.armature.kit.board.GuardedPwm;
import io.armature.kit.board.MotionGuard;

/**
 * The simulated board's channels. Commands land in volatile fields that the plant reads at its
 * next step; the kit's {@link GuardedPwm} and {@link GuardedOutput} hold the actuators to the
 * board's {@link MotionGuard}.
 */
final class SimChannels {

    private SimChannels() {
    }

    /** A wheel motor's duty: the plant reads it at its next step. */
    static final class Pwm extends GuardedPwm {
        private volatile double frequency;

        Pwm(String name, String description, double frequency, MotionGuard guard) {
            super(guard, name, 16, description);
            this.frequency = frequency;
        }

        @Override
        protected void writeDuty(int duty) {
            // the duty the kit records is what the plant reads: nothing to write
        }

        @Override
        public void setFrequency(double hertz) {
            if (!(hertz > 0) || !Double.isFinite(hertz) || hertz > 100_000) {
                throw new IllegalArgumentException(
                        "PWM frequency for " + name() + " must be above 0 and at most 100000 Hz, was " + hertz);
            }
            checkRunning();
            this.frequency = hertz;
        }

        @Override
        public double frequency() {
            return frequency;
        }
    }

    /** A direction, brake or LED pin: the plant reads it at its next step. */
    static final class Output extends GuardedOutput {

        Output(String name, String description, boolean safeLevel, MotionGuard guard) {
            super(guard, name, description, safeLevel);
        }

        @Override
        protected void writeLevel(boolean high) {
            // the level the kit records is what the plant reads: nothing to write
        }
    }

    /** An encoder signal or the e-stop button, driven by the plant. */
    static final class Input extends EdgeInput {
        private volatile boolean level;

        Input(String name, String description, boolean initial) {
            super(name, description);
            this.level = initial;
        }

        @Override
        public boolean read() {
            return level;
        }

        /** Sets the level from the plant; fires listeners on a change. */
        void drive(boolean newLevel, long timestampNanos) {
            if (newLevel == level) {
                return;
            }
            level = newLevel;
            fire(newLevel, timestampNanos);
        }
    }

    static final class Adc extends DescribedChannel implements AnalogInput {
        private final int fullScaleMillivolts;
        private final int bits;
        private volatile double volts;

        Adc(String name, String description, int bits, int fullScaleMillivolts) {
            super(name, ChannelType.ADC, bits, description);
            this.bits = bits;
            this.fullScaleMillivolts = fullScaleMillivolts;
        }

        void setVolts(double atPin) {
            volts = atPin;
        }

        @Override
        public int readMillivolts() {
            // Quantize like the converter: clip to full scale, truncate to a code, back to mV.
            int maxCode = (1 << bits) - 1;
            double fraction = Math.max(0.0, Math.min(1.0, volts * 1000.0 / fullScaleMillivolts));
            long code = Math.round(fraction * maxCode);
            return (int) Math.round(code * (double) fullScaleMillivolts / maxCode);
        }

        @Override
        public int fullScaleMillivolts() {
            return fullScaleMillivolts;
        }
    }

    static final class I2c extends DescribedChannel implements I2cBus {
        private final Mpu6050Sim imu;
        private final MotionGuard guard;
        private volatile boolean hung;

        I2c(String name, Mpu6050Sim imu, MotionGuard guard) {
            super(name, ChannelType.I2C, 0, "I2C bus with an MPU-6050 IMU at 0x68");
            this.imu = imu;
            this.guard = guard;
        }

        /** A locked-up bus: every transfer blocks until it is released (or the board stops). */
        void hang(boolean on) {
            hung = on;
        }

        private void waitWhileHung() {
            while (hung && !guard.stopped()) {
                LockSupport.parkNanos(1_000_000);
            }
        }

        @Override
        public void writeRegister(int address, int register, byte[] data, int offset, int length) throws IOException {
            guard.checkRunning(name());
            waitWhileHung();
            device(address).write(register, data, offset, length);
        }

        @Override
        public void readRegister(int address, int register, byte[] buffer, int offset, int length) throws IOException {
            guard.checkRunning(name());
            waitWhileHung();
            device(address).read(register, buffer, offset, length);
        }

        private Mpu6050Sim device(int address) throws IOException {
            if (address != Mpu6050Sim.ADDRESS) {
                throw new IOException(String.format("no device acknowledged at I2C address 0x%02X on %s", address, name()));
            }
            return imu;
        }
    }
}
