package io.armature.board.sim.internal;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.CopyOnWriteArrayList;

import io.armature.hal.AnalogInput;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.I2cBus;
import io.armature.hal.MotionPermit;
import io.armature.hal.PwmOutput;
import io.armature.hal.Registration;

/** The simulated board's channels. Commands land in volatile fields that the plant reads at its next step. */
final class SimChannels {

    private SimChannels() {
    }

    /**
     * Shared by every channel of one board: once the board stops, no channel accepts a command;
     * a write that would move an actuator takes effect only while the motion permit is valid
     * (fail-closed: not before the first feed, unless the board is unsupervised).
     */
    static final class Liveness {
        private final String boardId;
        private final MotionPermit permit;
        private volatile boolean stopped;

        /** @param unsupervised true to allow motion before the first feed: a bench, never a robot */
        Liveness(String boardId, boolean unsupervised) {
            this.boardId = boardId;
            this.permit = new MotionPermit(unsupervised);
        }

        void permit(long expiryNanos) {
            permit.permit(expiryNanos);
        }

        void revoke() {
            permit.revoke();
        }

        boolean permitted() {
            return permit.permitted();
        }

        /** @return false, counting the refusal, when a moving write must not take effect */
        boolean allowsMotion() {
            return permit.allowsMotion();
        }

        long refusedWrites() {
            return permit.refusedWrites();
        }

        void stop() {
            stopped = true;
        }

        boolean stopped() {
            return stopped;
        }

        void check(String channel) {
            if (stopped) {
                throw new IllegalStateException("board '" + boardId + "' is stopped; channel " + channel + " is gone");
            }
        }
    }

    static final class Pwm implements PwmOutput {
        private final ChannelInfo info;
        private final Liveness live;
        private volatile int duty;
        private volatile double frequency;

        Pwm(String name, String description, double frequency, Liveness live) {
            this.info = new ChannelInfo(name, ChannelType.PWM, 16, description, "duty 0");
            this.frequency = frequency;
            this.live = live;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public void setDuty(int duty) {
            if (duty < 0 || duty > MAX_DUTY) {
                throw new IllegalArgumentException(
                        "duty for " + info.name() + " must be 0..65535, was " + duty + "; kept " + this.duty);
            }
            live.check(info.name());
            if (duty != 0 && !live.allowsMotion()) {
                this.duty = 0; // no permit to move: the motor stays (or goes) safe
                return;
            }
            this.duty = duty;
            if (duty != 0 && !live.permitted()) {
                this.duty = 0; // revoked between the check and the write: revocation wins
            }
        }

        @Override
        public int duty() {
            return duty;
        }

        @Override
        public void setFrequency(double hertz) {
            if (!(hertz > 0) || !Double.isFinite(hertz) || hertz > 100_000) {
                throw new IllegalArgumentException(
                        "PWM frequency for " + info.name() + " must be above 0 and at most 100000 Hz, was " + hertz);
            }
            live.check(info.name());
            this.frequency = hertz;
        }

        @Override
        public double frequency() {
            return frequency;
        }

        @Override
        public void toSafeState() {
            duty = 0; // allowed even after stop: safe is always reachable
        }

        @Override
        public void close() {
            toSafeState();
        }
    }

    static final class Output implements DigitalOutput {
        private final ChannelInfo info;
        private final boolean safeLevel;
        private final Liveness live;
        private volatile boolean level;

        Output(String name, String description, boolean safeLevel, Liveness live) {
            this.info = new ChannelInfo(name, ChannelType.DIGITAL_OUTPUT, 1, description, safeLevel ? "high" : "low");
            this.safeLevel = safeLevel;
            this.level = safeLevel;
            this.live = live;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public void set(boolean high) {
            live.check(info.name());
            if (high != safeLevel && !live.allowsMotion()) {
                level = safeLevel;
                return;
            }
            level = high;
            if (high != safeLevel && !live.permitted()) {
                level = safeLevel; // revoked between the check and the write: revocation wins
            }
        }

        @Override
        public boolean get() {
            return level;
        }

        @Override
        public boolean safeLevel() {
            return safeLevel;
        }

        @Override
        public void toSafeState() {
            level = safeLevel;
        }

        @Override
        public void close() {
            toSafeState();
        }
    }

    static final class Input implements DigitalInput {
        private final ChannelInfo info;
        private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
        private volatile boolean level;

        private record Listener(Edge edge, EdgeListener target) {
        }

        Input(String name, String description, boolean initial) {
            this.info = new ChannelInfo(name, ChannelType.DIGITAL_INPUT, 1, description, "");
            this.level = initial;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public boolean read() {
            return level;
        }

        @Override
        public Registration onEdge(Edge edge, EdgeListener listener) {
            Listener l = new Listener(java.util.Objects.requireNonNull(edge, "edge"),
                    java.util.Objects.requireNonNull(listener, "listener"));
            listeners.add(l);
            return () -> listeners.remove(l);
        }

        /** Sets the level from the plant; fires listeners on a change. */
        void drive(boolean newLevel, long timestampNanos) {
            if (newLevel == level) {
                return;
            }
            level = newLevel;
            for (Listener l : listeners) {
                if (l.edge.matches(newLevel)) {
                    try {
                        l.target.onEdge(info.name(), newLevel, timestampNanos);
                    } catch (RuntimeException e) {
                        // A faulty listener must not stop the board or the other listeners.
                    }
                }
            }
        }

        int listenerCount() {
            return listeners.size();
        }
    }

    static final class Adc implements AnalogInput {
        private final ChannelInfo info;
        private final int fullScaleMillivolts;
        private final int bits;
        private volatile double volts;

        Adc(String name, String description, int bits, int fullScaleMillivolts) {
            this.info = new ChannelInfo(name, ChannelType.ADC, bits, description, "");
            this.bits = bits;
            this.fullScaleMillivolts = fullScaleMillivolts;
        }

        @Override
        public ChannelInfo info() {
            return info;
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

    static final class I2c implements I2cBus {
        private final ChannelInfo info;
        private final Mpu6050Sim imu;
        private final Liveness live;
        private volatile boolean hung;

        I2c(String name, Mpu6050Sim imu, Liveness live) {
            this.info = new ChannelInfo(name, ChannelType.I2C, 0, "I2C bus with an MPU-6050 IMU at 0x68", "");
            this.imu = imu;
            this.live = live;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        /** A locked-up bus: every transfer blocks until it is released (or the board stops). */
        void hang(boolean on) {
            hung = on;
        }

        private void waitWhileHung() {
            while (hung && !live.stopped()) {
                LockSupport.parkNanos(1_000_000);
            }
        }

        @Override
        public void writeRegister(int address, int register, byte[] data, int offset, int length) throws IOException {
            live.check(info.name());
            waitWhileHung();
            device(address).write(register, data, offset, length);
        }

        @Override
        public void readRegister(int address, int register, byte[] buffer, int offset, int length) throws IOException {
            live.check(info.name());
            waitWhileHung();
            device(address).read(register, buffer, offset, length);
        }

        private Mpu6050Sim device(int address) throws IOException {
            if (address != Mpu6050Sim.ADDRESS) {
                throw new IOException(String.format("no device acknowledged at I2C address 0x%02X on %s", address, info.name()));
            }
            return imu;
        }
    }
}
