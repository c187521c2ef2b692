package io.armature.board.mcu.internal;

import io.armature.hal.AnalogInput;
import io.armature.hal.ChannelType;
import io.armature.kit.board.DescribedChannel;
import io.armature.kit.board.GuardedOutput;
import io.armature.kit.board.GuardedPwm;
import io.armature.kit.board.MotionGuard;

/**
 * The microcontroller's channels as the host holds them. The permit rules, the duty and the
 * level are the kit's ({@link GuardedPwm}, {@link GuardedOutput}); a write that passes them is
 * kept there and, when it changed the value, wakes the sender, which sends every output in one
 * SET_OUTPUTS frame: the newest values win, so a loop writing every cycle never queues frames
 * behind a slow line.
 */
final class McuChannels {

    private McuChannels() {
    }

    /** What every channel of one connection shares. */
    interface Link {
        /** @throws IllegalStateException when this connection is over */
        void check(String channel);

        /** Outputs changed: send them. */
        void outputsChanged();
    }

    static final class Pwm extends GuardedPwm {
        private final Link link;
        private final double frequency;

        Pwm(String name, int bits, double frequency, MotionGuard guard, Link link) {
            super(guard, name, bits, "PWM on the microcontroller (" + bits + "-bit)");
            this.frequency = frequency;
            this.link = link;
        }

        @Override
        protected void writeDuty(int duty) {
            link.check(info().name());
            if (keepDuty(duty)) {
                link.outputsChanged();
            }
        }

        @Override
        public void setFrequency(double hertz) {
            // the firmware fixes the LEDC timer's frequency; say so rather than pretend
            if (hertz != frequency) {
                throw new IllegalArgumentException("PWM frequency of " + info().name() + " is fixed by the microcontroller's firmware at "
                        + frequency + " Hz");
            }
        }

        @Override
        public double frequency() {
            return frequency;
        }

        /** Duty 0 on the host only, also on a connection that is over: the board decides when to send it. */
        @Override
        public synchronized void toSafeState() {
            keepDuty(0);
        }

        @Override
        public void close() {
            toSafeState();
            link.outputsChanged();
        }
    }

    static final class Output extends GuardedOutput {
        private final Link link;

        Output(String name, boolean safeLevel, MotionGuard guard, Link link) {
            super(guard, name, "GPIO output on the microcontroller", safeLevel);
            this.link = link;
        }

        @Override
        protected void writeLevel(boolean high) {
            link.check(info().name());
            if (keepLevel(high)) {
                link.outputsChanged();
            }
        }

        /** The safe level on the host only, also on a connection that is over: the board decides when to send it. */
        @Override
        public synchronized void toSafeState() {
            keepLevel(safeLevel());
        }

        @Override
        public void close() {
            toSafeState();
            link.outputsChanged();
        }
    }

    static final class Adc extends DescribedChannel implements AnalogInput {
        private final Link link;
        private final int fullScale;
        private volatile int millivolts = -1;

        Adc(String name, int fullScaleMillivolts, Link link) {
            super(name, ChannelType.ADC, 12, "ADC on the microcontroller, polled with each heartbeat");
            this.fullScale = fullScaleMillivolts;
            this.link = link;
        }

        void update(int mv) {
            millivolts = mv;
        }

        /** @throws IllegalStateException before the first reading arrived */
        @Override
        public int readMillivolts() {
            link.check(name());
            int mv = millivolts;
            if (mv < 0) {
                throw new IllegalStateException("no reading of " + name() + " from the microcontroller yet");
            }
            return mv;
        }

        @Override
        public int fullScaleMillivolts() {
            return fullScale;
        }
    }
}
