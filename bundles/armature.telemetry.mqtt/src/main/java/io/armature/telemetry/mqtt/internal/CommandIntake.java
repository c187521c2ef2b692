package io.armature.telemetry.mqtt.internal;

import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.osgi.service.log.Logger;

/**
 * The command side of one session: hands the messages that arrive on Paho's thread to the
 * component's thread within a bound, counts what became of them, logs refusals without flooding
 * the log, and withdraws every MQTT command when the link goes. What a command does is
 * {@link CommandRouter}'s; which topics carry commands, and how a refusal is answered, is the
 * {@link PayloadFormat}'s.
 */
final class CommandIntake {

    /** What became of a command. */
    enum Count {
        /** done (a setpoint: in force, or kept while a source of higher priority owns the loop) */
        ACCEPTED,
        /** refused: nothing changed (an e-stop in a refused NCMD was done all the same) */
        REFUSED,
        /** on a topic that carries no command, or beyond the bound of waiting commands */
        IGNORED
    }

    /**
     * Commands waiting for the component's thread beyond this are ignored (and counted): a flood
     * cannot queue without bound. Messages on the topics that can carry an e-stop ({@code cmd/estop},
     * NCMD) have a bound of their own, so that a flood of setpoints never crowds an e-stop out.
     */
    private static final int MAX_PENDING_COMMANDS = 64;

    /** A refusal with the same reason as the one logged last is not logged again within this (renewals come every half lease). */
    private static final long REFUSAL_LOG_QUIET_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final CommandRouter router;
    private final boolean enabled;
    private final Logger log;
    /** What became of the commands: the {@link Count}s. */
    private final AtomicLongArray counts = new AtomicLongArray(Count.values().length);
    private final AtomicInteger pendingCommands = new AtomicInteger();
    private final AtomicInteger pendingStops = new AtomicInteger();
    private volatile String lastError;
    /** The last refusal logged and when; only the component's thread touches them. */
    private String refusalLogged;
    private long refusalLoggedNanos;

    /** @param enabled {@code commandsEnabled}: setpoints, e-stops and resets are taken */
    CommandIntake(CommandRouter router, boolean enabled, Logger log) {
        this.router = router;
        this.enabled = enabled;
        this.log = log;
    }

    CommandRouter router() {
        return router;
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * On Paho's thread: queues the message for {@link PayloadFormat#command} on the component's
     * thread {@code thread}, or ignores it beyond the bound.
     */
    void arrived(String topic, MqttMessage message, PayloadFormat format, Executor thread) {
        long stamp = router.link(); // a command that arrived before a connection loss is stale
        AtomicInteger pending = format.mayStop(topic) ? pendingStops : pendingCommands;
        if (pending.incrementAndGet() > MAX_PENDING_COMMANDS) {
            pending.decrementAndGet();
            count(Count.IGNORED);
            return;
        }
        boolean retained = message.isRetained();
        byte[] payload = message.getPayload();
        try {
            thread.execute(() -> {
                pending.decrementAndGet();
                format.command(stamp, topic, payload, retained);
            });
        } catch (RejectedExecutionException stopped) {
            pending.decrementAndGet(); // deactivated meanwhile
        }
    }

    void count(Count what) {
        counts.incrementAndGet(what.ordinal());
    }

    long counted(Count what) {
        return counts.get(what.ordinal());
    }

    /** Counts and logs a refusal (the same reason again within {@link #REFUSAL_LOG_QUIET_NANOS} only at debug). @return its reason, one line */
    String refused(String topic, RuntimeException e) {
        String reason = CommandRouter.oneLine(e);
        count(Count.REFUSED);
        lastError = reason;
        long now = System.nanoTime();
        if (reason.equals(refusalLogged) && now - refusalLoggedNanos < REFUSAL_LOG_QUIET_NANOS) {
            log.debug("MQTT command on {} refused: {}", topic, reason);
        } else {
            refusalLogged = reason;
            refusalLoggedNanos = now;
            log.warn("MQTT command on {} refused: {}", topic, reason);
        }
        return reason;
    }

    /** @return the reason of the last refusal, or null */
    String lastError() {
        return lastError;
    }

    /**
     * On Paho's thread, at once (the component's thread may be busy): with commands enabled, every
     * MQTT command is withdrawn, so the wheels stop now, not at the end of the lease.
     *
     * @return "; " and what was done, for the log line of the loss; empty with commands disabled
     */
    String linkLost() {
        return enabled ? "; " + release() : "";
    }

    /** The session stops (the component stops or its configuration changes): every MQTT command is withdrawn. */
    void stop() {
        if (enabled) {
            log.info("MQTT commands stop (the component stops or its configuration changes): {}", release());
        }
    }

    /** @return what was done, for the log */
    private String release() {
        String failed = router.linkLost();
        return failed == null ? "every command of source '" + CommandRouter.SOURCE + "' withdrawn"
                : "the commands of source '" + CommandRouter.SOURCE + "' could not be withdrawn (" + failed + "); they lapse with their lease";
    }

    /** @return for {@code mqtt:status}: with commands enabled, how the motion-command service takes them; the counters */
    String status() {
        return String.format(Locale.ROOT, "%scommands %s: accepted %d, refused %d, ignored %d",
                enabled ? router.sourceDescription() + System.lineSeparator() : "", enabled ? "enabled" : "disabled",
                counted(Count.ACCEPTED), counted(Count.REFUSED), counted(Count.IGNORED));
    }
}
