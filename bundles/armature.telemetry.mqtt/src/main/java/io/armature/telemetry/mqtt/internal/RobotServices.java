package io.armature.telemetry.mqtt.internal;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.kit.service.NamedServices;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;

/**
 * The robot's services that MQTT publishes, as the component's references bind and unbind them:
 * loops and their statistics by loop name, streams by stream name, every board, the supervisor.
 * The sets of names are kept ready when services come and go, so that reading them every period
 * allocates nothing. Thread-safe.
 */
final class RobotServices {

    /** Per loop name, the instance that drives: during a side-by-side update one of two stands by. */
    final NamedServices<TunableLoop> loops = NamedServices.byProperty(ControlLoop.PROPERTY_NAME, RobotServices::driving);
    /** Per loop name, the newest statistics. */
    final NamedServices<LoopStatistics> statistics = NamedServices.byProperty(ControlLoop.PROPERTY_NAME);
    final NamedServices<SampleStream<?>> streams = NamedServices.byName(SampleStream::name);
    /** Every board, in arrival order: an e-stop revokes them all, and status lists each. */
    final List<Board> boards = new CopyOnWriteArrayList<>();
    private final Supplier<SafetySupervisor> safety;
    private volatile Set<String> loopNames = Set.of();
    private volatile Collection<SampleStream<?>> chosenStreams = List.of();

    RobotServices(Supplier<SafetySupervisor> safety) {
        this.safety = safety;
    }

    private static TunableLoop driving(List<TunableLoop> sameName) {
        TunableLoop out = sameName.get(0);
        for (TunableLoop l : sameName) {
            if (!l.isStandby()) {
                out = l;
            }
        }
        return out;
    }

    /**
     * Tracks a loop, a loop's statistics or a stream as its reference binds it, then refreshes
     * what every period reads.
     *
     * @param props the service properties; null for a stream, which names itself
     */
    <T> void add(NamedServices<T> kind, T service, Map<String, ?> props) {
        if (props == null) {
            kind.add(service);
        } else {
            kind.add(service, props);
        }
        refresh();
    }

    /** Forgets a loop, a loop's statistics or a stream as its reference unbinds it. */
    <T> void remove(NamedServices<T> kind, T service) {
        kind.remove(service);
        refresh();
    }

    /** Under a lock after every change, so that the last refresh sees every change. */
    private synchronized void refresh() {
        Set<String> names = new TreeSet<>(loops.names());
        names.addAll(statistics.names());
        loopNames = Collections.unmodifiableSet(names);
        chosenStreams = List.copyOf(streams.chosen().values());
    }

    /** @return the names of the loops known now, with a loop or statistics or both, sorted */
    Set<String> loopNames() {
        return loopNames;
    }

    /** @return the loop of the name that drives, or null */
    TunableLoop loop(String name) {
        return loops.get(name);
    }

    /** @return the newest statistics of the loop, or null */
    LoopStatistics statistics(String loop) {
        return statistics.get(loop);
    }

    /** @return one stream per name (the newest), sorted by name */
    Collection<SampleStream<?>> streams() {
        return chosenStreams;
    }

    List<Board> boards() {
        return boards;
    }

    /** @return the supervisor, or null when none runs */
    SafetySupervisor safety() {
        return safety.get();
    }
}
