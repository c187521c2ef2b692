package io.armature.board.pi4j.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.DigitalStateChangeListener;
import com.pi4j.io.i2c.I2C;

import io.armature.hal.AnalogInput;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.I2cBus;
import io.armature.kit.board.DescribedChannel;
import io.armature.kit.board.DutyScale;
import io.armature.kit.board.EdgeInput;
import io.armature.kit.board.GuardedOutput;
import io.armature.kit.board.GuardedPwm;
import io.armature.kit.board.MotionGuard;

/**
 * The board's channels over Pi4J I/O. The PWM outputs and digital outputs are the kit's
 * {@link GuardedPwm} and {@link GuardedOutput}: a write and the permit check before it happen
 * under the channel's monitor, as does the permit watcher's drive to safe, so a revocation is
 * never overtaken by a write that was checked before it.
 */
final class Pi4jChannels {

    private Pi4jChannels() {
    }

    /**
     * Hardware PWM. The 16-bit duty becomes an on-time in nanoseconds of the period
     * ({@link DutyScale#toNanos}, to the nearest nanosecond, 0 and 65535 exact), which is the
     * unit of {@code /sys/class/pwm}: the resolution is the period in ns, reported as
     * floor(log2(period)) bits (15 bits at 20 kHz).
     */
    static final class Pwm extends GuardedPwm {
        private final String name;
        private final String description;
        private final com.pi4j.io.pwm.Pwm pwm;
        private volatile ChannelInfo info;
        private volatile int frequencyHz;

        Pwm(String name, String description, com.pi4j.io.pwm.Pwm pwm, int frequencyHz, MotionGuard guard) {
            super(guard);
            this.name = name;
            this.description = description;
            this.pwm = pwm;
            this.frequencyHz = frequencyHz;
            this.info = info(frequencyHz);
            writeDuty(0);
        }

        private ChannelInfo info(int hz) {
            return channelInfo(name, resolutionBits(periodNanos(hz)), description);
        }

        static long periodNanos(int hz) {
            return Math.round(1e9 / hz);
        }

        static int resolutionBits(long periodNanos) {
            return Math.min(16, 63 - Long.numberOfLeadingZeros(periodNanos));
        }

        /**
         * Pi4J takes the duty as a float percentage, and the LinuxFS provider writes
         * {@code round(period * percent / 100)} in float arithmetic. This picks the float whose
         * result is exactly {@code onNanos}.
         */
        static float percentFor(long onNanos, long periodNanos) {
            if (onNanos <= 0) {
                return 0f;
            }
            if (onNanos >= periodNanos) {
                return 100f;
            }
            float p = (float) (onNanos * 100.0 / periodNanos);
            for (int i = 0; i < 8; i++) {
                long written = Math.round((float) periodNanos * p / 100f);
                if (written == onNanos) {
                    break;
                }
                p = written < onNanos ? Math.nextUp(p) : Math.nextDown(p);
            }
            return p;
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        protected void writeDuty(int newDuty) {
            long period = periodNanos(frequencyHz);
            // Pi4J's on(0, hz) would disable the PWM instead; duty 0 is written as an on-time of 0 ns
            pwm.setFrequency(frequencyHz);
            pwm.setDutyCycle(percentFor(DutyScale.toNanos(newDuty, period), period));
            pwm.on();
        }

        @Override
        public synchronized void setFrequency(double hertz) {
            if (!(hertz >= 1 && hertz <= 1_000_000) || hertz != Math.rint(hertz)) {
                throw new IllegalArgumentException("PWM frequency for " + name + " must be a whole number of Hz in 1..1000000, was "
                        + hertz + "; kept " + frequencyHz);
            }
            checkRunning();
            frequencyHz = (int) hertz;
            info = info(frequencyHz);
            writeDuty(duty());
        }

        @Override
        public double frequency() {
            return frequencyHz;
        }
    }

    static final class Output extends GuardedOutput {
        private final com.pi4j.io.gpio.digital.DigitalOutput out;

        Output(String name, String description, com.pi4j.io.gpio.digital.DigitalOutput out, boolean safeLevel, MotionGuard guard) {
            super(guard, name, description, safeLevel);
            this.out = out;
            writeLevel(safeLevel);
        }

        @Override
        protected void writeLevel(boolean high) {
            out.state(high ? DigitalState.HIGH : DigitalState.LOW);
        }
    }

