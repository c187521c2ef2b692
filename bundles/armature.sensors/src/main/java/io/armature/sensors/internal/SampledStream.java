package io.armature.sensors.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.armature.sensor.Sample;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.service.Threads;

/**
 * What every sensor source here shares: its stream, registered as a {@link SampleStream} service
 * under its name, and a daemon thread that samples at a fixed rate. When the thread falls more
 * than ten periods behind (the host stalled it) it starts again from now rather than firing a
 * burst of catch-up samples. A stream a control loop measures with can sample under SCHED_FIFO
 * (just below the loop's priority), so its sample is taken on time whatever else the machine does.
 * {@link #end()} stops sampling, then ends the stream visibly, then
 * unregisters it.
 */
final class SampledStream<S extends Sample<S>> {

    private final BroadcastStream<S> stream;
    private final ServiceRegistration<?> registration;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param context null in unit tests: nothing is registered
     * @param sample  takes and publishes one sample, given the time it is taken
     */
    SampledStream(String name, int rateHz, Supplier<S> factory, BundleContext context, String threadName, LongConsumer sample) {
        this(name, rateHz, factory, context, threadName, 0, r -> { }, sample);
    }

    /**
     * @param realTimePriority SCHED_FIFO priority of the sampling thread, 1..99, or 0 for none
     * @param realTime         told on the sampling thread, before its first sample, whether that
     *                         priority was applied and if not why not (not called for 0)
     */
    SampledStream(String name, int rateHz, Supplier<S> factory, BundleContext context, String threadName, int realTimePriority,
            Consumer<RealTimePriority.Result> realTime, LongConsumer sample) {
        this.stream = new BroadcastStream<>(name, rateHz, 256, factory);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(SampleStream.PROPERTY_STREAM, name);
        this.registration = context == null ? null : context.registerService(SampleStream.class, stream, props);
        long periodNanos = 1_000_000_000L / rateHz;
        this.thread = new Thread(() -> {
            if (realTimePriority > 0) {
                realTime.accept(RealTimePriority.applyToCurrentThread(realTimePriority));
            }
            long next = System.nanoTime();
            while (running) {
                next += periodNanos;
                long now = System.nanoTime();
                if (next - now > 0) {
                    LockSupport.parkNanos(next - now);
                } else if (now - next > 10 * periodNanos) {
                    next = now;
                }
                if (running) {
                    sample.accept(System.nanoTime());
                }
            }
        }, threadName);
        thread.setDaemon(true);
    }

    /**
     * @return the configured stream name, trimmed
     * @throws IllegalArgumentException when it is not letters, digits, '.', '_' or '-'
     */
    static String checkName(String configured) {
        String name = configured == null ? "" : configured.trim();
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("stream name must be letters, digits, '.', '_' or '-', was '" + configured + "'");
        }
        return name;
    }

    /**
     * @param what the source, as its messages begin: {@code encoder 'encoder.left': }
     * @throws IllegalArgumentException when {@code rateHz} is not 1..{@code max}
     */
    static void checkRate(String what, int rateHz, int max) {
        if (rateHz < 1 || rateHz > max) {
            throw new IllegalArgumentException(what + "rateHz must be 1.." + max + ", was " + rateHz);
        }
    }

    /**
     * @param what the source, as its messages begin
     * @throws IllegalArgumentException when {@code priority} is not 0..99
     */
    static void checkPriority(String what, int priority) {
        if (priority < 0 || priority > 99) {
            throw new IllegalArgumentException(what + "realTimePriority must be 0 (none) or 1..99, was " + priority);
        }
    }

    BroadcastStream<S> stream() {
        return stream;
    }

    void start() {
        thread.start();
    }

    /** Stops sampling (waiting 2 s at most for the last sample), ends the stream, unregisters it. */
    void end() {
        running = false;
        Threads.wakeAndJoin(thread, 2_000);
        stream.close(); // readers see the source gone, never stale samples as fresh
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
    }
}
