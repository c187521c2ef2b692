package io.armature.control.internal;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import io.armature.control.JvmPauses;
import io.armature.sensor.SampleReader;

/**
 * Tells why loops woke late: the late wake-ups each loop publishes, matched by time against
 * the JVM's own pauses ({@link JvmPauses}, one recorder per JVM, in bundle armature.jvm). Runs
 * on a thread of its own, never on a loop's; the JVM reports its pauses a second or two after
 * they happen, so a wake-up is attributed once the report has passed it by
 * {@link #SETTLE_NANOS}.
 */
final class LatenessAttribution implements AutoCloseable {

    /** A wake-up is attributed once the JVM's report has passed it by this much. */
    static final long SETTLE_NANOS = 2_000_000_000L;
    /** How often the loops' late wake-ups are read and matched. */
    private static final long POLL_NANOS = 250_000_000L;

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
    /** Switched off by configuration: nothing is watched. */
    private final boolean off;
    private final Thread thread;
    private volatile boolean running = true;
    /** Where the JVM's pauses come from; null while no recorder runs. */
    private volatile JvmPauses pauses;

    private LatenessAttribution(boolean off) {
        this.off = off;
        this.thread = off ? null : new Thread(this::run, "armature-lateness-attribution");
        if (thread != null) {
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** @return an attribution that matches late wake-ups against the JVM's pauses, once a recorder is {@linkplain #use used} */
    static LatenessAttribution start() {
        return new LatenessAttribution(false);
    }

    /** @return an attribution that attributes nothing, and says it is switched off */
    static LatenessAttribution off() {
        return new LatenessAttribution(true);
    }

    /** The JVM's pauses from now on. */
    void use(JvmPauses recorder) {
        pauses = recorder;
    }

    /** {@code recorder} goes away: unless another is used already, no cause can be told until one comes. */
    void release(JvmPauses recorder) {
        if (pauses == recorder) {
            pauses = null;
        }
    }

    /** @return whether the JVM's pauses are being reported: late deadlines from then on get a cause */
    boolean streaming() {
        JvmPauses p = pauses;
        return !off && p != null && p.reportedFromNanos() != Long.MIN_VALUE;
    }

    /** @return how causes are found, or why they are not */
    String method() {
        if (off) {
            return "not attributed: attributeLateness=false (armature.control.engine)";
        }
        JvmPauses p = pauses;
        return p == null ? "not attributed: no recorder of the JVM's pauses runs (bundle armature.jvm)" : p.method();
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

    private void run() {
        while (running) {
            LockSupport.parkNanos(POLL_NANOS);
            try {
                attribute();
            } catch (RuntimeException e) {
                // a recorder going away under the match: the next round asks again
            }
        }
    }

    /**
     * Every wake-up the JVM's report has passed by {@link #SETTLE_NANOS} gets its cause; with no
     * recorder, or before its report began, none can be told, and the wake-ups are counted as lost.
     */
    private void attribute() {
        JvmPauses p = pauses;
        long from = p == null ? Long.MIN_VALUE : p.reportedFromNanos();
        long settled = from == Long.MIN_VALUE ? Long.MIN_VALUE : p.reportedUntilNanos() - SETTLE_NANOS;
        for (Map.Entry<LoopRunner, Watched> e : watched.entrySet()) {
            Watched w = e.getValue();
            while (w.reader.poll(w.into)) {
                long lost = w.into.publishedDeadlines - w.into.deadlines - w.publishedSeen;
                if (lost > 0) {
                    e.getKey().attributionLost(lost);
                }
                w.publishedSeen = w.into.publishedDeadlines;
                if (from == Long.MIN_VALUE || w.into.deadlineNanos < from) {
                    e.getKey().attributionLost(w.into.deadlines); // no report covers it: no cause can be told
                } else {
                    w.unsettled.addLast(new long[] {w.into.deadlineNanos, w.into.wokeNanos, w.into.deadlines});
                }
            }
            while (!w.unsettled.isEmpty() && (from == Long.MIN_VALUE || w.unsettled.peekFirst()[1] <= settled)) {
                long[] late = w.unsettled.removeFirst();
                if (from == Long.MIN_VALUE) {
                    e.getKey().attributionLost(late[2]); // the recorder went away before it could tell
                    continue;
                }
                int pause = p.pauseDuring(late[0], late[1]);
                e.getKey().attributed(late[2], pause != JvmPauses.NONE, pause == JvmPauses.GC_PAUSE);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            LockSupport.unpark(thread);
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (LoopRunner r : watched.keySet()) {
            unwatch(r);
        }
    }
}
