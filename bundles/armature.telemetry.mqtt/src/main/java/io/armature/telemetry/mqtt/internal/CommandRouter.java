package io.armature.telemetry.mqtt.internal;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.eclipse.tahu.message.model.Metric;

import io.armature.motion.CommandSource;
import io.armature.motion.MotionCommands;

/**
 * Turns a command received over MQTT into a call of {@link MotionCommands} on behalf of the
 * source {@value #SOURCE}, and keeps no motion rule of its own: who drives, how long a command
 * holds (the source's lease), what a trip clears and who may reset are decided there. What is
 * checked here is only the message: its topic, its payload, its retain flag.
 *
 * <p>A refusal is a {@link RuntimeException} with a one-line message ({@link #oneLine}); a refused
 * command changes nothing. An e-stop is the exception: it is never refused for the form of its
 * message. A {@code cmd/estop} stops the robot also when retained (the broker then replays it at
 * every reconnect, which stops the robot again) or longer than a reason may be (the reason is
 * cut); an NCMD carrying {@code Node Control/E-Stop = true} stops the robot also when the rest of
 * it is refused (then the refusal says the e-stop was done). Only {@code commandsEnabled=false}
 * turns e-stops over MQTT off, as every other command.
 *
 * <p>{@link #linkLost()} withdraws every command of the source at once, and makes the commands
 * that arrived before it stale: a stale setpoint or reset is refused, a stale e-stop still acts.
 * The component's thread calls the command methods; Paho's thread may call {@link #linkLost()};
 * one lock orders the two, so that no command of a lost connection takes effect after the release.
 */
final class CommandRouter {

    /** The source name of every MQTT command, as {@code armature.motion} configures it. */
    static final String SOURCE = "mqtt";

    /** Sparkplug B payloads larger than this are not decoded (not even to look for an e-stop). */
    static final int MAX_DECODED_BYTES = 65_536;

    /** What came of a command that was not refused. */
    enum Outcome {
        /** taken (for a setpoint: in force, or kept while a source of higher priority owns the loop) */
        ACCEPTED,
        /** a topic that carries no command */
        IGNORED
    }

    private final Supplier<MotionCommands> motion;
    private final Supplier<Collection<String>> loopNames;
    private final UnaryOperator<String> estopWithoutMotion;
    private final Consumer<String> info;
    private final Object lock = new Object();
    /** Goes up by one at every {@link #linkLost()}: a command stamped with an older value is stale. */
    private volatile long link;
    /**
     * Per loop, the last setpoint said in the log, and whether it was in force: a renewal of the
     * same command (every half lease) is not logged again. Guarded by {@link #lock}.
     */
    private final Map<String, String> logged = new HashMap<>();

    /**
     * @param motion             the motion-command service, or null while none is running
     * @param loopNames          the names of the loops known now, to find a loop from a Sparkplug
     *                           B device id (which has '_' for what may not stand in a topic level)
     * @param estopWithoutMotion an e-stop when no motion-command service is running (trips the
     *                           supervisor directly, revokes every board's permit); gets the reason,
     *                           returns what was done in one line
     * @param info               takes a line for the log: a setpoint that differs from the last
     *                           one of its loop, an e-stop
     */
    CommandRouter(Supplier<MotionCommands> motion, Supplier<Collection<String>> loopNames, UnaryOperator<String> estopWithoutMotion,
            Consumer<String> info) {
        this.motion = motion;
        this.loopNames = loopNames;
        this.estopWithoutMotion = estopWithoutMotion;
        this.info = info;
    }

    /** @return the stamp of a command arriving now, for the command methods */
    long link() {
        return link;
    }

    /**
     * The broker connection is gone (or the component stops): every command of {@value #SOURCE}
     * is withdrawn at once, so that the wheels stop now rather than at the end of the lease; the
     * commands still waiting to be handled are stale.
     *
     * @return null, or why the release failed (no motion-command service, or {@value #SOURCE} is
     *         not a configured source)
     */
    String linkLost() {
        synchronized (lock) {
            link++;
            logged.clear();
            MotionCommands m = motion.get();
            if (m == null) {
                return "no motion-command service is running";
            }
            try {
                m.release(SOURCE);
                return null;
            } catch (RuntimeException e) {
                return oneLine(e);
            }
        }
    }

