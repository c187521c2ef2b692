package io.armature.control.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

import io.armature.sensor.SampleReader;

/**
 * Tells why loops woke late: one flight-recorder stream of the JVM's safepoints and garbage
 * collector pauses, matched by time against the late wake-ups each loop publishes. Runs on the
 * recorder's own thread, never on a loop's; the recorder delivers events about a second after
 * they happen, so a wake-up is attributed once that second has passed.
 *
 * <p>The recorder's times are wall-clock instants; a marker event carrying
 * {@link System#nanoTime()} maps them to the loops' clock exactly, whatever the wall clock does.
 */
final class LatenessAttribution implements AutoCloseable {

    /** A late wake-up is matched against safepoints that ended at most this long before its deadline (clock mapping, event granularity). */
    static final long SLACK_NANOS = 50_000;
    /** A wake-up is attributed once the recorder's stream has passed it by this much. */
    private static final long SETTLE_NANOS = 2_000_000_000L;
    /** Safepoints and pauses kept for matching. */
    private static final int KEPT = 4096;

    /** Marks the flight recorder's timeline with the loops' clock. */
    @Name("io.armature.LoopClock")
    @Label("Loop clock mark")
    @Category("Armature")
    @StackTrace(false)
    @Period("200 ms")
    static final class ClockMark extends Event {
        @Label("System.nanoTime")
        long nanoTime;
    }

    /** What the attribution keeps per loop: its reader and the wake-ups not yet settled. The counts are the runner's. */
    static final class Watched {
        final SampleReader<LateWakeUp> reader;
        final LateWakeUp into = new LateWakeUp();
        final ArrayDeque<long[]> unsettled = new ArrayDeque<>();
        /** The runner's published total at the last wake-up read: a jump past it is what the queue lost. */
        long publishedSeen;

        Watched(SampleReader<LateWakeUp> reader) {
            this.reader = reader;
        }
    }

    private final Map<LoopRunner, Watched> watched = new ConcurrentHashMap<>();
    private final Runnable mark = () -> {
        ClockMark m = new ClockMark();
        m.nanoTime = System.nanoTime();
        m.commit();
    };
    static final String STREAMING = "JVM safepoints and GC pauses from the flight recorder, matched by time";

    /** Set once the recorder streams; null before, and for good where it cannot. */
    private volatile RecordingStream stream;
    private volatile String method = "not attributed yet: the flight recorder is starting";
    private boolean closed;
    /** Switched off by configuration: nothing is watched. */
    private final boolean off;
    private final Thread starter;

    // recorder thread only: intervals on the loops' clock, [start, end] pairs, oldest first
    private final ArrayDeque<long[]> safepoints = new ArrayDeque<>();
    private final ArrayDeque<long[]> pauses = new ArrayDeque<>();
    private final Map<Long, Long> safepointBegins = new java.util.HashMap<>();
    /** Wall-clock nanos minus nanoTime, from the latest mark; Long.MIN_VALUE until the first. */
    private long wallMinusNano = Long.MIN_VALUE;
    /** The latest mark's nanoTime: events up to here have been delivered. */
    private volatile long streamReached = Long.MIN_VALUE;
    /** The first mark's nanoTime: what happened before it the stream may not have seen. */
    private long streamBegan = Long.MIN_VALUE;

    private LatenessAttribution(boolean off) {
        this.off = off;
        // the recorder takes a few hundred milliseconds to start: not on the engine's activation
        starter = new Thread(this::open, "armature-lateness-attribution");
        starter.setDaemon(true);
    }

    /**
     * Starts the stream in the background and returns at once; where the JVM has no flight
     * recorder, the attribution says so and attributes nothing.
     */
    static LatenessAttribution start() {
        LatenessAttribution a = new LatenessAttribution(false);
        a.starter.start();
        return a;
    }

    /** @return an attribution that attributes nothing, and says it is switched off */
    static LatenessAttribution off() {
        LatenessAttribution a = new LatenessAttribution(true);
        a.method = "not attributed: attributeLateness=false (armature.control.engine)";
        return a;
    }

