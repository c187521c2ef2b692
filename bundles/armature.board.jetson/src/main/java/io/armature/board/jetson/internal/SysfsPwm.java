package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.armature.kit.board.DutyScale;

/**
 * One channel of a Linux PWM chip through {@code /sys/class/pwm/pwmchipN}: export, period,
 * duty_cycle, enable, polarity. Keeps to the kernel's rules: nothing but {@code export} exists
 * before the channel is exported; the duty may never exceed the period, so a new period and duty
 * are written in the order that keeps that true at every step (duty first when the new duty fits
 * the current period, period first otherwise); the period must be set before anything else.
 * The safe state is duty 0 with the channel enabled: the output holds its inactive level, which
 * a disabled channel does not promise on every controller.
 */
final class SysfsPwm {

    private final SysfsAccess fs;
    private final Path chip;
    private final int channel;
    private final Path dir;
    private long periodNanos;
    private long dutyNanos;
    private boolean enabled;

    SysfsPwm(SysfsAccess fs, Path chip, int channel) {
        this.fs = fs;
        this.chip = chip;
        this.channel = channel;
        this.dir = chip.resolve("pwm" + channel);
    }

    /** @return the channel's directory, {@code pwmchipN/pwmM} */
    Path dir() {
        return dir;
    }

    /** @return the number of channels the chip has ({@code npwm}) */
    static int channels(SysfsAccess fs, Path chip) throws IOException {
        return Integer.parseInt(fs.read(chip.resolve("npwm")));
    }

    /**
     * Exports the channel (or takes it over when it is already exported, as after a crash), waits
     * until its attributes can be written (udev gives them to group gpio a moment after the
     * export), and brings it to the safe state at {@code initialPeriodNanos}: normal polarity,
     * duty 0, enabled.
     */
    void open(long initialPeriodNanos, long exportTimeoutMillis) throws IOException {
        if (!fs.writable(dir.resolve("enable"))) {
            if (!fs.writable(chip.resolve("export"))) {
                throw new IOException(chip.resolve("export") + " is not writable; add the user to group gpio "
                        + "and install the udev rule (runtime-config/jetson-vision/99-armature-gpio.rules)");
            }
            fs.write(chip.resolve("export"), Integer.toString(channel));
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(exportTimeoutMillis);
            while (!(fs.writable(dir.resolve("enable")) && fs.writable(dir.resolve("period"))
                    && fs.writable(dir.resolve("duty_cycle")))) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException(dir + " did not become writable within " + exportTimeoutMillis
                            + " ms of its export; check the udev rule and group gpio");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }
        periodNanos = Long.parseLong(fs.read(dir.resolve("period")));
        dutyNanos = Long.parseLong(fs.read(dir.resolve("duty_cycle")));
        enabled = "1".equals(fs.read(dir.resolve("enable")));
        if (periodNanos > 0 && dutyNanos > 0) {
            write("duty_cycle", 0); // a channel left running stops first
            dutyNanos = 0;
        }
        if (!"normal".equals(fs.read(dir.resolve("polarity")))) {
            if (enabled) {
                write("enable", 0); // polarity changes only while disabled
                enabled = false;
            }
            fs.write(dir.resolve("polarity"), "normal");
        }
        apply(initialPeriodNanos, 0);
        if (!enabled) {
            write("enable", 1);
            enabled = true;
        }
    }

    /** Sets the on-time in nanoseconds, 0..period. */
    void duty(long nanos) throws IOException {
        if (nanos != dutyNanos) {
            write("duty_cycle", nanos);
            dutyNanos = nanos;
        }
    }

    /** Sets the duty as a normalized 16-bit value, 0..65535, rounded to the nearest nanosecond. */
    void duty16(int duty) throws IOException {
        duty(DutyScale.toNanos(duty, periodNanos));
    }

    /**
     * Changes the period and the duty together, in the order that never has the duty exceed the
     * period (which the kernel refuses with {@code EINVAL}).
     */
    void apply(long newPeriodNanos, long newDutyNanos) throws IOException {
        if (newPeriodNanos <= 0 || newDutyNanos < 0 || newDutyNanos > newPeriodNanos) {
            throw new IllegalArgumentException("PWM period must be positive and duty 0..period, was period "
                    + newPeriodNanos + " ns, duty " + newDutyNanos + " ns");
        }
        if (periodNanos > 0 && newDutyNanos <= periodNanos) {
            duty(newDutyNanos); // fits the current period: a shorter period (higher frequency) follows safely
            period(newPeriodNanos);
        } else {
            period(newPeriodNanos); // a longer period first makes room for the new duty
            duty(newDutyNanos);
        }
    }

    private void period(long nanos) throws IOException {
        if (nanos != periodNanos) {
            write("period", nanos);
            periodNanos = nanos;
        }
    }

    long periodNanos() {
        return periodNanos;
    }

    long dutyNanos() {
        return dutyNanos;
    }

    private void write(String attribute, long value) throws IOException {
        fs.write(dir.resolve(attribute), Long.toString(value));
    }
}
