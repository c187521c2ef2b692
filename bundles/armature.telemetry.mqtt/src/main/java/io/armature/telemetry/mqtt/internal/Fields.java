package io.armature.telemetry.mqtt.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The named, typed values of one telemetry message, in order, before they are written as JSON or
 * as Sparkplug B metrics. A name's kind never changes between messages of one source unless the
 * source changes what it reports: Sparkplug B then sends a new birth.
 */
final class Fields {

    /** The kinds of value: a Sparkplug B Double, Int64, Boolean or String metric; a JSON number, boolean or string. */
    enum Kind {
        DOUBLE, LONG, BOOLEAN, STRING
    }

    /** One value; {@code value} is a Double, Long, Boolean or String of its kind, or null (a String left empty). */
    record Field(String name, Kind kind, Object value) {
    }

    private final List<Field> fields = new ArrayList<>();

    Fields add(String name, double value) {
        fields.add(new Field(name, Kind.DOUBLE, value));
        return this;
    }

    Fields add(String name, long value) {
        fields.add(new Field(name, Kind.LONG, value));
        return this;
    }

    Fields add(String name, boolean value) {
        fields.add(new Field(name, Kind.BOOLEAN, value));
        return this;
    }

    /** A text; null is kept as null (JSON {@code null}, a Sparkplug B null String). */
    Fields add(String name, String value) {
        fields.add(new Field(name, Kind.STRING, value));
        return this;
    }

    /** A value as {@code TelemetrySource} gives it: a number, a boolean, or anything else as a string. */
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

    List<Field> list() {
        return fields;
    }

    /** @return the names and kinds, in order: equal signatures need no new Sparkplug B birth */
    String signature() {
        StringBuilder b = new StringBuilder();
        for (Field f : fields) {
            b.append(f.name()).append(':').append(f.kind()).append('\n');
        }
        return b.toString();
    }

    /** @return a flat JSON object of the fields, in order */
    String json() {
        Json j = new Json();
        for (Field f : fields) {
            switch (f.kind()) {
                case DOUBLE -> j.field(f.name(), (double) (Double) f.value());
                case LONG -> j.field(f.name(), (long) (Long) f.value());
                case BOOLEAN -> j.field(f.name(), (boolean) (Boolean) f.value());
                case STRING -> j.field(f.name(), (String) f.value());
            }
        }
        return j.toString();
    }
}