    private void open() {
        RecordingStream rs;
        try {
            if (!FlightRecorder.isAvailable()) {
                method = "not attributed: this JVM has no flight recorder";
                return;
            }
            rs = new RecordingStream();
            rs.enable("jdk.SafepointBegin").withoutThreshold().withoutStackTrace();
            rs.enable("jdk.SafepointEnd").withoutThreshold().withoutStackTrace();
            rs.enable("jdk.GCPhasePause").withoutThreshold().withoutStackTrace();
            rs.enable(ClockMark.class).withPeriod(Duration.ofMillis(200));
            rs.setMaxAge(Duration.ofSeconds(10));
            rs.setReuse(true);
            rs.setOrdered(false);
            rs.onEvent("jdk.SafepointBegin", this::safepointBegan);
            rs.onEvent("jdk.SafepointEnd", this::safepointEnded);
            rs.onEvent("jdk.GCPhasePause", e -> keep(pauses, nanos(e.getStartTime()), nanos(e.getEndTime())));
            rs.onEvent(ClockMark.class.getAnnotation(Name.class).value(), this::marked);
            rs.onFlush(this::attribute);
        } catch (RuntimeException | LinkageError e) {
            method = "not attributed: the flight recorder cannot stream here (" + e + ")";
            return;
        }
        synchronized (this) {
            if (closed) {
                rs.close();
                return;
            }
            FlightRecorder.addPeriodicEvent(ClockMark.class, mark);
            stream = rs;
            rs.startAsync(); // the method is told with the first clock mark: from then on a late deadline gets a cause
        }
    }

    /** @return whether the recorder's stream has delivered its first clock mark: late deadlines from then on get a cause */
    boolean streaming() {
        return streamReached != Long.MIN_VALUE;
    }

    /** @return how causes are found, or why they are not */
    String method() {
        return method;
    }

    /** Attributes {@code runner}'s late wake-ups from now on (once the recorder streams: those since then). */
    void watch(LoopRunner runner) {
        runner.attributedBy(this);
        if (off) {
            return;
        }
        watched.put(runner, new Watched(runner.lateWakeUps().openQueue(runner.lateWakeUps().capacity())));
    }

    /** Stops attributing {@code runner}'s wake-ups; its counts stay where they are. */
    void unwatch(LoopRunner runner) {
        Watched w = watched.remove(runner);
        if (w != null) {
            w.reader.close();
        }
    }

    private void marked(RecordedEvent e) {
        long nano = e.getLong("nanoTime");
        Instant at = e.getStartTime();
        wallMinusNano = at.getEpochSecond() * 1_000_000_000L + at.getNano() - nano;
        if (streamBegan == Long.MIN_VALUE) {
            streamBegan = nano;
            method = STREAMING;
        }
        streamReached = Math.max(streamReached, nano);
    }

    private long nanos(Instant at) {
        return at.getEpochSecond() * 1_000_000_000L + at.getNano() - wallMinusNano;
    }

    private void safepointBegan(RecordedEvent e) {
        if (wallMinusNano != Long.MIN_VALUE) {
            safepointBegins.put(e.getLong("safepointId"), nanos(e.getStartTime()));
        }
    }

    private void safepointEnded(RecordedEvent e) {
        Long began = safepointBegins.remove(e.getLong("safepointId"));
        if (began != null) {
            keep(safepoints, began, nanos(e.getEndTime()));
        }
        if (safepointBegins.size() > KEPT) {
            safepointBegins.clear(); // ends lost: begin again
        }
    }

    private void keep(ArrayDeque<long[]> intervals, long start, long end) {
        if (wallMinusNano == Long.MIN_VALUE) {
            return; // no mark yet: the times cannot be mapped
        }
        intervals.addLast(new long[] {start, end});
        if (intervals.size() > KEPT) {
            intervals.removeFirst();
        }
    }

    /** After each flush: every wake-up the stream has passed by {@link #SETTLE_NANOS} gets its cause. */
    private void attribute() {
        if (streamReached == Long.MIN_VALUE) {
            return;
        }
        long settled = streamReached - SETTLE_NANOS;
        for (Map.Entry<LoopRunner, Watched> e : watched.entrySet()) {
            Watched w = e.getValue();
            while (w.reader.poll(w.into)) {
                long lost = w.into.publishedDeadlines - w.into.deadlines - w.publishedSeen;
                if (lost > 0) {
                    e.getKey().attributionLost(lost);
                }
                w.publishedSeen = w.into.publishedDeadlines;
                w.unsettled.addLast(new long[] {w.into.deadlineNanos, w.into.wokeNanos, w.into.deadlines});
            }
            while (!w.unsettled.isEmpty() && w.unsettled.peekFirst()[1] <= settled) {
                long[] late = w.unsettled.removeFirst();
                if (late[0] < streamBegan) {
                    e.getKey().attributionLost(late[2]); // before the stream saw anything: no cause can be told
                    continue;
                }
                boolean safepoint = overlaps(safepoints, late[0], late[1]);
                e.getKey().attributed(late[2], safepoint, safepoint && overlaps(pauses, late[0], late[1]));
            }
        }
    }

    /** @return whether an interval was in force between {@code from} (less the slack) and {@code to} */
    static boolean overlaps(Iterable<long[]> intervals, long from, long to) {
        for (long[] i : intervals) {
            if (i[0] <= to && i[1] >= from - SLACK_NANOS) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (stream != null) {
                FlightRecorder.removePeriodicEvent(mark);
                stream.close();
            }
        }
        for (LoopRunner r : watched.keySet()) {
            unwatch(r);
        }
    }
}
