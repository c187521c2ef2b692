package io.armature.vision.internal;

import java.util.Locale;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import io.armature.kit.service.NamedServices;
import io.armature.vision.FrameSource;
import io.armature.vision.VisionPipeline;
import io.armature.vision.VisionSample;

/** {@code robot:vision} and {@code robot:follow}. */
@Component(service = VisionCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=vision",
        "osgi.command.function=follow"})
public final class VisionCommands {

    private final NamedServices<FrameSource> sources = NamedServices.byName(FrameSource::name);
    private final NamedServices<VisionPipeline> pipelines = NamedServices.byName(VisionPipeline::name);

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Follower follower;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSource(FrameSource s) {
        sources.add(s);
    }

    void removeSource(FrameSource s) {
        sources.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPipeline(VisionPipeline p) {
        pipelines.add(p);
    }

    void removePipeline(VisionPipeline p) {
        pipelines.remove(p);
    }

    /** robot:vision: sources and pipelines with frame rates, latency and dropped frames. */
    public String vision() {
        StringBuilder out = new StringBuilder("Sources:\n");
        if (sources.isEmpty()) {
            out.append("  none\n");
        }
        for (FrameSource s : sources.chosen().values()) {
            out.append(String.format(Locale.ROOT, "  %-10s %-9s %dx%d  %5.1f fps (nominal %.0f)  captured %d  dropped %d  errors %d%n",
                    s.name(), s.kind(), s.width(), s.height(), s.measuredFramesPerSecond(), s.framesPerSecond(), s.framesCaptured(),
                    s.droppedFrames(), s.captureErrors()));
        }
        out.append("Pipelines:\n");
        if (pipelines.isEmpty()) {
            out.append("  none\n");
        }
        VisionSample latest = new VisionSample();
        for (VisionPipeline p : pipelines.chosen().values()) {
            String result = p.readLatest(latest) ? latest.toString() : "no frame yet";
            out.append(String.format(Locale.ROOT, "  %-10s %-6s on %-8s %5.1f fps  latency %5.1f ms  processed %d  dropped %d  %s  latest: %s%n",
                    p.name(), p.kind(), p.source(), p.framesPerSecond(), p.latencyMillis(), p.framesProcessed(), p.droppedFrames(),
                    p.backend(), result));
        }
        Follower f = follower;
        if (f != null) {
            out.append("Follower: ").append(f.status()).append('\n');
        }
        return out.toString();
    }

    private static final String USAGE = "usage: robot:follow marker <id> | robot:follow line | robot:follow stop | robot:follow";

    /** robot:follow marker &lt;id&gt;: drive to the marker. */
    public String follow(String what, int id) {
        if (!"marker".equals(what)) {
            throw new IllegalArgumentException(USAGE);
        }
        Follower f = requireFollower();
        f.follow(id);
        return "following marker " + id;
    }

    /** robot:follow line: drive along the line; robot:follow stop: stop following and stop the wheels. */
    public String follow(String what) {
        if ("line".equals(what)) {
            requireFollower().followLine();
            return "following the line";
        }
        if (!"stop".equals(what)) {
            throw new IllegalArgumentException(USAGE);
        }
        requireFollower().stop();
        return "stopped";
    }

    /** robot:follow: what the follower does. */
    public String follow() {
        return requireFollower().status();
    }

    private Follower requireFollower() {
        Follower f = follower;
        if (f == null) {
            throw new IllegalArgumentException("no follower: configure armature.vision.follow");
        }
        return f;
    }
}
