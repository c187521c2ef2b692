package io.armature.web.internal;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;

import org.osgi.service.log.Logger;

import io.armature.kit.motion.DirectStop;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;

/**
 * The safety of the REST API: {@code POST estop}, which is never refused, also without a
 * supervisor or a motion-command path; {@code POST reset}, through the motion-command path,
 * which moves nothing; and the safety state every interface of the web shows.
 */
record SafetyResource(RobotServices robot, Logger log) {

    /** @return the safety state after the e-stop */
    String estop(RestApi.Request r) throws ApiException, IOException {
        String reason = r.jsonBody("reason").string("reason", "e-stop from the REST API", RestApi.MAX_REASON);
        MotionCommands c = robot.commands();
        if (c != null) {
            c.estop(RestApi.SOURCE, reason); // never refused, also without a supervisor
        } else {
            log.error("E-STOP from the web with no motion-command service running: {}",
                    DirectStop.estop(RestApi.SOURCE, reason, robot.safety(), robot.boards()));
        }
        return ApiJson.json(this::write);
    }

    /** @return the safety state after the reset; a robot that may move already is left as it is */
    String reset(RestApi.Request r) throws ApiException, IOException {
        r.jsonBody();
        SafetySupervisor s = robot.safety();
        if (s == null || !s.mayMove()) {
            robot.requireCommands().reset(RestApi.SOURCE);
        }
        return ApiJson.json(this::write);
    }

    /** Writes the supervisor's state, its trip, or that there is none and nothing moves. */
    void write(JsonGenerator g) throws IOException {
        SafetySupervisor s = robot.safety();
        g.writeStartObject();
        if (s == null) {
            g.writeStringField("state", "UNSUPERVISED");
            g.writeStringField("message", "no safety supervisor is installed: nothing moves");
        } else {
            g.writeStringField("state", s.state().name());
            g.writeBooleanField("mayMove", s.mayMove());
            var trip = s.tripReason();
            if (trip.isPresent()) {
                g.writeObjectFieldStart("trip");
                g.writeStringField("source", trip.get().source());
                g.writeStringField("reason", trip.get().message());
                g.writeNumberField("secondsAgo", Math.round((System.nanoTime() - trip.get().monotonicNanos()) / 1e8) / 10.0);
                g.writeEndObject();
            }
            g.writeArrayFieldStart("unhealthy");
            for (String condition : s.unhealthy()) {
                g.writeString(condition);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }
}
