package io.armature.telemetry.mqtt.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.eclipse.paho.client.mqttv3.MqttException;
import org.osgi.service.log.Logger;

import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.telemetry.mqtt.internal.CommandIntake.Count;

/**
 * The robot as a Sparkplug B edge node (the payloads and sequence numbers are {@link Sparkplug}'s),
 * topics {@code spBv1.0/<sparkplugGroupId>/<type>/<robotId>[/<device>]}: NBIRTH on every connect
 * and rebirth, NDATA at the status rate, NDEATH as the Last Will and on an orderly stop; one device
 * per loop and per stream (DBIRTH, DDATA at the telemetry rate, DDEATH when it goes). Commands:
 * NCMD (Rebirth always; E-Stop and Reset with commands enabled) and DCMD {@code setpoint} to a
 * loop device; a refusal is the node metric {@code commands/lastError}, sent at once in an NDATA.
 * All of it QoS 0 and kept for nobody: the births after a reconnect carry the current values.
 */
final class SparkplugFormat implements PayloadFormat {

    private final MqttSession session;
    private final RobotServices robot;
    private final CommandIntake commands;
    private final Logger log;
    private final Sparkplug sp;
    private final TelemetryMessages messages;
    /** Connected and its NBIRTH sent; only the component's thread touches it. */
    private boolean born;

    SparkplugFormat(MqttSession session, RobotServices robot, CommandIntake commands, Logger log) {
        this.session = session;
        this.robot = robot;
        this.commands = commands;
        this.log = log;
        this.sp = new Sparkplug(session.settings().sparkplugGroupId(), session.settings().robotId());
        this.messages = new TelemetryMessages(robot,
                (kind, name) -> Sparkplug.device(kind == TelemetryMessages.Kind.LOOP ? Sparkplug.LOOP_DEVICE : Sparkplug.STREAM_DEVICE, name));
    }

    /** A new {@code bdSeq}; nothing is born until {@link #connected} sends the NBIRTH of this connection. */
    @Override
    public LastWord will() {
        born = false;
        return new LastWord(sp.topic("NDEATH"), sp.nextDeath(), false);
    }

    @Override
    public LastWord farewell() {
        return new LastWord(sp.topic("NDEATH"), sp.death(), false);
    }

    /** Subscribes to the commands before the births, as Sparkplug B asks, then sends the births. */
    @Override
    public void connected(boolean reconnect) {
        try {
            session.subscribe(sp.topic("NCMD"));
            if (commands.enabled()) {
                session.subscribe(sp.topic("DCMD") + "/+");
            }
        } catch (MqttException e) {
            log.error("MQTT Sparkplug B commands not available: subscribing to {} failed: {}", sp.topic("NCMD"), e.getMessage());
        }
        publishNode(true);
        log.info("MQTT {} {} as {}: Sparkplug B edge node {} (bdSeq {}), commands {}", reconnect ? "reconnected to" : "connected to",
                session.settings().brokerUri(), session.settings().clientId(), sp.topic("NBIRTH"), sp.bdSeq(), commands.enabled() ? "enabled" : "disabled");
    }

    @Override
    public void publishStatus() {
        publishNode(false);
    }

    @Override
    public void publishTelemetry() {
        publishDevices(messages.collect());
    }

    /** NDATA, or NBIRTH and every DBIRTH when asked to or when the node's metrics changed. */
    private void publishNode(boolean rebirth) {
        if (!session.connected() || !(born || rebirth)) {
            return; // Sparkplug B keeps nothing: the births after the (re)connect carry the current values
        }
        born = true;
        Fields f = nodeMetrics();
        if (rebirth || sp.nodeNeedsBirth(f)) {
            session.sendNow(sp.topic("NBIRTH"), sp.nodeBirth(f));
            publishDevices(messages.collect());
        } else {
            session.sendNow(sp.topic("NDATA"), sp.nodeData(f));
        }
    }

    private Fields nodeMetrics() {
        Fields f = new Fields();
        SafetySupervisor s = robot.safety();
        TripReason r = s == null ? null : s.tripReason().orElse(null);
        f.add("safety", s == null ? "UNSUPERVISED" : s.state().name()).add("trip/source", r == null ? null : r.source())
                .add("trip/message", r == null ? null : r.message());
        for (Board board : robot.boards()) {
            BoardInfo info = board.info();
            String b = "boards/" + info.id() + "/";
            f.add(b + "model", info.model()).add(b + "backend", info.backend()).add(b + "motionPermitted", board.motionPermitted())
                    .add(b + "refusedWrites", board.refusedWrites());
        }
        return f.add("commands/enabled", commands.enabled()).add("commands/accepted", commands.counted(Count.ACCEPTED))
                .add("commands/refused", commands.counted(Count.REFUSED)).add("commands/ignored", commands.counted(Count.IGNORED))
                .add("commands/lastError", commands.lastError());
    }

    /** DBIRTH for a new device or one whose metrics changed, DDATA for the others, DDEATH for those gone. */
    private void publishDevices(List<TelemetryMessages.Message> all) {
        if (!session.connected() || !born) {
            return;
        }
        Set<String> gone = new HashSet<>(sp.devicesBorn());
        for (TelemetryMessages.Message m : all) {
            gone.remove(m.address);
            if (sp.deviceNeedsBirth(m.address, m.fields)) {
                session.sendNow(sp.topic("DBIRTH", m.address), sp.deviceBirth(m.address, m.fields));
            } else if (!session.behind()) { // when behind: dropped before its seq is taken, so a host sees no gap
                session.sendNow(sp.topic("DDATA", m.address), sp.deviceData(m.fields));
            }
        }
        for (String d : gone) {
            session.sendNow(sp.topic("DDEATH", d), sp.deviceDeath(d));
        }
    }

    @Override
    public boolean mayStop(String topic) {
        return topic.equals(sp.topic("NCMD"));
    }

    /**
     * NCMD (Rebirth always; E-Stop and Reset with commandsEnabled) and DCMD (setpoint of a loop
     * device), through {@link CommandRouter}. Every metric is checked before any is applied: one
     * bad metric refuses the command (an e-stop in it is done all the same).
     */
    @Override
    public void command(long stamp, String topic, byte[] payload, boolean retained) {
        if (session.closed()) {
            return;
        }
        boolean node = topic.equals(sp.topic("NCMD"));
        String devicePrefix = sp.topic("DCMD") + "/";
        if (!node && !(topic.startsWith(devicePrefix) && commands.enabled())) {
            commands.count(Count.IGNORED);
            return;
        }
        try {
            if (node) {
                commands.router().node(stamp, payload, retained, commands.enabled(), () -> publishNode(true));
            } else {
                commands.router().device(stamp, topic.substring(devicePrefix.length()), payload, retained);
            }
            commands.count(Count.ACCEPTED);
        } catch (RuntimeException e) {
            commands.refused(topic, e);
        }
        publishNode(false); // the counters and the last error at once
    }

    @Override
    public String topics() {
        return Sparkplug.NAMESPACE + "/" + session.settings().sparkplugGroupId() + "/+/" + session.settings().robotId();
    }
}
