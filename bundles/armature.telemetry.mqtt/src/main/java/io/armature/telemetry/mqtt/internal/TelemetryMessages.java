package io.armature.telemetry.mqtt.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.sensor.SampleStream;

/**
 * The telemetry messages of one session, one per loop and per stream, refilled every period with
 * the values of now. Both formats publish the same fields; where a message goes (a JSON topic, a
 * Sparkplug B device) the format says once per name. A loop not reported yet is left out while
 * it waits for its statistics, for up to {@link #STATISTICS_GRACE_NANOS}: its engine starts it a
 * moment after the loop registers, and a Sparkplug device's first birth should carry every metric
 * it will have, not be born again a period later. Only the component's thread calls it; once every name has its
 * message, a period allocates nothing here.
 */
final class TelemetryMessages {

    /** How long a loop without statistics is left out: a loop no engine runs is reported without them after this. */
    static final long STATISTICS_GRACE_NANOS = 2_000_000_000L;

    /** What a message is about. */
    enum Kind {
        LOOP, STREAM
    }

    /** One loop's or stream's message: where it goes, and its values. */
    static final class Message {
        final String address;
        final Fields fields = new Fields();

        Message(String address) {
            this.address = address;
        }
    }

    private final RobotServices robot;
    private final BiFunction<Kind, String, String> addressOf;
    private final Map<String, Message> loopMessages = new HashMap<>();
    private final Map<String, Message> streamMessages = new HashMap<>();
    private final List<Message> collected = new ArrayList<>();
    /** Per loop seen without statistics, since when (the clock's time) */
    private final Map<String, Long> withoutStatisticsSince = new HashMap<>();
    private final LongSupplier clock;

    /** @param addressOf where the message of a loop or stream of the name goes, in the format's terms */
    TelemetryMessages(RobotServices robot, BiFunction<Kind, String, String> addressOf) {
        this(robot, addressOf, System::nanoTime);
    }

    /** @param clock nanoseconds, for the grace of a loop without statistics */
    TelemetryMessages(RobotServices robot, BiFunction<Kind, String, String> addressOf, LongSupplier clock) {
        this.robot = robot;
        this.addressOf = addressOf;
        this.clock = clock;
    }

    /** @return true while a loop without statistics is left out: since it was first seen so, less than the grace */
    private boolean awaitingStatistics(String name) {
        long now = clock.getAsLong();
        Long since = withoutStatisticsSince.computeIfAbsent(name, n -> now);
        return now - since < STATISTICS_GRACE_NANOS;
    }

    /**
     * @return the loops (each once: the instance that drives, and the newest statistics) and the
     *         streams as they are now; the list and its messages are reused by the next call
     */
    List<Message> collect() {
        collected.clear();
        for (String name : robot.loopNames()) {
            TunableLoop l = robot.loop(name);
            LoopStatistics st = robot.statistics(name);
            if (l == null && st == null) {
                continue; // gone since the names were read
            }
            if (st != null) {
                withoutStatisticsSince.remove(name);
            } else if (!loopMessages.containsKey(name) && awaitingStatistics(name)) {
                continue; // never reported yet: wait a moment for its statistics
            }
            Fields f = message(loopMessages, Kind.LOOP, name);
            if (l != null) {
                f.add(Sparkplug.SETPOINT, l.setpoint()).add("measurement", l.measurement()).add("output", l.output())
                        .add("unit", l.unit()).add("controller", l.controller()).add("fault", l.fault().orElse(null));
            }
            if (st != null) {
                f.add("rateHz", st.rateHz()).add("cycles", st.cycles()).add("overruns", st.overruns())
                        .add("latenessP99Micros", st.latenessNanos(99.0) / 1e3).add("latenessMaxMicros", st.maxLatenessNanos() / 1e3)
                        .add("failure", st.failure().orElse(null));
            }
        }
        for (SampleStream<?> s : robot.streams()) {
            message(streamMessages, Kind.STREAM, s.name()).add("rateHz", s.rateHz())
                    .add("published", s.published()).add("lost", s.lostCount()).add("invalid", s.invalidCount()).add("readers", (long) s.readers());
        }
        return collected;
    }

    /** @return the emptied fields of the message of {@code name}, added to this period's messages */
    private Fields message(Map<String, Message> cache, Kind kind, String name) {
        Message m = cache.get(name);
        if (m == null) {
            m = new Message(addressOf.apply(kind, name));
            cache.put(name, m);
        }
        collected.add(m);
        return m.fields.clear();
    }
}
