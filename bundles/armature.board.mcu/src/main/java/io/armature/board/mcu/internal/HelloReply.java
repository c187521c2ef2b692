package io.armature.board.mcu.internal;

import java.nio.charset.StandardCharsets;

import io.armature.board.mcu.protocol.Frames;

/** What the microcontroller says it has, in its HELLO_REPLY. */
record HelloReply(int version, int pwm, int pwmBits, int gpio, int adc, String name) {

    /** @return the reply in a HELLO_REPLY payload, or null when the payload is too short for one */
    static HelloReply parse(byte[] p, int off, int len) {
        if (len < 5) {
            return null;
        }
        return new HelloReply(Frames.u8(p, off), Frames.u8(p, off + 1), Frames.u8(p, off + 2), Frames.u8(p, off + 3), Frames.u8(p, off + 4),
                new String(p, off + 5, len - 5, StandardCharsets.US_ASCII));
    }

    /** @return why this microcontroller cannot serve {@code layout}, or null when it can */
    String refusal(McuLayout layout) {
        int wantPwm = layout.pwm.length;
        int wantGpio = layout.outputs.length;
        int wantAdc = layout.adc.length;
        if (version != Frames.VERSION) {
            return name + " speaks protocol version " + version + ", this board speaks " + Frames.VERSION;
        }
        if (pwm < wantPwm || gpio < wantGpio || adc < wantAdc) {
            return String.format("%s has %d PWM, %d GPIO, %d ADC channels; the configuration asks for %d, %d, %d", name, pwm, gpio, adc,
                    wantPwm, wantGpio, wantAdc);
        }
        if (pwmBits < 1 || pwmBits > 16) {
            return name + " reports a PWM resolution of " + pwmBits + " bits; 1..16 expected";
        }
        return null;
    }
}
