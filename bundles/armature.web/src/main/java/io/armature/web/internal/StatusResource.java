package io.armature.web.internal;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonGenerator;

import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.sensor.SampleStream;

/** {@code GET status} (safety, boards, the names of loops and streams) and {@code GET streams} of the REST API. */
record StatusResource(RobotServices robot, SafetyResource safety) {

    String status() throws IOException {
        return ApiJson.json(g -> {
            g.writeStartObject();
            g.writeFieldName("safety");
            safety.write(g);
            g.writeArrayFieldStart("boards");
            for (Board b : robot.boards()) {
                writeBoard(g, b);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("loops");
            for (String name : robot.loopNames()) {
                g.writeString(name);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("streams");
            for (String name : robot.streams().keySet()) {
                g.writeString(name);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void writeBoard(JsonGenerator g, Board b) throws IOException {
        List<Channel> channels = b.channels();
        g.writeStartObject();
        g.writeStringField("id", b.info().id());
        g.writeStringField("model", b.info().model());
        g.writeStringField("backend", b.info().backend());
        g.writeNumberField("channels", b.info().channels().size());
        g.writeNumberField("actuators", channels.stream().filter(Actuator.class::isInstance).count());
        g.writeNumberField("actuatorsSafe", channels.stream().filter(c -> c instanceof Actuator a && a.isSafe()).count());
        g.writeBooleanField("motionPermitted", b.motionPermitted());
        g.writeEndObject();
    }

    String streams() throws IOException {
        return ApiJson.json(g -> {
            g.writeStartArray();
            for (SampleStream<?> s : robot.streams().values()) {
                g.writeStartObject();
                g.writeStringField("name", s.name());
                ApiJson.writeNumber(g, "rateHz", s.rateHz());
                g.writeNumberField("readers", s.readers());
                g.writeNumberField("published", s.published());
                g.writeNumberField("lost", s.lostCount());
                g.writeNumberField("invalid", s.invalidCount());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }
}
