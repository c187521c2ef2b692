package io.armature.board.jetson.internal;

import java.io.IOException;

import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;
import io.armature.kit.board.DutyScale;
import io.armature.kit.board.EdgeInput;
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

        private final SysfsPwm pwm;
        private final FaultSink faults;
        private volatile double frequency;

        Pwm(String name, int resolutionBits, String description, SysfsPwm pwm, double frequency, MotionGuard guard, FaultSink faults) {
            super(guard, name, resolutionBits, description);
            this.pwm = pwm;
            this.frequency = frequency;
            this.faults = faults;
        }

        static long periodNanos(double hertz) {
            return Math.round(1e9 / hertz);
        }

        @Override
        protected void writeDuty(int duty) {
            try {
                pwm.duty16(duty);
            } catch (IOException e) {
                throw new IllegalStateException(name() + ": cannot write " + pwm.dir().resolve("duty_cycle") + ": " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void setFrequency(double hertz) {
            if (!(hertz >= 1 && hertz <= MAX_FREQUENCY_HZ)) {
                throw new IllegalArgumentException("PWM frequency for " + name() + " must be 1.." + (int) MAX_FREQUENCY_HZ
                        + " Hz, was " + hertz + "; kept " + frequency);
            }
            checkRunning();
            long period = periodNanos(hertz);
            try {
                pwm.apply(period, DutyScale.toNanos(duty(), period));
            } catch (IOException e) {
                throw new IllegalStateException(name() + ": cannot change the period of " + pwm.dir() + ": " + e.getMessage(), e);
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
            keepDuty(0);
            faults.attempt(name(), () -> pwm.duty(0));
        }
    }

    /** A GPIO line requested as an output, at its safe level. */
    static final class Output extends GuardedOutput {
        private final GpioLine line;
        private final FaultSink faults;

        Output(String name, String description, GpioLine line, boolean safeLevel, MotionGuard guard, FaultSink faults) {
            super(guard, name, description, safeLevel);
            this.line = line; // requested with the safe level as its initial value, which the kit starts from
            this.faults = faults;
        }

        @Override
        protected void writeLevel(boolean high) {
            try {
                line.set(high);
            } catch (IOException e) {
                throw new IllegalStateException(name() + ": " + e.getMessage(), e);
            }
        }

        /** The safe level, reachable also after stop; a failed write is reported, not thrown. */
        @Override
        public synchronized void toSafeState() {
            keepLevel(safeLevel());
            faults.attempt(name(), () -> line.set(safeLevel()));
        }
    }

    /** A GPIO line requested as an input, with edge events timestamped by the kernel. */
    static final class Input extends EdgeInput {
        private final GpioLine line;

        Input(String name, String description, GpioLine line) {
            super(name, description);
            this.line = line;
        }

        @Override
        public boolean read() {
            try {
                return line.get();
            } catch (IOException e) {
                throw new IllegalStateException(name() + ": " + e.getMessage(), e);
            }
        }


        /** Waits up to {@code timeoutMillis} for one edge and hands it to the listeners. */
        void pump(GpioEdge edge, long timeoutMillis) throws IOException {
            if (!line.awaitEdge(edge, timeoutMillis)) {
                return;
            }
            fire(edge.rising, edge.timestampNanos);
        }
    }
}
