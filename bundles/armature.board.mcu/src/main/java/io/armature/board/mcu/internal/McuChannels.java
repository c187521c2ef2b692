package io.armature.board.mcu.internal;

import io.armature.hal.AnalogInput;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.DigitalOutput;
import io.armature.hal.MotionPermit;
import io.armature.hal.PwmOutput;

/**
 * The microcontroller's channels as the host holds them. A write lands in a volatile field and
 * wakes the sender, which sends every output in one SET_OUTPUTS frame: the newest values win, so
 * a loop writing every cycle never queues frames behind a slow line.
 */
final class McuChannels {

    private McuChannels() {
    }

    /** What every channel of one connection shares. */
    interface Link {
        MotionPermit permit();

        /** @throws IllegalStateException when this connection is over */
        void check(String channel);

        /** Outputs changed: send them. */
        void outputsChanged();
    }

    static final class Pwm implements PwmOutput {
        private final ChannelInfo info;
        private final Link link;
        private final double frequency;
        private volatile int duty;

        Pwm(String name, int bits, double frequency, Link link) {
            this.info = new ChannelInfo(name, ChannelType.PWM, bits, "PWM on the microcontroller (" + bits + "-bit)", "duty 0");
            this.frequency = frequency;
            this.link = link;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public void setDuty(int duty) {
            if (duty < 0 || duty > MAX_DUTY) {
                throw new IllegalArgumentException("duty for " + info.name() + " must be 0..65535, was " + duty + "; kept " + this.duty);
            }
            link.check(info.name());
            MotionPermit permit = link.permit();
            int next = duty != 0 && !permit.allowsMotion() ? 0 : duty;
            if (next != 0 && !permit.permitted()) {
                next = 0; // revoked between the check and the write: revocation wins
            }
            if (next != this.duty) {
                this.duty = next;
                link.outputsChanged();
            }
        }

        @Override
        public int duty() {
            return duty;
        }

        @Override
        public void setFrequency(double hertz) {
            // the firmware fixes the LEDC timer's frequency; say so rather than pretend
            if (hertz != frequency) {
                throw new IllegalArgumentException("PWM frequency of " + info.name() + " is fixed by the microcontroller's firmware at "
                        + frequency + " Hz");
            }
        }

        @Override
        public double frequency() {
            return frequency;
        }

        @Override
        public void toSafeState() {
            duty = 0;
        }

        @Override
        public void close() {
            toSafeState();
            link.outputsChanged();
        }
    }

    static final class Output implements DigitalOutput {
        private final ChannelInfo info;
        private final boolean safeLevel;
        private final Link link;
        private volatile boolean level;

        Output(String name, boolean safeLevel, Link link) {
            this.info = new ChannelInfo(name, ChannelType.DIGITAL_OUTPUT, 1, "GPIO output on the microcontroller", safeLevel ? "high" : "low");
            this.safeLevel = safeLevel;
            this.level = safeLevel;
            this.link = link;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public void set(boolean high) {
            link.check(info.name());
            MotionPermit permit = link.permit();
            boolean next = high != safeLevel && !permit.allowsMotion() ? safeLevel : high;
            if (next != safeLevel && !permit.permitted()) {
                next = safeLevel;
            }
            if (next != level) {
                level = next;
                link.outputsChanged();
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
            link.outputsChanged();
        }
    }

    static final class Adc implements AnalogInput {
        private final ChannelInfo info;
        private final Link link;
        private final int fullScale;
        private volatile int millivolts = -1;

        Adc(String name, int fullScaleMillivolts, Link link) {
            this.info = new ChannelInfo(name, ChannelType.ADC, 12, "ADC on the microcontroller, polled with each heartbeat", "");
            this.fullScale = fullScaleMillivolts;
            this.link = link;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        void update(int mv) {
            millivolts = mv;
        }

        /** @throws IllegalStateException before the first reading arrived */
        @Override
        public int readMillivolts() {
            link.check(info.name());
            int mv = millivolts;
            if (mv < 0) {
                throw new IllegalStateException("no reading of " + info.name() + " from the microcontroller yet");
            }
            return mv;
        }

        @Override
        public int fullScaleMillivolts() {
            return fullScale;
        }
    }
}
