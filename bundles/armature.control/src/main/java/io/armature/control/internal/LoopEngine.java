package io.armature.control.internal;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.control.ControlLoop;
import io.armature.control.LoopSample;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;
import io.armature.kit.realtime.CpuLatencyRequest;
import io.armature.kit.realtime.CpuPlacement;
import io.armature.kit.realtime.IdlePoller;
import io.armature.kit.realtime.RealTimePriority;
import io.armature.kit.stream.BroadcastStream;

/**
 * The loop engine: runs every {@link ControlLoop} service at its rate, all of them on one
 * real-time thread in name order (a loop whose period does not fit that thread's schedule on a
 * thread of its own), and registers each one's {@link LoopStatistics}. A loop that appears
 * starts at once; one that goes away is stopped with its outputs safe.
 */
@Component(service = LoopEngine.class, immediate = true, configurationPid = LoopEngine.PID)
@Designate(ocd = LoopEngine.Config.class)
public final class LoopEngine {

    public static final String PID = "armature.control.engine";
    /** The shared executor's thread; the kernel keeps 15 characters of a name. */
    static final String SHARED_THREAD = "armature-loops";
    /** Cycles a reader of a loop's cycle stream can fall behind by: a quarter of a second at 1 kHz. */
    static final int CYCLE_STREAM_CAPACITY = 256;

    @ObjectClassDefinition(name = "Armature loop engine", description = "How control loops are scheduled.")
    public @interface Config {
        @AttributeDefinition(name = "Spin (µs)", description = "Time before each deadline that the loop thread spins instead of parking, 0..1000 µs, and at most half a loop's "
                + "period (a loop it would not fit is refused).")
        int spinMicros() default 100;

        @AttributeDefinition(name = "Real-time priority", description = "SCHED_FIFO priority of loop threads, 1..99; 0 for none.")
        int realTimePriority() default 80;

        @AttributeDefinition(name = "Real-time CPU", description = "CPU the loop threads are pinned to, with every other thread of the JVM kept off it "
                + "(where the machine has another CPU); -1 leaves placement to the kernel.")
        int cpu() default -1;

        @AttributeDefinition(name = "CPU wake-up latency (µs)", description = "PM QoS request held while loops run (/dev/cpu_dma_latency, as cyclictest "
                + "holds): no CPU enters an idle state slower to leave than this; -1 holds none.")
        int cpuWakeLatencyMicros() default 0;

        @AttributeDefinition(name = "Idle poller", description = "A SCHED_IDLE thread spinning on the real-time CPU so that it never halts: for "
                + "machines without a cpuidle driver (virtual machines), where a halted CPU takes milliseconds to wake; costs that CPU's idle time. "
                + "Needs a real-time CPU.")
        boolean idlePoller() default false;

        @AttributeDefinition(name = "Attribute lateness", description = "Tell why deadlines were late (a JVM safepoint, a GC pause, outside "
                + "the JVM), from the JVM's pauses as the flight recorder of bundle armature.jvm reports them (one recording per JVM).")
        boolean attributeLateness() default true;

        @AttributeDefinition(name = "Restarts", description = "Times a loop whose cycle threw is restarted before it is left FAILED, 0..100.")
        int maxRestarts() default 3;

        @AttributeDefinition(name = "First restart delay (ms)", description = "Delay before the first restart; it doubles with each one, 1..60000 ms.")
        int restartDelayMillis() default 500;
    }

    private final Map<ControlLoop, Running> loops = new ConcurrentHashMap<>();
    private final BundleContext context;
    private final Logger log;
    private final Config config;
    private final RealTimeSettings settings;
    private final String cpuPlacement;
    private final IdlePoller poller;
    /** Why loops woke late: one recorder stream for all of them. */
    private final LatenessAttribution attribution;
    /** The CPUs the JVM's threads may use apart from the placement: those it was started with. */
    private BitSet processCpus = CpuPlacement.online(Path.of("/"));
    /** Held while at least one loop runs. */
    private CpuLatencyRequest wakeLatency;
    /** The thread every loop that fits runs on, from the first loop to the last; null while none runs. */
    private RealTimeExecutor shared;

