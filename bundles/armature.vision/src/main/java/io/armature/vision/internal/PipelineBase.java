package io.armature.vision.internal;

import java.lang.invoke.VarHandle;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

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

import io.armature.kit.service.NamedServices;
import io.armature.vision.FrameSource;
import io.armature.vision.VisionListener;
import io.armature.vision.VisionPipeline;
import io.armature.vision.VisionSample;

/**
 * What every pipeline shares: it attaches to the source of its configured name (which may come
 * and go), runs on its own named thread, takes the latest frame, processes it into a preallocated
 * {@link VisionSample}, publishes it for {@link #readLatest(VisionSample)} under a sequence lock and
 * hands results to the listeners of its name. No allocation per frame here.
 *
 * @param <R> what the pipeline builds from one configuration: its checked settings and buffers
 */
abstract class PipelineBase<R extends PipelineBase.Resources> implements VisionPipeline {

    /** A pipeline's settings and buffers from one configuration, built (and so checked) before they are used. */
    interface Resources {
        /** Frees the buffers; called once the pipeline's thread has ended. */
        void release();
    }

    private static final VisionListener[] NO_LISTENERS = new VisionListener[0];

    protected Logger log;
    private volatile String name = "";
    private volatile String sourceName = "";
    private final NamedServices<VisionListener> allListeners = NamedServices.byProperty(VisionListener.PROPERTY_PIPELINE);
    private volatile VisionListener[] listeners = NO_LISTENERS;
    private final NamedServices<CapturingSource> sources = NamedServices.byProperty(FrameSource.PROPERTY_SOURCE);
    private CapturingSource attachedSource;
    private volatile FrameSlot slot;
    private final WorkerThread worker = new WorkerThread(TimeUnit.SECONDS.toMillis(3));
    private volatile R resources;
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
                sources.add(s, props);
                chooseSource();
            }
        }
    }

    void removeSource(FrameSource source) {
        if (source instanceof CapturingSource s) {
            synchronized (this) {
                sources.remove(s);
                chooseSource();
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(VisionListener listener, Map<String, Object> props) {
        synchronized (this) {
            allListeners.add(listener, props);
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
        listeners = allListeners.all(name).toArray(NO_LISTENERS);
    }

    private void chooseSource() {
        CapturingSource wanted = sources.get(sourceName);
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

    /** @return the resources of the configuration in use (null before the first) */
    protected final R resources() {
        return resources;
    }

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
     * Starts on a configuration: checks the names, builds the resources, then starts.
     *
     * @param build builds the resources from the configuration, given the checked pipeline name
     */
    protected final void start(String pipelineName, String source, Function<String, R> build, BundleContext context) {
        resources = build.apply(checkNames(pipelineName, source));
        start(pipelineName, source, context);
    }

    /**
     * Applies a new configuration: checks the names and builds the new resources while the old
     * ones run, so a bad configuration changes nothing; then stops, swaps and starts again.
     */
    protected final void restart(String pipelineName, String source, Function<String, R> build, BundleContext context) {
        R next = build.apply(checkNames(pipelineName, source));
        stop();
        resources = next;
        start(pipelineName, source, context);
    }

    /** @return the checked (trimmed) pipeline name */
    private static String checkNames(String pipelineName, String source) {
        String checked = Names.require("name", pipelineName);
        Names.require("source", source);
        return checked;
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
        worker.start("armature-vision-" + pipelineName, this::run, e -> {
            lastError = e.toString();
            if (log != null) {
                log.error("vision pipeline '{}' stopped: {}", pipelineName, e.toString());
            }
        });
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
        worker.stop(() -> {
            FrameSlot s = slot;
            if (s != null) {
                s.close(); // wakes the thread waiting for a frame
            }
        });
        synchronized (this) {
            sourceName = "";
            chooseSource();
        }
        R r = resources;
        if (r != null) {
            r.release();
        }
    }

    private void run() {
        while (worker.isCurrent()) {
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
