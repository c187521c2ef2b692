package io.armature.control.internal;

import io.armature.hal.Board;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/**
 * A wheel motor's channels: PWM duty, direction (high = reverse) and brake (high = on). The
 * channels are taken from a board as a whole and replaced as a whole when the board is swapped;
 * the loop thread drives whichever board is bound at the start of its cycle.
 */
final class MotorDrive {

    /** The channels of one board. */
    private record Channels(Board board, PwmOutput pwm, DigitalOutput direction, DigitalOutput brake) {
    }

    private final WheelSpeedLoop.Config names; // the channels' names: they never change while the loop runs
    private volatile Channels channels;

    MotorDrive(WheelSpeedLoop.Config names) {
        this.names = names;
    }

    /** Takes the motor's channels on {@code board}: the loop thread drives them from its next cycle on. */
    void bind(Board board) {
        channels = new Channels(board, board.channel(names.pwmChannel(), PwmOutput.class),
                board.channel(names.directionChannel(), DigitalOutput.class), board.channel(names.brakeChannel(), DigitalOutput.class));
    }

    /**
     * A board that goes. When no replacement came first the component is about to stop with it:
     * the motor is driven safe unless {@code handsOver} (a successor drives on).
     */
    void unbind(Board board, boolean handsOver) {
        Channels c = channels;
        if (c != null && c.board() == board) {
            if (!handsOver) {
                safe();
            }
            channels = null;
        }
    }

    /** @return true while a board is bound */
    boolean bound() {
        return channels != null;
    }

    /** Drives the motor at {@code signedDuty}, -1..1: negative is reverse. */
    void drive(double signedDuty) {
        Channels c = channels;
        if (c == null) {
            return;
        }
        c.direction().set(signedDuty < 0);
        c.brake().set(false);
        c.pwm().setDuty((int) Math.round(Math.abs(signedDuty) * PwmOutput.MAX_DUTY));
    }

    /** Duty 0, brake on, direction low: every channel in its safe state. */
    void safe() {
        Channels c = channels;
        if (c == null) {
            return;
        }
        c.pwm().toSafeState();
        c.brake().toSafeState();
        c.direction().toSafeState();
    }
}
