package io.armature.vision.internal;

import java.util.Arrays;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.opencv.core.Mat;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.log.Logger;

import io.armature.vision.FrameSource;

/**
 * A frame source service with its own named capture thread. Each captured frame is stamped with
 * {@link System#nanoTime()} and copied into the back buffer of every attached pipeline's
 * {@link FrameSlot}: no pipeline waits for another, and the source never waits for a pipeline.
 * The {@link Medium} can be replaced while pipelines stay attached.
 */
final class CapturingSource implements FrameSource {

    private static final FrameSlot[] NONE = new FrameSlot[0];

    private final String name;
    private final Logger log;
    private final Mat frame = new Mat();
    private final RateMeter rate = new RateMeter();
    private volatile Medium medium;
    private volatile FrameSlot[] slots = NONE;
    private final WorkerThread worker = new WorkerThread(TimeUnit.SECONDS.toMillis(3));
    private volatile long captured;
    private volatile long errors;
    private long droppedByDetached;
    private ServiceRegistration<FrameSource> registration;

    CapturingSource(String name, Medium medium, Logger log) {
        this.name = name;
        this.medium = medium;
        this.log = log;
    }

    /** Starts capturing and registers the service (when {@code context} is not null). */
    void start(BundleContext context) {
        startThread();
        if (context != null) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(PROPERTY_SOURCE, name);
            registration = context.registerService(FrameSource.class, this, props);
        }
    }

    /** Replaces the medium: the capture thread stops, the old medium closes, the new one starts. Pipelines stay attached. */
    void replace(Medium next) {
        worker.stop();
        Medium old = medium;
        medium = next;
        old.close();
        startThread();
    }

    /** Unregisters, stops capturing, closes the medium and wakes the pipelines. */
    void stop() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        worker.stop();
        medium.close();
        for (FrameSlot s : slots) {
            s.close();
        }
        frame.release();
    }

    private void startThread() {
        worker.start("armature-vision-source-" + name, this::run, e -> {
            if (log != null) {
                log.error("frame source '{}' stopped capturing: {}", name, e.toString());
            }
        });
    }

    private void run() {
        Medium m = medium;
        long period = Math.round(1e9 / m.format().framesPerSecond());
        boolean paced = m.format().paced();
        long next = System.nanoTime();
        while (worker.isCurrent()) {
            if (paced) {
                next += period;
                long now = System.nanoTime();
                if (next - now > 0) {
                    LockSupport.parkNanos(next - now);
                } else if (now - next > 10 * period) {
                    next = now; // far behind (a stall): start again from now rather than burst
                }
                if (!worker.isCurrent()) {
                    break;
                }
            }
            if (!m.capture(frame)) {
                if (!m.ended()) {
                    errors++; // only this thread writes it
                }
                LockSupport.parkNanos(period); // a camera that fails fast must not spin
                continue;
            }
            long stamp = System.nanoTime();
            long sequence = ++captured;
            rate.record(stamp, 0);
            for (FrameSlot s : slots) {
                frame.copyTo(s.back());
                s.publish(sequence, stamp);
            }
        }
    }

    /** Attaches a pipeline: from now on it receives the latest frame. */
    synchronized FrameSlot attach() {
        FrameSlot s = new FrameSlot();
        FrameSlot[] next = Arrays.copyOf(slots, slots.length + 1);
        next[next.length - 1] = s;
        slots = next;
        return s;
    }

    /**
     * Detaches a pipeline. Its buffers are left to the garbage collector (OpenCV's Mat frees its
     * pixels when collected): the pipeline's thread may still be reading its front buffer.
     */
    synchronized void detach(FrameSlot slot) {
        FrameSlot[] current = slots;
        FrameSlot[] next = Arrays.stream(current).filter(s -> s != slot).toArray(FrameSlot[]::new);
        if (next.length != current.length) {
            slots = next;
            droppedByDetached += slot.dropped();
        }
        slot.close();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String kind() {
        return medium.format().kind();
    }

    @Override
    public int width() {
        return medium.format().width();
    }

    @Override
    public int height() {
        return medium.format().height();
    }

    @Override
    public double framesPerSecond() {
        return medium.format().framesPerSecond();
    }

    @Override
    public double measuredFramesPerSecond() {
        return rate.rate(System.nanoTime());
    }

    @Override
    public long framesCaptured() {
        return captured;
    }

    @Override
    public synchronized long droppedFrames() {
        long sum = droppedByDetached;
        for (FrameSlot s : slots) {
            sum += s.dropped();
        }
        return sum;
    }

    @Override
    public long captureErrors() {
        return errors;
    }
}
