package io.armature.board.jetson.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.armature.hal.ChannelType;

/**
 * One configured channel: its name, its type and where it is. A location is a 40-pin header pin
 * ({@code 33}) with the Jetson header map, or a chip and line named directly
 * ({@code gpiochip0:43}, {@code pwmchip2:0}) on any Linux board.
 *
 * @param name      the channel name, for example {@code motor.left.pwm}
 * @param type      PWM, DIGITAL_OUTPUT or DIGITAL_INPUT
 * @param where     the location as configured, for messages
 * @param pin       the header pin, or null for a chip named directly
 * @param chip      the chip named directly ({@code gpiochip0}, {@code pwmchip2}), or null for a header pin
 * @param line      the line (GPIO) or channel (PWM) on that chip; for a header pin, from the map
 * @param safeLevel for an output, the level of its safe state
 */
record ChannelSpec(String name, ChannelType type, String where, HeaderMap.Pin pin, String chip, int line, boolean safeLevel) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern CHIP = Pattern.compile("(gpiochip|pwmchip)(\\d+):(\\d+)");

    /**
     * Parses every channel of a configuration and checks them together.
     *
     * @param headerMap true when header pins are allowed (the Jetson header map is in use)
     * @throws IllegalArgumentException naming the entry, the problem and what would be valid
     */
    static List<ChannelSpec> parseAll(String[] pwm, String[] outputs, String[] inputs, boolean headerMap) {
        List<ChannelSpec> all = new ArrayList<>();
        for (String e : nonNull(pwm)) {
            all.add(parse("pwm", e, ChannelType.PWM, headerMap));
        }
        for (String e : nonNull(outputs)) {
            all.add(parse("outputs", e, ChannelType.DIGITAL_OUTPUT, headerMap));
        }
        for (String e : nonNull(inputs)) {
            all.add(parse("inputs", e, ChannelType.DIGITAL_INPUT, headerMap));
        }
        Map<String, ChannelSpec> byName = new HashMap<>();
        Map<String, ChannelSpec> byLocation = new HashMap<>();
        for (ChannelSpec c : all) {
            ChannelSpec twin = byName.put(c.name, c);
            if (twin != null) {
                throw new IllegalArgumentException("channel name '" + c.name + "' is configured twice");
            }
            ChannelSpec other = byLocation.put(c.locationKey(), c);
            if (other != null) {
                throw new IllegalArgumentException(c.describe() + " is used by both " + other.name + " and " + c.name);
            }
        }
        return all;
    }

    /** Entries may also come comma-separated in one string, as a FileInstall .cfg gives them. */
    private static List<String> nonNull(String[] a) {
        List<String> out = new ArrayList<>();
        for (String s : a == null ? new String[0] : a) {
            for (String e : s.split(",")) {
                if (!e.isBlank()) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    static ChannelSpec parse(String attribute, String entry, ChannelType type, boolean headerMap) {
        String e = entry == null ? "" : entry.trim();
        int eq = e.indexOf('=');
        String format = type == ChannelType.DIGITAL_OUTPUT ? "name=pin:low|high" : "name=pin";
        if (eq <= 0) {
            throw new IllegalArgumentException(attribute + " entry '" + entry + "' must be " + format);
        }
        String name = e.substring(0, eq).trim();
        String where = e.substring(eq + 1).trim();
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(attribute + " entry '" + entry + "': channel name must be letters, digits, '.', '_' or '-'");
        }
        boolean safeLevel = false;
        if (type == ChannelType.DIGITAL_OUTPUT) {
            int colon = where.lastIndexOf(':');
            String level = colon < 0 ? "" : where.substring(colon + 1).trim();
            if (!level.equals("low") && !level.equals("high")) {
                throw new IllegalArgumentException(attribute + " entry '" + entry + "' must end with its safe level, :low or :high ("
                        + format + ")");
            }
            safeLevel = level.equals("high");
            where = where.substring(0, colon).trim();
        }
        Matcher m = CHIP.matcher(where);
        if (m.matches()) {
            boolean pwmChip = m.group(1).equals("pwmchip");
            if (pwmChip != (type == ChannelType.PWM)) {
                throw new IllegalArgumentException(attribute + " entry '" + entry + "': " + where + " is "
                        + (pwmChip ? "a PWM channel; GPIO channels are gpiochipN:line" : "a GPIO line; PWM channels are pwmchipN:channel"));
            }
            return new ChannelSpec(name, type, where, null, m.group(1) + m.group(2), Integer.parseInt(m.group(3)), safeLevel);
        }
        if (!headerMap) {
            throw new IllegalArgumentException(attribute + " entry '" + entry + "': without a header map a channel is "
                    + (type == ChannelType.PWM ? "pwmchipN:channel" : "gpiochipN:line"));
        }
        int number;
        try {
            number = Integer.parseInt(where);
        } catch (NumberFormatException notANumber) {
            number = -1;
        }
        List<Integer> valid = type == ChannelType.PWM ? HeaderMap.pwmPins() : HeaderMap.gpioPins();
        String kind = type == ChannelType.PWM ? "PWM" : "GPIO";
        HeaderMap.Pin pin = HeaderMap.pin(number).orElse(null);
        if (pin == null || (type == ChannelType.PWM && !pin.hasPwm())) {
            throw new IllegalArgumentException(attribute + " entry '" + entry + "': " + where + " is not a " + kind + " pin of the "
                    + HeaderMap.NAME + "; " + kind + " pins: " + join(valid));
        }
        int line = type == ChannelType.PWM ? pin.pwmChannel() : pin.line();
        return new ChannelSpec(name, type, where, pin, null, line, safeLevel);
    }

    private static String join(List<Integer> pins) {
        StringBuilder b = new StringBuilder();
        for (Integer p : pins) {
            b.append(b.length() == 0 ? "" : ", ").append(p);
        }
        return b.toString();
    }

    /** A header pin is one place whatever its function; a chip line is one place per chip kind. */
    private String locationKey() {
        return pin != null ? "pin " + pin.number() : chip + ":" + line;
    }

    /** @return the location in words, for example "header pin 33 (GPIO13 / PH.00)" or "gpiochip0 line 43" */
    String describe() {
        if (pin != null) {
            return "header pin " + pin.number() + " (" + pin.signal() + ")";
        }
        return chip + (type == ChannelType.PWM ? " channel " : " line ") + line;
    }
}
