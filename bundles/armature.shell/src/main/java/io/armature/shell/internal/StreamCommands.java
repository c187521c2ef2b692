package io.armature.shell.internal;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import io.armature.sensor.SampleStream;

/** {@code robot:streams}: one line per sensor stream. */
@Component(service = StreamCommands.class, immediate = true, property = {
        "osgi.command.scope=robot",
        "osgi.command.function=streams"})
public final class StreamCommands {

    private final Map<SampleStream<?>, Long> streams = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s) {
        streams.put(s, System.nanoTime());
    }

    void removeStream(SampleStream<?> s) {
        streams.remove(s);
    }

    /** robot:streams — name, nominal and measured rate, readers, lost and invalid counts. */
    public String streams() throws InterruptedException {
        if (streams.isEmpty()) {
            return "no sensor stream is running";
        }
        Map<String, SampleStream<?>> byName = new TreeMap<>();
        Map<SampleStream<?>, long[]> before = new ConcurrentHashMap<>();
        for (SampleStream<?> s : streams.keySet()) {
            byName.put(s.name(), s);
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
}
