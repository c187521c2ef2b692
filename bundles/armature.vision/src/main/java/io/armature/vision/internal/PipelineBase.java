package io.armature.vision.internal;

import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.opencv.core.Mat;
import org.opencv.osgi.OpenCVInterface;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.vision.FrameSource;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionPipeline;
import io.armature.vision.VisionSample;

/**
 * What every pipeline shares: it attaches to the source of its configured name (which may come
 * and go), runs on its own named thread, takes the latest frame, processes it into a preallocated
 * {@link VisionSample}, publishes it for {@link #readLatest(VisionSample)} under a sequence lock and
 * hands results to the listeners of its name. No allocation per frame here.
 */
abstract class PipelineBase implements VisionPipeline {

    private static final VisionListener[] NO_LISTENERS = new VisionListener[0];

    protected Logger log;
    private volatile String name = "";
    private volatile String sourceName = "";
    private final Map<VisionListener, String> allListeners = new HashMap<>();
    private volatile VisionListener[] listeners = NO_LISTENERS;
    private final Map<CapturingSource, String> sources = new HashMap<>();
    private CapturingSource attachedSource;
    private volatile FrameSlot slot;
    private volatile Thread thread;
    private long droppedBefore;

    private final VisionSample work = new VisionSample();
    private final VisionSample latest = new VisionSample();
    private volatile long latestVersion;
    private final RateMeter rate = new RateMeter();
    private volatile long processed;
    private volatile long errors;
    private volatile String lastError = "";
    private ServiceRegistration<VisionPipeline> registration;

    @Reference
    void setOpenCv(OpenCVInterface loaded) {
        // a reference only: the component starts once OpenCV's native library is loaded
    }

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSource(FrameSource source, Map<String, Object> props) {
        if (source instanceof CapturingSource s) {
            synchronized (this) {
                sources.put(s, String.valueOf(props.get(FrameSource.PROPERTY_SOURCE)));
                chooseSource();
            }
        }
    }

    void removeSource(FrameSource source) {
        synchronized (this) {
            sources.remove(source);
            chooseSource();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(VisionListener listener, Map<String, Object> props) {
        synchronized (this) {
            allListeners.put(listener, String.valueOf(props.get(VisionListener.PROPERTY_PIPELINE)));
            chooseListeners();
        }
    }

    void removeListener(VisionListener listener) {
        synchronized (this) {
            allListeners.remove(listener);
            chooseListeners();
        }
    }

    private void chooseListeners() {
        listeners = allListeners.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey)
                .toArray(VisionListener[]::new);
    }

    private void chooseSource() {
        CapturingSource wanted = null;
        for (Map.Entry<CapturingSource, String> e : sources.entrySet()) {
            if (e.getValue().equals(sourceName)) {
                wanted = e.getKey();
            }
        }
        if (wanted == attachedSource) {
            return;
        }
        if (attachedSource != null) {
            FrameSlot old = slot;
            slot = null;
            droppedBefore += old.dropped();
            attachedSource.detach(old);
        }
        attachedSource = wanted;
        if (wanted != null) {
            slot = wanted.attach();
        }
    }

    /**
     * Processes one frame: fills {@code result} with the pipeline's main result and hands every
     * result it has to {@link #emit(VisionSample)}. Runs on the pipeline thread; must not allocate
     * in steady state.
     */
    protected abstract void process(Mat frame, long sequence, long frameTimestampNanos, VisionSample result);

    /** Releases what the subclass allocated; called after the thread ended. */
    protected abstract void releaseResources();

    /** Hands a result to this pipeline's listeners. */
    protected final void emit(VisionSample result) {
        for (VisionListener l : listeners) {
            try {
                l.onResult(result);
            } catch (RuntimeException e) {
                errors++;
                lastError = "listener " + l.getClass().getName() + ": " + e;
            }
        }
    }

    /**
     * Applies a checked new configuration: stops, lets {@code swap} install the new settings,
     * starts again. The caller builds (and so checks) the new settings before calling this.
     */
    protected final void restart(String pipelineName, String source, BundleContext context, Runnable swap) {
        stop();
        swap.run();
        start(pipelineName, source, context);
    }

    /** Sets the name and source, attaches, starts the thread and registers the service (when {@code context} is not null). */
    protected final void start(String pipelineName, String source, BundleContext context) {
        Names.require("name", pipelineName);
        Names.require("source", source);
        synchronized (this) {
            name = pipelineName;
            sourceName = source;
            chooseListeners();
            chooseSource();
        }
        Thread t = new Thread(this::run, "armature-vision-" + pipelineName);
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> {
            lastError = e.toString();
            if (log != null) {
                log.error("vision pipeline '{}' stopped: {}", pipelineName, e.toString());
            }
        });
        thread = t;
        t.start();
        if (context != null) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(PROPERTY_PIPELINE, pipelineName);
            props.put(PROPERTY_KIND, kind());
            props.put(FrameSource.PROPERTY_SOURCE, source);
            registration = context.registerService(VisionPipeline.class, this, props);
        }
    }

    @Deactivate
    protected final void stop() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
        Thread t = thread;
        thread = null;
        FrameSlot s = slot;
        if (s != null) {
            s.close();
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            sourceName = "";
            chooseSource();
        }
        releaseResources();
    }

    private void run() {
        while (thread == Thread.currentThread()) {
            FrameSlot s = slot;
            if (s == null) {
                LockSupport.parkNanos(20_000_000L); // no source of that name yet
                continue;
            }
            if (!s.await(100_000_000L)) {
                continue;
            }
            long stamp = s.frontTimestampNanos();
            try {
                process(s.front(), s.frontSequence(), stamp, work);
            } catch (RuntimeException e) { // OpenCV's CvException on a frame it cannot process
                errors++;
                lastError = e.toString();
                continue;
            }
            long done = System.nanoTime();
            processed++;
            rate.record(done, (done - stamp) / 1e6);
            publish(work);
        }
    }

    private void publish(VisionSample result) {
        latestVersion++; // odd: being written
        VarHandle.storeStoreFence();
        latest.copyFrom(result);
        VarHandle.storeStoreFence();
        latestVersion++;
    }

    @Override
    public boolean readLatest(VisionSample target) {
        while (true) {
            long before = latestVersion;
            if (before == 0) {
                return false;
            }
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            target.copyFrom(latest);
            VarHandle.loadLoadFence();
            if (latestVersion == before) {
                return true;
            }
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String source() {
        return sourceName;
    }

    @Override
    public long framesProcessed() {
        return processed;
    }

    @Override
    public synchronized long droppedFrames() {
        FrameSlot s = slot;
        return droppedBefore + (s == null ? 0 : s.dropped());
    }

    @Override
    public double framesPerSecond() {
        return rate.rate(System.nanoTime());
    }

    @Override
    public double latencyMillis() {
        return rate.mean();
    }

    @Override
    public String backend() {
        return "OPENCV/CPU";
    }

    /** @return frames the pipeline could not process, and listener failures */
    long errors() {
        return errors;
    }

    /** @return the last processing error, empty when none */
    String lastError() {
        return lastError;
    }

    /** @return true while a source of the configured name is attached */
    boolean attached() {
        return slot != null;
    }
}
