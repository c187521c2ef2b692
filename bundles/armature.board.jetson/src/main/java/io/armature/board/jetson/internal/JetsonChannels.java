package io.armature.board.jetson.internal;

import java.io.IOException;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;
import io.armature.hal.ChannelInfo;
import io.armature.hal.DigitalInput;
import io.armature.hal.Edge;
import io.armature.hal.EdgeListener;
import io.armature.hal.Registration;
import io.armature.kit.board.DutyScale;
import io.armature.kit.board.EdgeListeners;
import io.armature.kit.board.GuardedOutput;
import io.armature.kit.board.GuardedPwm;
import io.armature.kit.board.MotionGuard;

/**
 * The Linux board's channels: sysfs PWM outputs and GPIO character-device outputs, held to the
 * board's permit by the kit's {@link GuardedPwm} and {@link GuardedOutput}, and inputs.
 */
final class JetsonChannels {

    private JetsonChannels() {
    }

    /** Reports a failed write on the way to the safe state, which must not throw. */
    interface FaultSink {
        void safeStateFailed(String channel, Exception e);

        /** Makes a write on the way to the safe state: a failure is reported here, never thrown. */
        default void attempt(String channel, SafeWrite write) {
            try {
                write.run();
            } catch (IOException | RuntimeException e) {
                safeStateFailed(channel, e);
            }
        }
    }

    /** One write to the hardware. */
    interface SafeWrite {
        void run() throws IOException;
    }

    /** A sysfs PWM channel. */
    static final class Pwm extends GuardedPwm {
        static final double MAX_FREQUENCY_HZ = 100_000;

        private final ChannelInfo info;
        private final SysfsPwm pwm;
        private final FaultSink faults;
        private volatile int duty;
        private volatile double frequency;

        Pwm(ChannelInfo info, SysfsPwm pwm, double frequency, MotionGuard guard, FaultSink faults) {
            super(guard);
            this.info = info;
            this.pwm = pwm;
            this.frequency = frequency;
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
        protected void writeDuty(int duty) {
            try {
                pwm.duty16(duty);
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": cannot write " + pwm.dir().resolve("duty_cycle") + ": " + e.getMessage(), e);
            }
            this.duty = duty;
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
            checkRunning();
            long period = periodNanos(hertz);
            try {
                pwm.apply(period, DutyScale.toNanos(duty, period));
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": cannot change the period of " + pwm.dir() + ": " + e.getMessage(), e);
            }
            frequency = hertz;
        }

        @Override
        public double frequency() {
            return frequency;
        }

        /** Duty 0, reachable also after stop; a failed write is reported, not thrown, and the duty reads 0 all the same. */
        @Override
        public synchronized void toSafeState() {
            duty = 0;
            faults.attempt(info.name(), () -> pwm.duty(0));
        }
    }

    /** A GPIO line requested as an output, at its safe level. */
    static final class Output extends GuardedOutput {
        private final ChannelInfo info;
        private final GpioLine line;
        private final FaultSink faults;
        private volatile boolean level;

        Output(ChannelInfo info, GpioLine line, boolean safeLevel, MotionGuard guard, FaultSink faults) {
            super(guard, safeLevel);
            this.info = info;
            this.line = line;
            this.level = safeLevel; // requested with the safe level as its initial value
            this.faults = faults;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        protected void writeLevel(boolean high) {
            try {
                line.set(high);
            } catch (IOException e) {
                throw new IllegalStateException(info.name() + ": " + e.getMessage(), e);
            }
            level = high;
        }

        @Override
        public boolean get() {
            return level;
        }

        /** The safe level, reachable also after stop; a failed write is reported, not thrown. */
        @Override
        public synchronized void toSafeState() {
            level = safeLevel();
            faults.attempt(info.name(), () -> line.set(safeLevel()));
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
