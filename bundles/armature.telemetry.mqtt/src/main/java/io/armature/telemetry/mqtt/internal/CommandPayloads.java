package io.armature.telemetry.mqtt.internal;

import java.util.regex.Pattern;

/** Checks of command payloads; every refusal is an {@link IllegalArgumentException} with a one-line message. */
final class CommandPayloads {

    /** Longest payload accepted, in bytes. */
    static final int MAX_PAYLOAD_BYTES = 256;

    /** Longest e-stop reason kept, in characters. */
    static final int MAX_REASON_CHARS = 200;

    /** A plain decimal number: no hex, no NaN or Infinity, no type suffix. */
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d{1,3})?");

    private CommandPayloads() {
    }

    /**
     * @return the number in {@code text}, finite; the loop itself refuses a value beyond its limits
     * @throws IllegalArgumentException when it is not a plain finite decimal number
     */
    static double number(String text, String what) {
        String t = text == null ? "" : text.trim();
        if (!NUMBER.matcher(t).matches()) {
            throw new IllegalArgumentException(what + " must be a number, was '" + shorten(t) + "'");
        }
        double v = Double.parseDouble(t);
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be a finite number, was " + t);
        }
        return v;
    }

    /** @return the e-stop reason: control characters dropped, at most {@link #MAX_REASON_CHARS}, a default when empty */
    static String reason(String text) {
        String t = text == null ? "" : text.replaceAll("\\p{Cntrl}", " ").strip();
        if (t.isEmpty()) {
            return "e-stop over MQTT";
        }
        return t.length() > MAX_REASON_CHARS ? t.substring(0, MAX_REASON_CHARS) : t;
    }

    private static String shorten(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 40 ? t.substring(0, 40) + "..." : t;
    }
}