    /**
     * A JSON command: {@code what} is the topic below {@code cmd/}: {@code setpoint/<loop>} (a
     * plain decimal number), {@code estop} (a reason), {@code reset} (anything).
     *
     * @param stamp {@link #link()} when the command arrived
     * @return {@link Outcome#IGNORED} for any other topic
     * @throws RuntimeException a refusal, with a one-line message; nothing changed
     */
    Outcome json(long stamp, String what, byte[] payload, boolean retained) {
        if (what.equals("estop")) {
            String text = new String(payload, 0, Math.min(payload.length, CommandPayloads.MAX_PAYLOAD_BYTES), StandardCharsets.UTF_8);
            estop(CommandPayloads.reason(text)); // never refused: also retained, also long
            return Outcome.ACCEPTED;
        }
        boolean setpoint = what.startsWith("setpoint/");
        if (!setpoint && !what.equals("reset")) {
            return Outcome.IGNORED;
        }
        checkEnvelope(payload, retained);
        if (setpoint) {
            double value = CommandPayloads.number(new String(payload, StandardCharsets.UTF_8), "setpoint");
            setpoint(stamp, what.substring("setpoint/".length()), value);
        } else {
            reset(stamp);
        }
        return Outcome.ACCEPTED;
    }

    /**
     * A Sparkplug B NCMD: {@code Node Control/Rebirth = true} always; with commands enabled
     * {@code Node Control/E-Stop = true} and {@code Node Control/Reset = true}. Every metric is
     * checked before anything is done, and one bad metric refuses the command whole, except an
     * e-stop in it, which is done first.
     *
     * @param rebirth sends every birth again
     * @throws RuntimeException a refusal, with a one-line message
     */
    void node(long stamp, byte[] payload, boolean retained, boolean commandsEnabled, Runnable rebirth) {
        List<Metric> metrics = decode(payload);
        boolean estop = commandsEnabled && metrics.stream()
                .anyMatch(m -> Sparkplug.ESTOP.equals(m.getName()) && Boolean.TRUE.equals(m.getValue()));
        if (estop) {
            estop("e-stop over MQTT (Sparkplug B " + Sparkplug.ESTOP + ")");
        }
        String done = estop ? " (the " + Sparkplug.ESTOP + " in it was done)" : "";
        boolean doRebirth = false;
        boolean doReset = false;
        try {
            checkEnvelope(payload, retained);
            for (Metric m : metrics) {
                String name = named(m);
                if (name.equals(Sparkplug.REBIRTH)) {
                    requireTrue(name, m);
                    doRebirth = true;
                    continue;
                }
                if (!(name.equals(Sparkplug.ESTOP) || name.equals(Sparkplug.RESET))) {
                    throw new IllegalArgumentException("no writable node metric '" + name + "'; writable: " + Sparkplug.REBIRTH
                            + (commandsEnabled ? ", " + Sparkplug.ESTOP + ", " + Sparkplug.RESET : ""));
                }
                if (!commandsEnabled) {
                    throw new IllegalArgumentException(name + " refused: commands are disabled (commandsEnabled=false)");
                }
                requireTrue(name, m);
                if (name.equals(Sparkplug.RESET)) {
                    if (doReset) {
                        throw new IllegalArgumentException(name + " given twice in one command");
                    }
                    doReset = true;
                }
            }
            if (metrics.isEmpty()) {
                throw new IllegalArgumentException("no metric in the command");
            }
            if (estop && doReset) {
                throw new IllegalArgumentException(Sparkplug.ESTOP + " and " + Sparkplug.RESET + " in one command: the reset is refused");
            }
        } catch (RuntimeException e) {
            throw done.isEmpty() ? e : new IllegalArgumentException(oneLine(e) + done);
        }
        if (doRebirth) {
            rebirth.run();
        }
        if (doReset) {
            reset(stamp);
        }
    }

