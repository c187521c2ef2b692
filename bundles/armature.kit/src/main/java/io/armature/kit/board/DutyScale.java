package io.armature.kit.board;

import io.armature.hal.PwmOutput;

/**
 * Maps the normalized 16-bit duty of {@link PwmOutput} (0..65535) to a board's real resolution
 * and back. Every backend uses it, so the same duty means the same thing on every board.
 *
 * <p>Rounding is to the nearest hardware step, halves rounding up:
 * {@code hw = (duty * max + 32767) / 65535} with {@code max = 2^bits - 1}. So 0 is always 0
 * (fully off) and 65535 always {@code max} (fully on); the mapping is monotonic; a duty below
 * half of one hardware step is 0 on that hardware (on 8 bits, duties 0..128 are off). Going back,
 * {@link #fromHardware} returns the duty the hardware step stands for, rounded the same way, so
 * {@code toHardware(fromHardware(hw)) == hw} for every step.
 */
public final class DutyScale {

    private DutyScale() {
    }

    /**
     * @param duty 0..65535
     * @param bits the hardware resolution, 1..31
     * @return the hardware duty, 0..2^bits - 1
     * @throws IllegalArgumentException when duty or bits is out of range
     */
    public static int toHardware(int duty, int bits) {
        checkDuty(duty);
        long max = maxFor(bits);
        return (int) ((duty * max + 32767) / PwmOutput.MAX_DUTY);
    }

    /**
     * @param hardware 0..2^bits - 1
     * @param bits     the hardware resolution, 1..31
     * @return the normalized duty, 0..65535
     * @throws IllegalArgumentException when hardware or bits is out of range
     */
    public static int fromHardware(int hardware, int bits) {
        long max = maxFor(bits);
        if (hardware < 0 || hardware > max) {
            throw new IllegalArgumentException("hardware duty must be 0.." + max + " for " + bits + " bits, was " + hardware);
        }
        return (int) ((hardware * (long) PwmOutput.MAX_DUTY + max / 2) / max);
    }

    /**
     * For PWM whose duty is a time, as Linux's {@code /sys/class/pwm} {@code duty_cycle}.
     *
     * @param duty         0..65535
     * @param periodNanos  the period in nanoseconds, positive
     * @return the on-time in nanoseconds, 0..periodNanos, rounded to the nearest nanosecond
     */
    public static long toNanos(int duty, long periodNanos) {
        checkDuty(duty);
        if (periodNanos <= 0) {
            throw new IllegalArgumentException("period must be positive, was " + periodNanos + " ns");
        }
        // duty * period fits a long for any period below 2^47 ns (39 hours)
        return (duty * periodNanos + 32767) / PwmOutput.MAX_DUTY;
    }

    private static void checkDuty(int duty) {
        if (duty < 0 || duty > PwmOutput.MAX_DUTY) {
            throw new IllegalArgumentException("duty must be 0.." + PwmOutput.MAX_DUTY + ", was " + duty);
        }
    }

    private static long maxFor(int bits) {
        if (bits < 1 || bits > 31) {
            throw new IllegalArgumentException("resolution must be 1..31 bits, was " + bits);
        }
        return (1L << bits) - 1;
    }
}
