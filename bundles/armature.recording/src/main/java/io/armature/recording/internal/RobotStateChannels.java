package io.armature.recording.internal;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import io.armature.mcap.McapRecord;
import io.armature.mcap.McapWriter;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;

/**
 * The robot's state beside its streams: the safety supervisor's state (with its trip and what a
 * reset waits for) on {@code /armature/safety}, and which command source owns each loop on
 * {@code /armature/commands}. The recorder's thread looks every {@link #EVERY_NANOS} and writes a
 * message when something changed, and the first look of a recording always; times are those of
 * the look. Not thread-safe: the recorder's thread only.
 */
final class RobotStateChannels {

    /** How often the recorder looks: a change is stamped at most this late. */
    static final long EVERY_NANOS = 5_000_000;

    private final Supplier<SafetySupervisor> supervisor;
    private final Supplier<MotionCommands> commands;
    private final List<String> loops;
    private final int safetyChannel;
    private final int commandsChannel;
    private final CdrWriter cdr = new CdrWriter();
    private String lastSafety;
    private final Map<String, String> lastOwner = new HashMap<>();
    private long lastLook = Long.MIN_VALUE;
    private long safetyWritten;
    private long commandsWritten;

    /**
     * @param loops           the loops whose owner is recorded, by name
     * @param firstChannel    the id of the safety channel; the commands channel is the next
     */
    RobotStateChannels(Supplier<SafetySupervisor> supervisor, Supplier<MotionCommands> commands, List<String> loops, int firstChannel) {
        this.supervisor = supervisor;
        this.commands = commands;
        this.loops = loops;
        this.safetyChannel = firstChannel;
        this.commandsChannel = firstChannel + 1;
    }

    /** Adds the two schemas and channels, with the given schema ids. */
    void begin(McapWriter writer, int firstSchema) throws IOException {
        writer.add(new McapRecord.Schema(firstSchema, Ros2Messages.SAFETY_STATE_TYPE, "ros2msg", Ros2Messages.utf8(Ros2Messages.SAFETY_STATE_DEFINITION)));
        writer.add(new McapRecord.Schema(firstSchema + 1, Ros2Messages.LOOP_OWNER_TYPE, "ros2msg", Ros2Messages.utf8(Ros2Messages.LOOP_OWNER_DEFINITION)));
        writer.add(new McapRecord.Channel(safetyChannel, firstSchema, "/armature/safety", "cdr", Map.of("offered_qos_profiles", McapRecorder.QOS_RELIABLE)));
        writer.add(new McapRecord.Channel(commandsChannel, firstSchema + 1, "/armature/commands", "cdr",
                Map.of("offered_qos_profiles", McapRecorder.QOS_RELIABLE)));
    }

    /** Looks, when it is time, and writes what changed. */
    void look(McapWriter writer, long nowNanos, long wallOffset, boolean force) throws IOException {
        if (!force && nowNanos - lastLook < EVERY_NANOS) {
            return;
        }
        lastLook = nowNanos;
        long at = nowNanos + wallOffset;
        SafetySupervisor s = supervisor.get();
        if (s != null) {
            Optional<TripReason> trip = s.tripReason();
            List<String> unhealthy = s.unhealthy();
            String state = s.state().name();
            String key = state + '|' + s.mayMove() + '|' + trip.map(TripReason::toString).orElse("") + '|' + unhealthy;
            if (!key.equals(lastSafety)) {
                lastSafety = key;
                Ros2Messages.safetyState(at, state, s.mayMove(), trip.map(TripReason::source).orElse(""), trip.map(TripReason::message).orElse(""),
                        unhealthy, cdr);
                writer.addMessage(safetyChannel, safetyWritten++, at, at, cdr.array(), 0, cdr.length());
            }
        }
        MotionCommands c = commands.get();
        if (c != null) {
            for (String loop : loops) {
                String owner = c.owner(loop).orElse("");
                if (!owner.equals(lastOwner.put(loop, owner))) {
                    Ros2Messages.loopOwner(at, loop, owner, cdr);
                    writer.addMessage(commandsChannel, commandsWritten++, at, at, cdr.array(), 0, cdr.length());
                }
            }
        }
    }

    long safetyWritten() {
        return safetyWritten;
    }

    long commandsWritten() {
        return commandsWritten;
    }
}
