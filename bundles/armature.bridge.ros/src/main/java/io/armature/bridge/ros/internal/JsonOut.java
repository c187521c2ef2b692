package io.armature.bridge.ros.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * Writes JSON text with jackson-core's generator, so every string is escaped right. Fluent; one
 * instance writes one text.
 */
final class JsonOut {

    private static final JsonFactory FACTORY = new JsonFactory();

    private final StringWriter text = new StringWriter(256);
    private final JsonGenerator g;

    JsonOut() {
        try {
            g = FACTORY.createGenerator(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonOut begin() {
        return io(() -> g.writeStartObject());
    }

    JsonOut begin(String field) {
        return io(() -> g.writeObjectFieldStart(field));
    }

    JsonOut end() {
        return io(() -> g.writeEndObject());
    }

    JsonOut field(String name, String value) {
        return io(() -> g.writeStringField(name, value));
    }

    JsonOut field(String name, double value) {
        return io(() -> g.writeNumberField(name, value));
    }

    JsonOut field(String name, long value) {
        return io(() -> g.writeNumberField(name, value));
    }

    JsonOut field(String name, boolean value) {
        return io(() -> g.writeBooleanField(name, value));
    }

    JsonOut array(String name, double... values) {
        return io(() -> {
            g.writeArrayFieldStart(name);
            for (double v : values) {
                g.writeNumber(v);
            }
            g.writeEndArray();
        });
    }

    JsonOut array(String name, List<String> values) {
        return io(() -> {
            g.writeArrayFieldStart(name);
            for (String v : values) {
                g.writeString(v);
            }
            g.writeEndArray();
        });
    }

    /** Writes a value already in JSON text as the field, unchanged. */
    JsonOut raw(String name, String json) {
        return io(() -> {
            g.writeFieldName(name);
            g.writeRawValue(json);
        });
    }

    /** A ROS {@code std_msgs/Header} with the stamp split into seconds and nanoseconds. */
    JsonOut header(long stampNanosSinceEpoch, String frameId) {
        return begin("header").begin("stamp").field("sec", Math.floorDiv(stampNanosSinceEpoch, 1_000_000_000L))
                .field("nanosec", Math.floorMod(stampNanosSinceEpoch, 1_000_000_000L)).end().field("frame_id", frameId).end();
    }

    JsonOut vector(String name, double x, double y, double z) {
        return begin(name).field("x", x).field("y", y).field("z", z).end();
    }

    @Override
    public String toString() {
        try {
            g.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** @return the JSON text of {@link JsonTree} values; whole numbers are written without a fraction */
    static String write(Object value) {
        JsonOut o = new JsonOut();
        o.io(() -> o.value(value));
        return o.toString();
    }

    private void value(Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                value(e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object e : l) {
                value(e);
            }
            g.writeEndArray();
        } else if (v instanceof Double d) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                g.writeNumber(d.longValue());
            } else {
                g.writeNumber(d);
            }
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(v));
        }
    }

    private interface Write {
        void run() throws IOException;
    }

    private JsonOut io(Write w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }
}
