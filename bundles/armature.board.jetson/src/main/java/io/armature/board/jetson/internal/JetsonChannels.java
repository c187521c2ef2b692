package io.armature.board.jetson.internal;

import java.io.IOException;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;
import io.armature.hal.ChannelInfo;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.kit.board.EdgeListeners;
import io.armature.kit.board.MotionGuard;
import io.armature.hal.PwmOutput;
import io.armature.hal.Registration;

/** The Linux board's channels: sysfs PWM outputs, GPIO character-device outputs and inputs. */
final class JetsonChannels {

    private JetsonChannels() {
    }

    /** Reports a failed write on the way to the safe state, which must not throw. */
    interface FaultSink {
        void safeStateFailed(String channel, Exception e);
    }

    static final class Pwm implements PwmOutput {
        static final double MAX_FREQUENCY_HZ = 100_000;

        private final ChannelInfo info;
        private final SysfsPwm pwm;
        private final MotionGuard guard;
        private final FaultSink faults;
        private volatile int duty;
        private volatile double frequency;

        Pwm(ChannelInfo info, SysfsPwm pwm, double frequency, MotionGuard guard, FaultSink faults) {
            this.info = info;
            this.pwm = pwm;
            this.frequency = frequency;
            this.guard = guard;
            this.faults = faults;
        }

        static long periodNanos(double hertz) {
            return Math.round(1e9 / hertz);
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public synchronized void setDuty(int duty) {
            if (duty < 0 || duty > MAX_DUTY) {
                throw new IllegalArgumentException("duty for " + info.name() + " must be 0..65535, was " + duty + "; kept " + this.duty);
            }
            guard.checkRunning(info.name());
            int applied = duty != 0 && !guard.permit().allowsMotion() ? 0 : duty; // without a permit the motor stays (or goes) safe
            try {
                pwm.duty16(applied);
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": cannot write " + pwm.dir().resolve("duty_cycle") + ": " + e.getMessage(), e);
            }
            this.duty = applied;
        }

        @Override
        public int duty() {
            return duty;
        }

        @Override
        public synchronized void setFrequency(double hertz) {
            if (!(hertz >= 1 && hertz <= MAX_FREQUENCY_HZ)) {
                throw new IllegalArgumentException("PWM frequency for " + info.name() + " must be 1.." + (int) MAX_FREQUENCY_HZ
                        + " Hz, was " + hertz + "; kept " + frequency);
            }
            guard.checkRunning(info.name());
            long period = periodNanos(hertz);
            try {
                pwm.apply(period, io.armature.kit.board.DutyScale.toNanos(duty, period));
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": cannot change the period of " + pwm.dir() + ": " + e.getMessage(), e);
            }
            frequency = hertz;
        }

        @Override
        public double frequency() {
            return frequency;
        }

        @Override
        public synchronized void toSafeState() {
            duty = 0; // safe is always reachable, even after stop
            try {
                pwm.duty(0);
            } catch (IOException | RuntimeException e) {
                faults.safeStateFailed(info.name(), e);
            }
        }

        @Override
        public void close() {
            toSafeState();
        }
    }

    static final class Output implements DigitalOutput {
        private final ChannelInfo info;
        private final GpioLine line;
        private final boolean safeLevel;
        private final MotionGuard guard;
        private final FaultSink faults;
        private volatile boolean level;

        Output(ChannelInfo info, GpioLine line, boolean safeLevel, MotionGuard guard, FaultSink faults) {
            this.info = info;
            this.line = line;
            this.safeLevel = safeLevel;
            this.level = safeLevel; // requested with the safe level as its initial value
            this.guard = guard;
            this.faults = faults;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public synchronized void set(boolean high) {
            guard.checkRunning(info.name());
            boolean applied = high != safeLevel && !guard.permit().allowsMotion() ? safeLevel : high;
            try {
                line.set(applied);
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": " + e.getMessage(), e);
            }
            level = applied;
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
        public synchronized void toSafeState() {
            level = safeLevel;
            try {
                line.set(safeLevel);
            } catch (IOException | RuntimeException e) {
                faults.safeStateFailed(info.name(), e);
            }
        }

        @Override
        public void close() {
            toSafeState();
        }
    }

    static final class Input implements DigitalInput {
        private final ChannelInfo info;
        private final GpioLine line;
        private final EdgeListeners listeners = new EdgeListeners();

        Input(ChannelInfo info, GpioLine line) {
            this.info = info;
            this.line = line;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public boolean read() {
            try {
                return line.get();
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public Registration onEdge(Edge edge, EdgeListener listener) {
            return listeners.add(edge, listener);
        }

        /** Waits up to {@code timeoutMillis} for one edge and hands it to the listeners. */
        void pump(GpioEdge edge, long timeoutMillis) throws IOException {
            if (!line.awaitEdge(edge, timeoutMillis)) {
                return;
            }
            listeners.fire(info.name(), edge.rising, edge.timestampNanos);
        }
    }
}
