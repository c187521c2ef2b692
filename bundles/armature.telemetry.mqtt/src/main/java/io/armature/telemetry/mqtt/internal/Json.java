package io.armature.telemetry.mqtt.internal;

/**
 * A flat JSON object written by hand: strings escaped per RFC 8259, numbers that are not finite
 * written as {@code null}. Small on purpose: telemetry is a few fields per message.
 */
final class Json {

    private final StringBuilder b = new StringBuilder(192).append('{');

    Json field(String key, String value) {
        key(key);
        text(b, value);
        return this;
    }

    Json field(String key, double value) {
        key(key);
        number(b, value);
        return this;
    }

    Json field(String key, long value) {
        key(key);
        b.append(value);
        return this;
    }

    Json field(String key, boolean value) {
        key(key);
        b.append(value);
        return this;
    }

    /** A value that is already JSON: an object or an array made by this class. */
    Json raw(String key, String json) {
        key(key);
        b.append(json);
        return this;
    }

    private void key(String key) {
        if (b.length() > 1) {
            b.append(',');
        }
        quote(b, key);
        b.append(':');
    }

    @Override
    public String toString() {
        b.append('}'); // one copy, not two; the object stays open for more fields
        String s = b.toString();
        b.setLength(b.length() - 1);
        return s;
    }

    /** Appends {@code value} as a JSON number, or {@code null} when it is not finite. */
    static void number(StringBuilder out, double value) {
        if (Double.isFinite(value)) {
            out.append(value); // no allocation: the JDK formats through a per-thread buffer
        } else {
            out.append("null");
        }
    }

    /** Appends {@code s} as a JSON string, or {@code null}. */
    static void text(StringBuilder out, String s) {
        if (s == null) {
            out.append("null");
        } else {
            quote(out, s);
        }
    }

    /** @return {@code s} in UTF-8, with one allocation (the result) when it is all ASCII, as telemetry nearly always is */
    static byte[] utf8(CharSequence s) {
        int n = s.length();
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
            out[i] = (byte) c;
        }
        return out;
    }

    /** Appends {@code s} as a JSON string: quotes, backslashes and control characters escaped. */
    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** @return a JSON array of objects already written */
    static String array(Iterable<String> objects) {
        StringBuilder out = new StringBuilder().append('[');
        for (String o : objects) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(o);
        }
        return out.append(']').toString();
    }
}
