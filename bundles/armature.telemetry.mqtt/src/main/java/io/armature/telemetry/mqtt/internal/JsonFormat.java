package io.armature.telemetry.mqtt.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.paho.client.mqttv3.MqttException;
import org.osgi.service.log.Logger;

import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.telemetry.mqtt.internal.CommandIntake.Count;

/**
 * Plain JSON under {@code armature/<robotId>}: {@code online} (retained; the Last Will and an
 * orderly stop set it to {@code false}), {@code status} (retained), {@code loops/<name>} and
 * {@code streams/<name>}; commands on {@code cmd/setpoint/<loop>}, {@code cmd/estop} and
 * {@code cmd/reset}, a refusal answered on {@code cmd/error} with {@code {topic, error}}.
 */
final class JsonFormat implements PayloadFormat {

    private static final byte[] ONLINE = "true".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OFFLINE = "false".getBytes(StandardCharsets.UTF_8);

    private final MqttSession session;
    private final RobotServices robot;
    private final CommandIntake commands;
    private final Logger log;
    private final String base;
    private final TelemetryMessages messages;
    /** The text of a telemetry payload, reused; only the component's thread touches it. */
    private final StringBuilder scratch = new StringBuilder(256);

    JsonFormat(MqttSession session, RobotServices robot, CommandIntake commands, Logger log) {
        this.session = session;
        this.robot = robot;
        this.commands = commands;
        this.log = log;
        this.base = session.settings().base();
        this.messages = new TelemetryMessages(robot,
                (kind, name) -> base + (kind == TelemetryMessages.Kind.LOOP ? "/loops/" : "/streams/") + name);
    }

    @Override
    public LastWord will() {
        return farewell();
    }

    @Override
    public LastWord farewell() {
        return new LastWord(base + "/online", OFFLINE, true);
    }

    @Override
    public void connected(boolean reconnect) {
        session.sendAhead(base + "/online", ONLINE, 1, true); // before the backlog
        publishStatus();
        if (commands.enabled()) {
            try {
                session.subscribe(base + "/cmd/#");
            } catch (MqttException e) {
                log.error("MQTT commands not available: subscribing to {}/cmd/# failed: {}", base, e.getMessage());
            }
        }
        log.info("MQTT {} {} as {}: topics {}/#, commands {}", reconnect ? "reconnected to" : "connected to", session.settings().brokerUri(),
                session.settings().clientId(), base, commands.enabled() ? "enabled" : "disabled");
    }

    @Override
    public void publishStatus() {
        Json j = new Json().field("robot", session.settings().robotId());
        SafetySupervisor s = robot.safety();
        if (s == null) {
            j.field("safety", "UNSUPERVISED");
        } else {
            j.field("safety", s.state().name());
            TripReason r = s.tripReason().orElse(null);
            j.raw("trip", r == null ? "null" : new Json().field("source", r.source()).field("message", r.message())
                    .field("ageSeconds", (System.nanoTime() - r.monotonicNanos()) / 1e9).toString());
        }
        List<String> b = new ArrayList<>();
        for (Board board : robot.boards()) {
            BoardInfo info = board.info();
            b.add(new Json().field("id", info.id()).field("model", info.model()).field("backend", info.backend())
                    .field("motionPermitted", board.motionPermitted()).field("refusedWrites", board.refusedWrites()).toString());
        }
        j.raw("boards", Json.array(b));
        j.field("commandsEnabled", commands.enabled()).field("commandsAccepted", commands.counted(Count.ACCEPTED))
                .field("commandsRefused", commands.counted(Count.REFUSED)).field("commandsIgnored", commands.counted(Count.IGNORED));
        session.publish(base + "/status", j.toString(), 0, true);
    }

    @Override
    public void publishTelemetry() {
        for (TelemetryMessages.Message m : messages.collect()) {
            session.send(m.address, m.fields.json(scratch), session.settings().telemetryQos(), false);
        }
    }

    @Override
    public boolean mayStop(String topic) {
        return topic.equals(base + "/cmd/estop");
    }

    @Override
    public void command(long stamp, String topic, byte[] payload, boolean retained) {
        if (session.closed()) {
            return;
        }
        String prefix = base + "/cmd/";
        String what = topic.startsWith(prefix) ? topic.substring(prefix.length()) : "";
        if (what.equals("error")) {
            return; // our own replies
        }
        try {
            if (commands.router().json(stamp, what, payload, retained) == CommandRouter.Outcome.IGNORED) {
                commands.count(Count.IGNORED);
                return;
            }
            if (retained && what.equals("estop")) {
                log.warn("MQTT: the e-stop on {} was retained: the broker replays it at every reconnect, which stops the robot again; "
                        + "clear it there with an empty retained message", topic);
            }
            commands.count(Count.ACCEPTED);
        } catch (RuntimeException e) { // IllegalArgumentException, IllegalStateException, SecurityException, or a service going away
            String reason = commands.refused(topic, e);
            session.publish(base + "/cmd/error", new Json().field("topic", topic).field("error", reason).toString(), 1, false);
        }
    }

    @Override
    public String topics() {
        return base;
    }
}