    /**
     * A Sparkplug B DCMD to a device: {@code setpoint} (Double, finite) to a loop device
     * {@code loop-<name>}, once.
     *
     * @throws RuntimeException a refusal, with a one-line message; nothing changed
     */
    void device(long stamp, String device, byte[] payload, boolean retained) {
        checkEnvelope(payload, retained);
        List<Metric> metrics = decode(payload);
        if (!device.startsWith(Sparkplug.LOOP_DEVICE)) {
            throw new IllegalArgumentException("device '" + device + "' takes no commands; loop devices take " + Sparkplug.SETPOINT);
        }
        String loop = loopOf(device);
        Double value = null;
        for (Metric m : metrics) {
            String name = named(m);
            if (!name.equals(Sparkplug.SETPOINT)) {
                throw new IllegalArgumentException("no writable metric '" + name + "' on " + device + "; writable: " + Sparkplug.SETPOINT);
            }
            if (!(m.getValue() instanceof Double v)) {
                throw new IllegalArgumentException(Sparkplug.SETPOINT + " must be a Double metric, was " + m.getDataType() + " " + m.getValue());
            }
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(Sparkplug.SETPOINT + " must be a finite number, was " + v);
            }
            if (value != null) {
                throw new IllegalArgumentException(Sparkplug.SETPOINT + " given twice in one command");
            }
            value = v;
        }
        if (value == null) {
            throw new IllegalArgumentException("no metric in the command");
        }
        setpoint(stamp, loop, value);
    }

    /**
     * @return the loop that a device id names: the known loop whose device id it is, or else the
     *         rest of the id (the motion-command service refuses a loop it does not know)
     */
    private String loopOf(String device) {
        for (String n : loopNames.get()) {
            if (Sparkplug.device(Sparkplug.LOOP_DEVICE, n).equals(device)) {
                return n;
            }
        }
        return device.substring(Sparkplug.LOOP_DEVICE.length());
    }

    /** @return how the motion-command service takes MQTT commands: the source's priority, lease and reset rights */
    String sourceDescription() {
        MotionCommands m = motion.get();
        if (m == null) {
            return "motion source " + SOURCE + ": no motion-command service is running (bundle armature.motion): "
                    + "setpoints and resets are refused, an e-stop trips the supervisor and revokes the boards' permits directly";
        }
        try {
            for (CommandSource c : m.sources()) {
                if (c.name().equals(SOURCE)) {
                    return String.format(Locale.ROOT, "motion source %s: priority %d, %s, %s", c.name(), c.priority(),
                            c.leased() ? "a command lapses " + c.leaseMillis() + " ms after it arrived unless renewed" : "no lease",
                            c.mayReset() ? "may reset" : "may not reset (armature.motion)");
                }
            }
            return "motion source " + SOURCE + ": not configured in armature.motion: every command but an e-stop is refused";
        } catch (RuntimeException e) {
            return "motion source " + SOURCE + ": " + oneLine(e);
        }
    }

    private void setpoint(long stamp, String loop, double value) {
        synchronized (lock) {
            requireCurrent(stamp);
            MotionCommands m = requireMotion();
            boolean inForce = m.setpoint(SOURCE, loop, value);
            String said = "MQTT: " + loop + " setpoint " + String.format(Locale.ROOT, "%.4g", value)
                    + (inForce ? "" : ", kept until the source of higher priority that owns the loop releases it");
            if (!said.equals(logged.put(loop, said))) {
                info.accept(said);
            }
        }
    }

    private void reset(long stamp) {
        synchronized (lock) {
            requireCurrent(stamp);
            requireMotion().reset(SOURCE); // SecurityException without reset rights; nothing changes
            logged.clear(); // the reset cleared every command: the next setpoint is news
        }
    }

    /** Never refused, never waits for a command being handled: through the motion-command service, or directly when none is running. */
    private void estop(String reason) {
        stop(reason);
        synchronized (lock) {
            logged.clear(); // the trip cleared every command: the next setpoint is news
        }
    }

    private void stop(String reason) {
        MotionCommands m = motion.get();
        if (m != null) {
            try {
                info.accept("MQTT: e-stop (" + reason + "): " + m.estop(SOURCE, reason));
                return;
            } catch (RuntimeException e) {
                info.accept("MQTT: e-stop through the motion-command service failed (" + oneLine(e) + "); stopping directly");
            }
        }
        info.accept("MQTT: e-stop (" + reason + ") without a motion-command service: " + estopWithoutMotion.apply(reason));
    }

    private void requireCurrent(long stamp) {
        if (stamp != link) {
            throw new IllegalStateException("the broker connection was lost after this command arrived: not applied");
        }
    }

    private MotionCommands requireMotion() {
        MotionCommands m = motion.get();
        if (m == null) {
            throw new IllegalStateException("no motion-command service is running (bundle armature.motion)");
        }
        return m;
    }

    /** Refuses what no command but an e-stop may be: retained (it would be replayed at every subscription), or too long. */
    static void checkEnvelope(byte[] payload, boolean retained) {
        if (retained) {
            throw new IllegalArgumentException("retained commands are refused: publish commands without the retain flag");
        }
        if (payload.length > CommandPayloads.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("payload longer than " + CommandPayloads.MAX_PAYLOAD_BYTES + " bytes");
        }
    }

    private static List<Metric> decode(byte[] payload) {
        if (payload.length > MAX_DECODED_BYTES) {
            throw new IllegalArgumentException("payload longer than " + MAX_DECODED_BYTES + " bytes");
        }
        return Sparkplug.decode(payload);
    }

    private static String named(Metric m) {
        if (m.getName() == null) {
            throw new IllegalArgumentException("a metric without a name (aliases are not used: name the metric)");
        }
        return m.getName();
    }

    private static void requireTrue(String name, Metric m) {
        if (!Boolean.TRUE.equals(m.getValue())) {
            throw new IllegalArgumentException(name + " must be the Boolean true, was " + m.getDataType() + " " + m.getValue());
        }
    }

    /** @return the message of a refusal in one line: line breaks as "; ", the type when there is no message */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return m.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