    /**
     * A digital input whose edges go to {@link io.armature.hal.EdgeListener}s on Pi4J's event thread,
     * timestamped with {@link System#nanoTime()} when Pi4J reports them. With a debounce time,
     * an edge less than that after the last one delivered is taken for contact bounce and
     * dropped (the first edge of a burst is delivered at once, so a clean signal has no added
     * latency).
     */
    static final class Input extends EdgeInput {
        private final com.pi4j.io.gpio.digital.DigitalInput in;
        private final long debounceNanos;
        private final DigitalStateChangeListener pi4jListener;
        private volatile boolean lastDelivered;
        private volatile long lastEdgeNanos;
        private volatile boolean anyEdge;

        Input(String name, String description, com.pi4j.io.gpio.digital.DigitalInput in, int debounceMicros) {
            super(name, description);
            this.in = in;
            this.debounceNanos = debounceMicros * 1_000L;
            this.lastDelivered = in.state() == DigitalState.HIGH;
            this.pi4jListener = e -> edge(e.state() == DigitalState.HIGH, System.nanoTime());
            in.addListener(pi4jListener);
        }

        @Override
        public boolean read() {
            return in.state() == DigitalState.HIGH;
        }

        void edge(boolean level, long nanos) {
            if (level == lastDelivered || (anyEdge && nanos - lastEdgeNanos < debounceNanos)) {
                return;
            }
            lastDelivered = level;
            lastEdgeNanos = nanos;
            anyEdge = true;
            fire(level, nanos);
        }

        void close() {
            in.removeListener(pi4jListener);
        }
    }

    /** An I2C bus ({@code /dev/i2c-N}); one Pi4J I2C device per address, opened on first use. */
    static final class Bus extends DescribedChannel implements I2cBus {
        private final Context pi4j;
        private final int bus;
        private final MotionGuard guard;
        private final Map<Integer, I2C> devices = new HashMap<>();

        Bus(String name, String description, Context pi4j, int bus, MotionGuard guard) {
            super(name, ChannelType.I2C, 0, description);
            this.pi4j = pi4j;
            this.bus = bus;
            this.guard = guard;
        }

        private synchronized I2C device(int address) {
            if (address < 0x08 || address > 0x77) {
                throw new IllegalArgumentException(String.format("I2C address must be 0x08..0x77, was 0x%02X", address));
            }
            guard.checkRunning(name());
            return devices.computeIfAbsent(address, a -> pi4j.create(I2C.newConfigBuilder(pi4j)
                    .id(name().replaceAll("[^A-Za-z0-9]", "-") + "-" + String.format("%02x", a))
                    .bus(bus).device(a).build()));
        }

        @Override
        public void writeRegister(int address, int register, byte[] data, int offset, int length) throws IOException {
            I2C d = device(address);
            try {
                d.writeRegister(register, data, offset, length);
            } catch (RuntimeException e) {
                throw failure("write to", address, register, e);
            }
        }

        @Override
        public void readRegister(int address, int register, byte[] buffer, int offset, int length) throws IOException {
            I2C d = device(address);
            int n;
            try {
                n = d.readRegister(register, buffer, offset, length);
            } catch (RuntimeException e) {
                throw failure("read from", address, register, e);
            }
            if (n != length) {
                throw new IOException(String.format("%s: device 0x%02X returned %d of %d bytes from register 0x%02X", name(), address,
                        Math.max(n, 0), length, register));
            }
        }

        private IOException failure(String what, int address, int register, RuntimeException e) {
            return new IOException(String.format("%s: %s register 0x%02X of device 0x%02X failed: %s", name(), what, register, address,
                    e.getMessage()), e);
        }
    }

    /** One single-ended input of an ADS1115, in mV. */
    static final class Adc extends DescribedChannel implements AnalogInput {
        private final Ads1115 chip;
        private final int input;
        private final int fullScaleMillivolts;

        Adc(String name, String description, Ads1115 chip, int input, int fullScaleMillivolts) {
            super(name, ChannelType.ADC, 16, description);
            this.chip = chip;
            this.input = input;
            this.fullScaleMillivolts = fullScaleMillivolts;
        }

        /** @throws UncheckedIOException when the chip does not answer or convert */
        @Override
        public int readMillivolts() {
            try {
                return chip.readMillivolts(input, fullScaleMillivolts);
            } catch (IOException e) {
                throw new UncheckedIOException(name() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public int fullScaleMillivolts() {
            return fullScaleMillivolts;
        }
    }
}
