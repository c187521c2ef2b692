package io.armature.web.internal;

import java.io.IOException;
import java.io.StringWriter;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/** How the web interfaces write JSON: a document from a writer, an error reply, a number JSON can hold. */
final class ApiJson {

    private static final JsonFactory JSON = new JsonFactory();

    private ApiJson() {
    }

    /** Writes one JSON value. */
    @FunctionalInterface
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** @return the JSON text {@code w} writes */
    static String json(JsonWriter w) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            w.write(g);
        }
        return out.toString();
    }

    /** @return a refusal: the status with {@code {"error": message}} */
    static RestApi.Reply error(int status, String message) {
        try {
            return new RestApi.Reply(status, json(g -> {
                g.writeStartObject();
                g.writeStringField("error", message);
                g.writeEndObject();
            }));
        } catch (IOException cannotHappen) { // writing to a StringWriter
            throw new IllegalStateException(cannotHappen);
        }
    }

    /** JSON has no NaN or infinity: such a value (a loop before its first measurement) is null. */
    static void writeNumber(JsonGenerator g, String field, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(field, v);
        } else {
            g.writeNullField(field);
        }
    }

    /** A loop's late deadlines by cause, as the REST API and the Robot page show them. */
    static void writeLatenessCauses(JsonGenerator g, io.armature.control.LatenessCauses c) throws IOException {
        g.writeObjectFieldStart("lateDeadlines");
        g.writeNumberField("total", c.late());
        g.writeNumberField("cycleOverran", c.overran());
        g.writeNumberField("jvmSafepoint", c.safepoint());
        g.writeNumberField("gcPause", c.gcPause());
        g.writeNumberField("outsideJvm", c.outsideJvm());
        g.writeNumberField("lost", c.lost());
        g.writeNumberField("pending", c.pending());
        g.writeStringField("method", c.method());
        g.writeEndObject();
    }

    /** @return what a client sent, safe to repeat in a message: one short word */
    static String oneWord(String s) {
        String clean = s.replaceAll("[^\\w./{}-]", "?");
        return clean.length() <= 60 ? clean : clean.substring(0, 60) + "...";
    }
}