    private record Running(LoopRunner runner, ServiceRegistration<LoopStatistics> registration, Map<String, Object> properties,
            int restarts, BroadcastStream<LoopSample> cycles, ServiceRegistration<?> cyclesRegistration) {
    }

    private final java.util.concurrent.ScheduledExecutorService restarter = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "armature-loop-restarter");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public LoopEngine(BundleContext context, Config config, @Reference(service = LoggerFactory.class) Logger log) {
        if (config.spinMicros() < 0 || config.spinMicros() > 1000) {
            throw new IllegalArgumentException("spinMicros must be 0..1000, was " + config.spinMicros());
        }
        if (config.realTimePriority() < 0 || config.realTimePriority() > 99) {
            throw new IllegalArgumentException("realTimePriority must be 0..99, was " + config.realTimePriority());
        }
        if (config.cpu() < -1 || config.cpu() > 4095) {
            throw new IllegalArgumentException("cpu must be -1 (none) or a CPU number, was " + config.cpu());
        }
        if (config.cpuWakeLatencyMicros() < -1 || config.cpuWakeLatencyMicros() > 2_000_000) {
            throw new IllegalArgumentException("cpuWakeLatencyMicros must be -1 (none) or 0..2000000, was " + config.cpuWakeLatencyMicros());
        }
        if (config.idlePoller() && config.cpu() < 0) {
            throw new IllegalArgumentException("idlePoller=true polls the real-time CPU; set cpu to the CPU the loops run on");
        }
        if (config.maxRestarts() < 0 || config.maxRestarts() > 100) {
            throw new IllegalArgumentException("maxRestarts must be 0..100, was " + config.maxRestarts());
        }
        if (config.restartDelayMillis() < 1 || config.restartDelayMillis() > 60_000) {
            throw new IllegalArgumentException("restartDelayMillis must be 1..60000, was " + config.restartDelayMillis());
        }
        this.context = context;
        this.config = config;
        this.log = log;
        this.settings = new RealTimeSettings(config.spinMicros() * 1000L, config.realTimePriority(), config.cpu());
        this.cpuPlacement = place(config.cpu());
        this.poller = config.idlePoller() ? IdlePoller.start(config.cpu()) : null;
        this.attribution = config.attributeLateness() ? LatenessAttribution.start() : LatenessAttribution.off();
        if (poller != null) {
            waitFor(() -> !"starting".equals(poller.state()));
            log.info("idle poller: {}", poller.state());
        }
    }

    /** Keeps the JVM's threads off the real-time CPU, once, before any loop thread pins itself there. */
    private String place(int cpu) {
        if (cpu < 0) {
            return "the kernel places the loop threads (no real-time CPU configured)";
        }
        BitSet online = CpuPlacement.online(Path.of("/"));
        if (!online.get(cpu)) {
            // a configured CPU that does not exist is refused, as any bad value is: no loop runs where it was not meant to
            throw new IllegalArgumentException("cpu " + cpu + " is not online here (online: " + CpuPlacement.format(online) + ")");
        }
        // the CPUs this JVM was started on (taskset, a cgroup): the other threads stay among them, and get them back at the end
        BitSet allowed = CpuPlacement.currentThreadAffinity();
        if (!allowed.isEmpty()) {
            processCpus = allowed;
        }
        RealTimePriority.Result r = CpuPlacement.keepProcessOff(cpu, processCpus);
        String placement = "loop threads on CPU " + cpu + "; " + (r.applied() ? r.message() : "the other threads stay where they are: " + r.message());
        if (r.applied()) {
            log.info("{}", placement);
        } else {
            log.warn("{}", placement);
        }
        return placement;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(ControlLoop loop, ServiceReference<ControlLoop> reference, Map<String, Object> properties) {
        Bundle provider = reference.getBundle();
        if (provider != null && provider != context.getBundle()
                && context.getBundle().getSymbolicName().equals(provider.getSymbolicName())) {
            return; // another version of this bundle, beside us during an update: its own engine runs its loops
        }
        startLoop(loop, properties);
    }

    private synchronized void startLoop(ControlLoop loop, Map<String, Object> properties) {
        startLoop(loop, properties, 0);
    }

    private synchronized void startLoop(ControlLoop loop, Map<String, Object> properties, int restarts) {
        if (loops.containsKey(loop)) {
            return; // one thread per loop, always
        }
        String name = String.valueOf(properties.getOrDefault(ControlLoop.PROPERTY_NAME, "unnamed"));
        double rate = rate(properties);
        LoopRunner runner;
        // a tunable loop's cycles are a stream of their own, loop.<name>: what a recording records
        BroadcastStream<LoopSample> cycles = loop instanceof TunableLoop ? new BroadcastStream<>(LoopSample.STREAM_PREFIX + name, rate,
                CYCLE_STREAM_CAPACITY, LoopSample::new) : null;
        try {
            runner = new LoopRunner(name, loop, rate, settings, this::failed, cycles);
        } catch (IllegalArgumentException e) {
            log.error("{}; the loop does not run", e.getMessage());
            return;
        }
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ControlLoop.PROPERTY_NAME, name);
        props.put(ControlLoop.PROPERTY_RATE, rate);
        runner.countRestart(restarts);
        holdWakeLatency();
        attribution.watch(runner);
        startOnExecutor(runner);
        ServiceRegistration<?> cyclesRegistration = null;
        if (cycles != null) {
            Dictionary<String, Object> streamProps = new Hashtable<>();
            streamProps.put(SampleStream.PROPERTY_STREAM, cycles.name());
            cyclesRegistration = context.registerService(SampleStream.class, cycles, streamProps);
        }
        loops.put(loop, new Running(runner, context.registerService(LoopStatistics.class, runner, props), Map.copyOf(properties), restarts,
                cycles, cyclesRegistration));
        waitForPriority(runner);
        if (runner.realTime()) {
            log.info("loop '{}' runs at {} Hz, {}", name, rate, runner.realTimeMessage());
        } else {
            log.warn("loop '{}' runs at {} Hz without real-time priority: {}", name, rate, runner.realTimeMessage());
        }
    }

    /**
     * On the shared thread when the loop's period fits its schedule, otherwise on a thread of its
     * own. (A thread per loop was measured against the shared one: the same tails, and a spin per
     * thread; see the README.)
     */
    private void startOnExecutor(LoopRunner runner) {
        if (shared == null) {
            shared = new RealTimeExecutor(SHARED_THREAD, runner.periodNanos(), settings, false);
        }
        String refused = shared.refusal(runner);
        if (refused != null) {
            log.warn("loop '{}' runs on a thread of its own: {}", runner.name(), refused);
            runner.start();
            return;
        }
        runner.start(shared);
    }

    /** Ends the shared thread once its last loop has left; the next loop starts a new one at its own period. */
    private void closeSharedIfEmpty() {
        if (shared != null && shared.isEmpty()) {
            shared.close();
            shared = null;
        }
    }

    synchronized void updatedLoop(ControlLoop loop, Map<String, Object> properties) {
        Running r = loops.get(loop);
        double rate = rate(properties);
        if (r == null || Math.abs(r.runner.rateHz() - rate) <= 1e-9) {
            return;
        }
        String refused = LoopRunner.refusal(r.runner.name(), rate, spinNanos());
        if (refused != null) {
            // The loop refuses such a configuration too; keep the schedule that works.
            log.error("{}; it keeps running at {} Hz", refused, r.runner.rateHz());
            return;
        }
        removeLoop(loop); // a new rate needs a new schedule
        startLoop(loop, properties);
    }

    synchronized void removeLoop(ControlLoop loop) {
        Running r = loops.remove(loop);
        if (r != null) {
            try {
                r.registration.unregister();
                if (r.cyclesRegistration != null) {
                    r.cyclesRegistration.unregister();
                }
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
            r.runner.stop();
            closeSharedIfEmpty();
            attribution.unwatch(r.runner);
            if (r.cycles != null) {
                r.cycles.close(); // its readers see the source gone
            }
        }
        if (loops.isEmpty()) {
            releaseWakeLatency();
        }
    }

    private void holdWakeLatency() {
        if (wakeLatency != null || config.cpuWakeLatencyMicros() < 0) {
            return;
        }
        wakeLatency = CpuLatencyRequest.hold(config.cpuWakeLatencyMicros());
        if (wakeLatency.held()) {
            log.info("{}", wakeLatency.message());
        } else {
            log.warn("{}", wakeLatency.message());
        }
    }

    private synchronized void releaseWakeLatency() {
        if (wakeLatency != null) {
            wakeLatency.close();
            wakeLatency = null;
        }
    }

    /** @return one line each: the PM QoS request, the placement of the loop threads, the idle poller */
    synchronized java.util.List<String> realTimeState() {
        String latency = config.cpuWakeLatencyMicros() < 0 ? "not requested (cpuWakeLatencyMicros=-1)"
                : wakeLatency == null ? "requested while loops run; no loop runs" : wakeLatency.message();
        return java.util.List.of(latency, cpuPlacement, poller == null ? "off" : poller.state());
    }

    @Deactivate
    void deactivate() {
        restarter.shutdownNow();
        for (ControlLoop loop : loops.keySet()) {
            removeLoop(loop);
        }
        synchronized (this) {
            closeSharedIfEmpty();
        }
        releaseWakeLatency();
        attribution.close();
        if (poller != null) {
            poller.close();
        }
        if (config.cpu() >= 0) {
            // the next engine may place nothing: the JVM's threads get every CPU back
            CpuPlacement.spreadProcess(processCpus);
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor supervisor;

    /** The JVM's pauses, which late deadlines are matched against; the recorder is the JVM's one, not this engine's. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindPauses(io.armature.control.JvmPauses pauses) {
        attribution.use(pauses);
    }

    void unbindPauses(io.armature.control.JvmPauses pauses) {
        attribution.release(pauses);
    }

    /**
     * A cycle threw: the runner has already driven the loop's outputs safe and stopped. Tell the
     * supervisor (every motor stops, latched), then restart this loop with a doubling delay, up
     * to the limit; past it the loop stays stopped and shows FAILED with the reason. Other loops
     * keep running throughout.
     */
    private void failed(LoopRunner runner, Throwable error) {
        SafetySupervisor s = supervisor;
        if (s != null) {
            s.fault("loop:" + runner.name(), "loop '" + runner.name() + "' thread threw " + error);
        }
        ControlLoop loop = null;
        Running failed = null;
        for (Map.Entry<ControlLoop, Running> e : loops.entrySet()) {
            if (e.getValue().runner == runner) {
                loop = e.getKey();
                failed = e.getValue();
            }
        }
        if (loop == null) {
            return;
        }
        int done = failed.restarts;
        if (done >= config.maxRestarts()) {
            String reason = "cycle threw " + error + "; restarted " + done + " times, left stopped";
            runner.markFailed(reason);
            log.error("loop '{}' FAILED: {}", runner.name(), reason);
            return; // its statistics stay registered, so robot:loops shows the failure
        }
        long delay = (long) config.restartDelayMillis() << Math.min(done, 20);
        log.error("loop '{}' stopped with its outputs safe: a cycle threw {}; restart {} of {} in {} ms", runner.name(), error.toString(),
                done + 1, config.maxRestarts(), delay);
        ControlLoop toRestart = loop;
        Running previous = failed;
        try {
            restarter.schedule(() -> restart(toRestart, previous), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException engineStopping) {
            // the engine is going away
        }
    }

    private synchronized void restart(ControlLoop loop, Running previous) {
        if (loops.get(loop) != previous) {
            return; // the loop went away or was restarted for another reason meanwhile
        }
        loops.remove(loop);
        previous.runner.stop(); // already out of the schedule; its own thread, if it had one, ends
        closeSharedIfEmpty();
        attribution.unwatch(previous.runner);
        try {
            previous.registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the loop's bundle is stopping
        }
        startLoop(loop, previous.properties, previous.restarts + 1);
    }

    private static void waitForPriority(LoopRunner runner) {
        waitFor(() -> !"not started".equals(runner.realTimeMessage()));
    }

    /** Waits up to a second for a thread just started to say how its set-up went. */
    private static void waitFor(java.util.function.BooleanSupplier done) {
        for (int i = 0; i < 200 && !done.getAsBoolean(); i++) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static double rate(Map<String, Object> properties) {
        Object r = properties.get(ControlLoop.PROPERTY_RATE);
        if (r instanceof Number n) {
            return n.doubleValue();
        }
        if (r instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return 1000.0;
    }

    long spinNanos() {
        return settings.spinNanos();
    }

    RealTimeSettings settings() {
        return settings;
    }

}
