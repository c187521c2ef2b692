package io.armature.board.mcu.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * What the configuration asks of the microcontroller, each list in the microcontroller's own
 * order: PWM channels, GPIO outputs with their safe levels, ADC channels and encoder streams.
 */
final class McuLayout {

    /** A GPIO output and the level that stops what it drives. */
    record Output(String name, boolean safeLevel) {
    }

    final String[] pwm;
    final Output[] outputs;
    final String[] adc;
    final String[] encoders;
    /** the outputs' safe levels as HELLO carries them: bit i set when output i is safe high */
    final int safeMask;

    private McuLayout(String[] pwm, Output[] outputs, int safeMask, String[] adc, String[] encoders) {
        this.pwm = pwm;
        this.outputs = outputs;
        this.safeMask = safeMask;
        this.adc = adc;
        this.encoders = encoders;
    }

    /** @throws IllegalArgumentException when an output is not name:low or name:high, or there are more than 16 */
    static McuLayout of(McuBoard.Config config) {
        String[] pwm = names(config.pwmChannels());
        String[] adc = names(config.adcChannels());
        String[] outs = names(config.outputs());
        Output[] outputs = new Output[outs.length];
        int safeMask = 0;
        for (int i = 0; i < outs.length; i++) {
            String[] parts = outs[i].split(":");
            if (parts.length != 2 || !(parts[1].equals("low") || parts[1].equals("high"))) {
                throw new IllegalArgumentException("outputs are name:low or name:high (the safe level), was '" + outs[i] + "'");
            }
            outputs[i] = new Output(parts[0], parts[1].equals("high"));
            safeMask |= outputs[i].safeLevel() ? 1 << i : 0;
        }
        if (outputs.length > 16) {
            throw new IllegalArgumentException("at most 16 outputs, was " + outputs.length);
        }
        return new McuLayout(pwm, outputs, safeMask, adc, names(config.encoderStreams()));
    }

    /** A list from configuration: an array, or one comma-separated string as a .cfg file gives it. */
    private static String[] names(String[] configured) {
        List<String> out = new ArrayList<>();
        if (configured != null) {
            for (String entry : configured) {
                for (String s : entry == null ? new String[0] : entry.split(",")) {
                    if (!s.isBlank()) {
                        out.add(s.trim());
                    }
                }
            }
        }
        return out.toArray(new String[0]);
    }
}
