package io.armature.hal;

import java.util.Objects;

/**
 * What a channel is: its name on the board, its type, its real resolution and, for an
 * actuator, the safe state it returns to on close, on bundle stop and on a safety trip.
 *
 * @param name           the channel name, unique on its board, for example {@code motor.left.pwm}
 * @param type           the channel type
 * @param resolutionBits the hardware resolution in bits: for PWM the duty resolution (8, 10,
 *                       16...), for ADC the converter resolution, 1 for digital channels, 0
 *                       where it does not apply (I2C, UART)
 * @param description    a short human description, for example "left wheel motor, duty"
 * @param safeState      for an actuator, its declared safe state in words ("duty 0", "low",
 *                       "high (brake on)"); empty for inputs and buses
 */
public record ChannelInfo(String name, ChannelType type, int resolutionBits, String description, String safeState) {

    public ChannelInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(safeState, "safeState");
        if (name.isBlank()) {
            throw new IllegalArgumentException("channel name must not be blank");
        }
        if (resolutionBits < 0 || resolutionBits > 32) {
            throw new IllegalArgumentException("resolutionBits must be 0..32, was " + resolutionBits);
        }
        if (type.isActuator() && safeState.isBlank()) {
            throw new IllegalArgumentException("actuator channel " + name + " must declare its safe state");
        }
    }
}
