package io.armature.shell.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.recording.Player;
import io.armature.recording.Recorder;
import io.armature.recording.RecordingStatus;
import io.armature.sensor.SampleStream;
import io.armature.kit.service.NamedServices;
import io.armature.kit.stream.BroadcastStream;
import io.armature.sensors.stream.Recording;
import io.armature.sensors.stream.SampleCodec;

/** {@code robot:streams}, {@code robot:record}, {@code robot:replay}: the sensor streams, and recordings of them. */
@Component(service = StreamCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=streams",
        "osgi.command.function=record",
        "osgi.command.function=replay"})
public final class StreamCommands {

    /** Of the streams of one name, the highest ranked: a replay under a live stream's name while it plays. */
    private final NamedServices<SampleStream<?>> streams = NamedServices.byNameRanked(SampleStream::name);

    private final BundleContext context;

    @Activate
    public StreamCommands(BundleContext context) {
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s, Map<String, Object> props) {
        streams.add(s, props);
    }

    void removeStream(SampleStream<?> s) {
        streams.remove(s);
    }

    /** robot:streams — name, nominal and measured rate, readers, lost and invalid counts. */
    public String streams() throws InterruptedException {
        if (streams.isEmpty()) {
            return "no sensor stream is running";
        }
        Map<String, SampleStream<?>> byName = streams.chosen();
        Map<SampleStream<?>, long[]> before = new ConcurrentHashMap<>();
        for (SampleStream<?> s : byName.values()) {
            before.put(s, new long[] {s.published(), System.nanoTime()});
        }
        Thread.sleep(200); // the measured rate comes from a short look
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-12s %9s %11s %8s %10s %10s %10s%n", "STREAM", "RATE Hz",
                "MEASURED Hz", "READERS", "PUBLISHED", "LOST", "INVALID"));
        for (SampleStream<?> s : byName.values()) {
            long[] b = before.get(s);
            double measured = (s.published() - b[0]) / ((System.nanoTime() - b[1]) / 1e9);
            out.append(String.format(Locale.ROOT, "%-12s %9.0f %11.0f %8d %10d %10d %10d%n", s.name(), s.rateHz(), measured, s.readers(),
                    s.published(), s.lostCount(), s.invalidCount()));
        }
        return out.toString().stripTrailing();
    }

    /** The MCAP recorder, when its bundle is there. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Recorder recorder;

    /**
     * robot:record &lt;file.mcap&gt; — every stream into an MCAP file until {@code robot:record stop};
     * robot:record stop — ends it; robot:record status — how it goes.
     */
    public String record(String what) throws IOException {
        return switch (what) {
            case "stop" -> requireRecorder().stop().map(StreamCommands::describe).orElse("no recording runs");
            case "status" -> requireRecorder().status().map(StreamCommands::describe).orElse("nothing recorded since the start");
            default -> record(what, "all");
        };
    }

    /** robot:record &lt;file.mcap&gt; all|&lt;stream,stream,...&gt; — those streams until {@code robot:record stop}. */
    public String record(String file, String which) throws IOException {
        return record(file, which, "0");
    }

    /**
     * robot:record &lt;file.mcap&gt; all|&lt;streams&gt; &lt;seconds&gt; — into MCAP, for that long (0: until stopped);
     * robot:record &lt;stream&gt; &lt;file&gt; &lt;seconds&gt; — one stream into the compact binary format of earlier versions.
     */
    public String record(String first, String second, String seconds) throws IOException {
        if (first.endsWith(".mcap")) {
            double secs = LoopCommands.parse(seconds, "seconds");
            List<String> names = second.equals("all") ? List.of() : List.of(second.split(","));
            return describe(requireRecorder().start(Path.of(first), names, secs));
        }
        String stream = first;
        String file = second;
        SampleStream<?> s = streams.get(stream);
        if (s == null) {
            throw new IllegalArgumentException("no stream '" + stream + "'; robot:streams lists them");
        }
        double secs = LoopCommands.parse(seconds, "seconds");
        if (secs <= 0 || secs > 3600) {
            throw new IllegalArgumentException("seconds must be above 0 and at most 3600, was " + seconds);
        }
        return recordTyped(s, Path.of(file), (long) (secs * 1e9));
    }

    private Recorder requireRecorder() {
        Recorder r = recorder;
        if (r == null) {
            throw new IllegalStateException("no MCAP recorder: install the bundle armature.recording");
        }
        return r;
    }

    /** One line: the file, running or ended, how long, messages and losses per stream, and an error if any. */
    static String describe(RecordingStatus s) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%s %s: %.1f s, %d bytes;", s.running() ? "recording to" : "recorded",
                s.file().toAbsolutePath(), s.seconds(), s.bytes()));
        for (String name : s.streams()) {
            out.append(' ').append(name).append(' ').append(s.messages().get(name)).append(" messages, ").append(s.lost().get(name)).append(" lost;");
        }
        out.setLength(out.length() - 1);
        if (s.error() != null) {
            out.append("; ").append(s.error());
        }
        return out.toString();
    }

    /** One line: what was played into which stream, and what was not. */
    static String describe(Player.Replay r, boolean realTime) {
        StringBuilder out = new StringBuilder("replayed ").append(r.file().toAbsolutePath()).append(realTime ? " in real time" : " as fast as possible")
                .append(String.format(Locale.ROOT, " (%.1f s):", r.seconds()));
        r.played().forEach((stream, n) -> out.append(' ').append(n).append(" samples into ").append(stream).append(','));
        out.setLength(out.length() - 1);
        if (!r.notPlayed().isEmpty()) {
            out.append("; not played: ").append(String.join(", ", r.notPlayed()));
        }
        return out.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private String recordTyped(SampleStream s, Path file, long nanos) throws IOException {
        SampleCodec codec = codecFor(s.sampleType());
        try (SampleReader reader = s.openQueue(256)) {
            long n = Recording.record(reader, codec, s.name(), s.rateHz(), file, nanos);
            return String.format(Locale.ROOT, "recorded %d samples of %s in %.1f s to %s, lost %d", n, s.name(), nanos / 1e9,
                    file.toAbsolutePath(), reader.lost());
        }
    }

    /** The MCAP player, when its bundle is there. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Player player;

    /**
     * robot:replay &lt;file&gt; — replays a recording, in real time, into the stream {@code <name>.replay}:
     * an MCAP recording's IMU and encoder streams, or one stream of the compact format of earlier versions.
     */
    public String replay(String file) throws IOException {
        return replay(file, "realtime");
    }

    /** robot:replay &lt;file&gt; realtime|fast — as fast as possible with "fast". */
    public String replay(String file, String speed) throws IOException {
        return replay(file, speed, "beside");
    }

    /**
     * robot:replay &lt;file&gt; realtime|fast beside|replace — with "replace" the recording is
     * registered under its original stream name, ranked above the live stream, so that the live
     * stream's consumers (a wheel loop's encoder stream, the supervisor's watch) read it while it
     * plays and the live stream again when it ends.
     */
    public String replay(String file, String speed, String where) throws IOException {
        boolean realTime = switch (speed) {
            case "realtime" -> true;
            case "fast" -> false;
            default -> throw new IllegalArgumentException("speed must be realtime or fast, was '" + speed + "'");
        };
        boolean replace = switch (where) {
            case "beside" -> false;
            case "replace" -> true;
            default -> throw new IllegalArgumentException("where must be beside (a stream <name>.replay) or replace (the live stream's "
                    + "consumers read the recording), was '" + where + "'");
        };
        Path path = Path.of(file);
        if (file.endsWith(".mcap")) {
            Player p = player;
            if (p == null) {
                throw new IllegalStateException("no MCAP player: install the bundle armature.recording");
            }
            return describe(p.play(path, realTime, replace), realTime);
        }
        Recording.Header h = Recording.header(path);
        return replayTyped(path, h, codecFor(h.type()), realTime, replace);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private String replayTyped(Path path, Recording.Header h,
            SampleCodec codec, boolean realTime, boolean replace) throws IOException {
        String name = replace ? h.stream() : h.stream() + ".replay";
        BroadcastStream stream = new BroadcastStream(name, h.rateHz(), 4096, codec.factory());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(SampleStream.PROPERTY_STREAM, name);
        props.put("armature.replay", path.getFileName().toString());
        if (replace) {
            props.put(Constants.SERVICE_RANKING, 1000); // above the live stream of the name
        }
        ServiceRegistration<?> reg = context.registerService(SampleStream.class.getName(), stream, props);
        try {
            long n = Recording.replay(path, codec, stream::publish, realTime);
            return "replayed " + n + " samples of " + h.stream() + " into stream " + name + (replace ? ", in place of the live one," : "")
                    + (realTime ? " in real time" : " as fast as possible");
        } finally {
            stream.close();
            reg.unregister();
        }
    }

    private static SampleCodec<?> codecFor(Class<?> type) {
        if (type == ImuSample.class) {
            return SampleCodec.IMU;
        }
        if (type == EncoderSample.class) {
            return SampleCodec.ENCODER;
        }
        throw new IllegalArgumentException("no recording format for samples of type " + type.getSimpleName());
    }

    private static SampleCodec<?> codecFor(String type) {
        return switch (type) {
            case "imu" -> SampleCodec.IMU;
            case "encoder" -> SampleCodec.ENCODER;
            default -> throw new IllegalArgumentException("no recording format for sample type '" + type + "'");
        };
    }
}
