package io.armature.recording.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.recording.Player;
import io.armature.recording.read.RecordingFile;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.Sample;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;

/**
 * Plays the IMU and encoder streams of an MCAP recording ({@link RecordingFile}) into streams
 * registered for the replay, and unregisters them when it ends.
 */
@Component(service = Player.class)
public final class McapPlayer implements Player {

    /** Ranked above the live stream of the same name while a replay replaces it. */
    static final int REPLACING_RANK = 1000;
    private static final int CAPACITY = 4096;

    /** Registers a replayed stream; returns how to unregister it. */
    @FunctionalInterface
    interface Registry {
        Runnable register(SampleStream<?> stream, Map<String, Object> properties);
    }

    private final Registry registry;
    private final Logger log;

    @Activate
    public McapPlayer(BundleContext context, @Reference(service = LoggerFactory.class) Logger log) {
        this((stream, properties) -> {
            ServiceRegistration<?> r = context.registerService(SampleStream.class.getName(), stream, new Hashtable<>(properties));
            return () -> {
                try {
                    r.unregister();
                } catch (IllegalStateException gone) {
                    // the bundle stopped while it played
                }
            };
        }, log);
    }

    McapPlayer(Registry registry, Logger log) {
        this.registry = registry;
        this.log = log;
    }

    /** A stream being played: its own broadcast stream, and how to unregister it. */
    private record Playing(BroadcastStream<?> stream, Runnable unregister, long[] count) {
    }

    @Override
    public Replay play(Path file, boolean realTime, boolean replace) throws IOException {
        RecordingFile recording = RecordingFile.open(file);
        List<RecordingFile.Stream> sensors = recording.streams().stream()
                .filter(s -> s.sampleType() == ImuSample.class || s.sampleType() == EncoderSample.class).toList();
        List<String> notPlayed = new ArrayList<>(recording.otherTopics());
        recording.streams().stream().filter(s -> !sensors.contains(s)).forEach(s -> notPlayed.add(s.topic()));
        if (sensors.isEmpty()) {
            throw new IllegalArgumentException(file.getFileName() + " holds no IMU or encoder stream to replay; its topics: " + notPlayed);
        }
        Map<String, Playing> playing = new LinkedHashMap<>();
        long started = System.nanoTime();
        try {
            for (RecordingFile.Stream s : sensors) {
                String name = replace ? s.name() : s.name() + ".replay";
                Supplier<? extends Sample<?>> factory = s.sampleType() == ImuSample.class ? ImuSample::new : EncoderSample::new;
                @SuppressWarnings({"unchecked", "rawtypes"})
                BroadcastStream<?> stream = new BroadcastStream(name, s.rateHz(), CAPACITY, factory);
                Map<String, Object> properties = new LinkedHashMap<>();
                properties.put(SampleStream.PROPERTY_STREAM, name);
                properties.put("armature.replay", file.getFileName().toString());
                if (replace) {
                    properties.put(Constants.SERVICE_RANKING, REPLACING_RANK);
                }
                playing.put(s.name(), new Playing(stream, registry.register(stream, properties), new long[1]));
            }
            log.info("replaying {} from {}{}", playing.keySet(), file, realTime ? " in real time" : " as fast as possible");
            long[] first = {Long.MIN_VALUE};
            long start = System.nanoTime();
            recording.play((stream, sample) -> {
                Playing p = playing.get(stream.name());
                if (p == null) {
                    return;
                }
                if (first[0] == Long.MIN_VALUE) {
                    first[0] = sample.timestampNanos();
                }
                long at = start + (sample.timestampNanos() - first[0]);
                if (realTime) {
                    for (long now = System.nanoTime(); now - at < 0; now = System.nanoTime()) {
                        LockSupport.parkNanos(at - now);
                    }
                }
                publish(p.stream(), sample, at);
                p.count()[0]++;
            });
        } finally {
            playing.values().forEach(p -> {
                p.unregister().run(); // its readers go back to the live stream of the name, then the replay's ends
                p.stream().close();
            });
        }
        Map<String, Long> played = new LinkedHashMap<>();
        playing.forEach((name, p) -> played.put(p.stream().name(), p.count()[0]));
        Replay r = new Replay(file, played, notPlayed, (System.nanoTime() - started) / 1e9);
        log.info("replayed {} from {}", played, file);
        return r;
    }

    /** Copies the recorded sample into the stream, stamped on this robot's clock. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void publish(BroadcastStream stream, Sample<?> recorded, long at) {
        Sample claimed = stream.claim();
        claimed.copyFrom(recorded);
        if (claimed instanceof ImuSample i) {
            i.timestampNanos = at;
        } else if (claimed instanceof EncoderSample e) {
            e.timestampNanos = at;
        }
        stream.publish();
    }
}
