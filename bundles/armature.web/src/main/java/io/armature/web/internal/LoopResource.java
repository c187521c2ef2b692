package io.armature.web.internal;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonGenerator;

import io.armature.control.LoopStatistics;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.motion.MotionCommands;

/**
 * The loops of the REST API: {@code GET loops} and {@code loops/{name}}, what robot:loops and
 * robot:pid show in their units; {@code POST loops/{name}/setpoint} through the motion-command
 * path, {@code gains} and {@code controller} to the loop.
 */
record LoopResource(RobotServices robot) {

    /** @return every loop */
    String list() throws IOException {
        return ApiJson.json(g -> {
            g.writeStartArray();
            for (String name : robot.loopNames()) {
                write(g, name);
            }
            g.writeEndArray();
        });
    }

    /** @return one loop */
    String get(String name) throws ApiException, IOException {
        String n = loop(name).name();
        return ApiJson.json(g -> write(g, n));
    }

    /**
     * Acts on a loop.
     *
     * @param action {@code setpoint}, {@code gains} or {@code controller}
     * @return the loop afterwards, or null when there is no such action
     */
    String post(String name, String action, RestApi.Request r) throws ApiException, IOException {
        TunableLoop loop = loop(name);
        switch (action) {
            case "setpoint" -> robot.requireCommands().setpoint(RestApi.SOURCE, loop.name(), r.jsonBody("setpoint").number("setpoint"));
            case "gains" -> {
                JsonBody b = r.jsonBody("kp", "ki", "kd", "ks", "kv");
                PidGains g = loop.gains();
                if (!(b.has("kp") || b.has("ki") || b.has("kd") || b.has("ks") || b.has("kv"))) {
                    throw new ApiException(400, "give at least one of kp, ki, kd, ks, kv");
                }
                loop.setGains(new PidGains(b.number("kp", g.kp()), b.number("ki", g.ki()), b.number("kd", g.kd()),
                        b.number("ks", g.ks()), b.number("kv", g.kv())));
            }
            case "controller" -> loop.switchController(r.jsonBody("name").string("name", null, RestApi.MAX_REASON));
            default -> {
                return null;
            }
        }
        return ApiJson.json(g -> write(g, loop.name()));
    }

    private TunableLoop loop(String name) throws ApiException {
        TunableLoop l = robot.tunableLoop(name);
        if (l == null) {
            List<String> known = List.copyOf(robot.loops.names());
            throw new ApiException(404, "no loop '" + ApiJson.oneWord(name) + "'; loops: " + (known.isEmpty() ? "none running" : String.join(", ", known)));
        }
        return l;
    }

    /** One loop: what robot:loops and robot:pid show, in their units. */
    private void write(JsonGenerator g, String name) throws IOException {
        TunableLoop l = robot.tunableLoop(name);
        LoopStatistics s = robot.loopStatistics(name);
        g.writeStartObject();
        g.writeStringField("name", name);
        if (l != null) {
            g.writeStringField("unit", l.unit());
            ApiJson.writeNumber(g, "setpoint", l.setpoint());
            MotionCommands c = robot.commands();
            String owner = c == null ? null : c.owner(name).orElse(null);
            if (owner != null) {
                g.writeStringField("commandedBy", owner);
            }
            ApiJson.writeNumber(g, "measurement", l.measurement());
            ApiJson.writeNumber(g, "output", l.output());
            g.writeStringField("controller", l.controller());
            PidGains p = l.gains();
            g.writeObjectFieldStart("gains");
            ApiJson.writeNumber(g, "kp", p.kp());
            ApiJson.writeNumber(g, "ki", p.ki());
            ApiJson.writeNumber(g, "kd", p.kd());
            ApiJson.writeNumber(g, "ks", p.ks());
            ApiJson.writeNumber(g, "kv", p.kv());
            g.writeEndObject();
            if (l.fault().isPresent()) {
                g.writeStringField("fault", l.fault().get());
            }
        }
        if (s != null) {
            ApiJson.writeNumber(g, "rateHz", s.rateHz());
            g.writeNumberField("cycles", s.cycles());
            g.writeNumberField("overruns", s.overruns());
            g.writeNumberField("boundedSteps", s.boundedSteps());
            g.writeNumberField("latenessP99Micros", s.latenessNanos(99.0) / 1000.0);
            g.writeNumberField("latenessP999Micros", s.latenessNanos(99.9) / 1000.0);
            ApiJson.writeLatenessCauses(g, s.latenessCauses());
            g.writeBooleanField("realTime", s.realTime());
            g.writeStringField("executor", s.executor());
            if (s.failure().isPresent()) {
                g.writeStringField("failure", s.failure().get());
            }
        }
        g.writeEndObject();
    }
}
