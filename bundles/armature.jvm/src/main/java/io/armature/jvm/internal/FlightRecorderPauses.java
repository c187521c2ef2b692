package io.armature.jvm.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

import io.armature.control.JvmPauses;

/**
 * The JVM's safepoints and garbage-collector pauses from one flight-recorder stream, kept for a
 * few seconds on the loops' clock. One per JVM: a recording that starts in a JVM that has loaded
 * many classes holds every thread for a while (250 ms was seen, with a side-by-side swap of the
 * loop engine starting its own), so it starts once, with the runtime, in a bundle that swapping
 * the engine leaves alone. The stream starts on a thread of its own, never on the framework's.
 *
 * <p>The recorder's times are wall-clock instants; a marker event carrying
 * {@link System#nanoTime()} maps them to the loops' clock exactly, whatever the wall clock does.
 */
@Component(service = JvmPauses.class, immediate = true)
public final class FlightRecorderPauses implements JvmPauses, AutoCloseable {

    /** A span matches safepoints that ended at most this long before it (clock mapping, event granularity). */
    static final long SLACK_NANOS = 50_000;
    /** Safepoints and pauses kept. */
    private static final int KEPT = 4096;
    static final String STREAMING = "JVM safepoints and GC pauses from the flight recorder, matched by time";

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

    private final Runnable mark = () -> {
        ClockMark m = new ClockMark();
        m.nanoTime = System.nanoTime();
        m.commit();
    };
    private final Thread starter;
    private volatile String method = "not known yet: the flight recorder is starting";
    /** Guards the stream's start and close; the pauses are guarded by this, so that closing never waits on a callback. */
    private final Object lifecycle = new Object();
    private RecordingStream stream;
    private boolean closed;

    // guarded by this: written on the recorder's thread, read by whoever asks
    private final ArrayDeque<long[]> safepoints = new ArrayDeque<>();
    private final ArrayDeque<long[]> pauses = new ArrayDeque<>();
    private final Map<Long, Long> safepointBegins = new HashMap<>();
    /** Wall-clock nanos minus nanoTime, from the latest mark; Long.MIN_VALUE until the first. */
    private long wallMinusNano = Long.MIN_VALUE;
    private volatile long reportedUntil = Long.MIN_VALUE;
    private volatile long reportedFrom = Long.MIN_VALUE;

    /** Starts the stream in the background and returns at once (the recorder takes a few hundred milliseconds to start). */
    @Activate
    public FlightRecorderPauses() {
        starter = new Thread(this::open, "armature-jvm-pauses");
        starter.setDaemon(true);
        starter.start();
    }

    private void open() {
        RecordingStream rs;
        try {
            if (!FlightRecorder.isAvailable()) {
                method = "not known: this JVM has no flight recorder";
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
            rs.onEvent("jdk.GCPhasePause", e -> keep(pauses, e.getStartTime(), e.getEndTime()));
            rs.onEvent(ClockMark.class.getAnnotation(Name.class).value(), this::marked);
        } catch (RuntimeException | LinkageError e) {
            method = "not known: the flight recorder cannot stream here (" + e + ")";
            return;
        }
        synchronized (lifecycle) {
            if (closed) {
                rs.close();
                return;
            }
            FlightRecorder.addPeriodicEvent(ClockMark.class, mark);
            stream = rs;
            rs.startAsync(); // the method is told with the first clock mark: from then on pauses are known
        }
    }

    @Override
    public long reportedFromNanos() {
        return reportedFrom;
    }

    @Override
    public long reportedUntilNanos() {
        return reportedUntil;
    }

    @Override
    public synchronized int pauseDuring(long fromNanos, long toNanos) {
        if (!overlaps(safepoints, fromNanos, toNanos)) {
            return NONE;
        }
        return overlaps(pauses, fromNanos, toNanos) ? GC_PAUSE : SAFEPOINT;
    }

    @Override
    public String method() {
        return method;
    }

    private synchronized void marked(RecordedEvent e) {
        long nano = e.getLong("nanoTime");
        Instant at = e.getStartTime();
        wallMinusNano = at.getEpochSecond() * 1_000_000_000L + at.getNano() - nano;
        if (reportedFrom == Long.MIN_VALUE) {
            reportedFrom = nano;
            method = STREAMING;
        }
        reportedUntil = Math.max(reportedUntil, nano);
    }

    private long nanos(Instant at) {
        return at.getEpochSecond() * 1_000_000_000L + at.getNano() - wallMinusNano;
    }

    private synchronized void safepointBegan(RecordedEvent e) {
        if (wallMinusNano != Long.MIN_VALUE) {
            safepointBegins.put(e.getLong("safepointId"), nanos(e.getStartTime()));
        }
    }

    private synchronized void safepointEnded(RecordedEvent e) {
        Long began = safepointBegins.remove(e.getLong("safepointId"));
        if (began != null) {
            add(safepoints, began, nanos(e.getEndTime()));
        }
        if (safepointBegins.size() > KEPT) {
            safepointBegins.clear(); // ends lost: begin again
        }
    }

    private synchronized void keep(ArrayDeque<long[]> intervals, Instant start, Instant end) {
        if (wallMinusNano != Long.MIN_VALUE) { // no mark yet: the times cannot be mapped
            add(intervals, nanos(start), nanos(end));
        }
    }

    private static void add(ArrayDeque<long[]> intervals, long start, long end) {
        intervals.addLast(new long[] {start, end});
        if (intervals.size() > KEPT) {
            intervals.removeFirst();
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

    @Deactivate
    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
            if (stream != null) {
                FlightRecorder.removePeriodicEvent(mark);
                stream.close();
            }
        }
    }
}
