package io.armature.web.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.deploy.FeatureDeployer;
import io.armature.recording.Recorder;
import io.armature.hal.Board;
import io.armature.kit.service.NamedServices;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;

/**
 * What the web interfaces read and drive, as {@link RestApi}'s references bind them: loops,
 * their statistics, streams and boards by name, and the supervisor, the motion-command path and
 * the deployer when installed. During a side-by-side update two instances of a loop share a
 * name: requests go to the one that drives, statistics come from the newer engine (as the
 * robot:* commands do).
 */
final class RobotServices {

    final NamedServices<TunableLoop> loops = NamedServices.byProperty(ControlLoop.PROPERTY_NAME, RobotServices::driving);
    final NamedServices<LoopStatistics> statistics = NamedServices.byProperty(ControlLoop.PROPERTY_NAME);
    /** of the streams of one name, the highest ranked: a replay under a live stream's name while it plays */
    final NamedServices<SampleStream<?>> streams = NamedServices.byNameRanked(SampleStream::name);
    final NamedServices<Board> boards = NamedServices.byName(b -> b.info().id());

    private final AtomicReference<SafetySupervisor> safety = new AtomicReference<>();
    private final AtomicReference<MotionCommands> commands = new AtomicReference<>();
    private final AtomicReference<FeatureDeployer> deployer = new AtomicReference<>();

    /** Of the instances of one loop, the one that drives; the first when all stand by. */
    private static TunableLoop driving(List<TunableLoop> all) {
        for (TunableLoop l : all) {
            if (!l.isStandby()) {
                return l;
            }
        }
        return all.get(0);
    }

    void setSafety(SafetySupervisor s) {
        safety.set(s);
    }

    void unsetSafety(SafetySupervisor s) {
        safety.compareAndSet(s, null);
    }

    void setCommands(MotionCommands c) {
        commands.set(c);
    }

    void unsetCommands(MotionCommands c) {
        commands.compareAndSet(c, null);
    }

    void setDeployer(FeatureDeployer d) {
        deployer.set(d);
    }

    void unsetDeployer(FeatureDeployer d) {
        deployer.compareAndSet(d, null);
    }

    /** @return the supervisor, or null when none is installed */
    SafetySupervisor safety() {
        return safety.get();
    }

    /** @return the motion-command path, or null when none is running */
    MotionCommands commands() {
        return commands.get();
    }

    /** @return the motion-command path, through which every command of the web goes */
    MotionCommands requireCommands() {
        MotionCommands c = commands.get();
        if (c == null) {
            throw new IllegalStateException("no motion-command service is running (bundle armature.motion): nothing moves");
        }
        return c;
    }

    /** The MCAP recorder, when its bundle is there. */
    final AtomicReference<Recorder> recorder = new AtomicReference<>();

    /** @return the recorder */
    Recorder requireRecorder() throws ApiException {
        Recorder r = recorder.get();
        if (r == null) {
            throw new ApiException(404, "no recorder is installed (bundle armature.recording)");
        }
        return r;
    }

    /** @return the deployer */
    FeatureDeployer requireDeployer() throws ApiException {
        FeatureDeployer d = deployer.get();
        if (d == null) {
            throw new ApiException(404, "no feature deployer is installed (bundle armature.deploy)");
        }
        return d;
    }

    /** @return every board, also a second instance of one id: an e-stop reaches them all */
    Collection<Board> boards() {
        return boards.instances();
    }

    /** @return the streams by name, sorted */
    Map<String, SampleStream<?>> streams() {
        return streams.chosen();
    }

    /** @return the instance of that loop that drives, or null when there is none */
    TunableLoop tunableLoop(String name) {
        return loops.get(name);
    }

    /** @return the statistics of the newest engine that runs that loop, or null */
    LoopStatistics loopStatistics(String name) {
        return statistics.get(name);
    }

    /** @return the names of the loops that run or have statistics, sorted */
    Set<String> loopNames() {
        Set<String> names = new TreeSet<>(loops.names());
        names.addAll(statistics.names());
        return names;
    }
}
