package io.armature.telemetry.mqtt.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The named, typed values of one telemetry message, in order, before they are written as JSON or
 * as Sparkplug B metrics. A name's kind never changes between messages of one source unless the
 * source changes what it reports: Sparkplug B then sends a new birth.
 *
 * <p>Values are kept unboxed in arrays that grow once and are reused after {@link #clear()}, so
 * that a source published hundreds of times a second does not allocate per value; {@link
 * #json(StringBuilder)} then writes the message with one allocation, its payload.
 */
final class Fields {

    /** The kinds of value: a Sparkplug B Double, Int64, Boolean or String metric; a JSON number, boolean or string. */
    enum Kind {
        DOUBLE, LONG, BOOLEAN, STRING
    }

    /** One value; {@code value} is a Double, Long, Boolean or String of its kind, or null (a String left empty). */
    record Field(String name, Kind kind, Object value) {
    }

    private String[] names = new String[8];
    private Kind[] kinds = new Kind[8];
    /** The value of a DOUBLE (its raw bits), LONG or BOOLEAN (1 or 0); a STRING's is in {@link #texts}. */
    private long[] numbers = new long[8];
    private String[] texts = new String[8];
    private int size;

    /** Forgets every value; the arrays stay for the next message. */
    Fields clear() {
        Arrays.fill(texts, 0, size, null);
        size = 0;
        return this;
    }

    private Fields put(String name, Kind kind, long number, String text) {
        if (size == names.length) {
            int n = size * 2;
            names = Arrays.copyOf(names, n);
            kinds = Arrays.copyOf(kinds, n);
            numbers = Arrays.copyOf(numbers, n);
            texts = Arrays.copyOf(texts, n);
        }
        names[size] = name;
        kinds[size] = kind;
        numbers[size] = number;
        texts[size] = text;
        size++;
        return this;
    }

    Fields add(String name, double value) {
        return put(name, Kind.DOUBLE, Double.doubleToRawLongBits(value), null);
    }

    Fields add(String name, long value) {
        return put(name, Kind.LONG, value, null);
    }

    Fields add(String name, boolean value) {
        return put(name, Kind.BOOLEAN, value ? 1 : 0, null);
    }

    /** A text; null is kept as null (JSON {@code null}, a Sparkplug B null String). */
    Fields add(String name, String value) {
        return put(name, Kind.STRING, 0, value);
    }

    /** A value of a type known only at run time: a number, a boolean, or anything else as a string. */
    Fields value(String name, Object value) {
        if (value instanceof Double || value instanceof Float) {
            return add(name, ((Number) value).doubleValue());
        }
        if (value instanceof Number n) {
            return add(name, n.longValue());
        }
        if (value instanceof Boolean b) {
            return add(name, b.booleanValue());
        }
        return add(name, value == null ? null : value.toString());
    }

    /** @return the fields as records, in order (for Sparkplug B, which builds objects per metric anyway) */
    List<Field> list() {
        List<Field> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            Object v = switch (kinds[i]) {
                case DOUBLE -> Double.longBitsToDouble(numbers[i]);
                case LONG -> numbers[i];
                case BOOLEAN -> numbers[i] != 0;
                case STRING -> texts[i];
            };
            out.add(new Field(names[i], kinds[i], v));
        }
        return out;
    }

    /** @return the names and kinds, in order: equal signatures need no new Sparkplug B birth */
    String signature() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < size; i++) {
            b.append(names[i]).append(':').append(kinds[i]).append('\n');
        }
        return b.toString();
    }

    /**
     * @param scratch emptied and used to write the object; reuse it across messages
     * @return a flat JSON object of the fields, in order, as UTF-8
     */
    byte[] json(StringBuilder scratch) {
        scratch.setLength(0);
        write(scratch);
        return Json.utf8(scratch);
    }

    private void write(StringBuilder b) {
        b.append('{');
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                b.append(',');
            }
            Json.quote(b, names[i]);
            b.append(':');
            switch (kinds[i]) {
                case DOUBLE -> Json.number(b, Double.longBitsToDouble(numbers[i]));
                case LONG -> b.append(numbers[i]);
                case BOOLEAN -> b.append(numbers[i] != 0);
                case STRING -> Json.text(b, texts[i]);
            }
        }
        b.append('}');
    }
}
