package io.armature.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.control.LoopSample;
import io.armature.control.PidGains;
import io.armature.mcap.McapRecord;
import io.armature.mcap.McapWriter;

/**
 * A recording of the running sim-rover's left wheel, made with {@code robot:record} (again whenever
 * the loop's behaviour changes on purpose, as when the engine began to bound a stall's step): 3 s from
 * rest, the operator commanding 20 rad/s, retuning the gains live ({@code robot:pid left 0.05
 * 0.12 0}), then -10 rad/s and 0. With the robot's configuration of the time beside it
 * ({@code sim-rover-wheel-left.cfg}), replaying it is a regression test of the wheel loop and its
 * PID: every output the robot computed, computed again.
 */
class LoopReplayTest {

    private static final Path RECORDING = Path.of("src/test/resources/sim-rover-left.mcap");
    private static final Path CONFIGURATION = Path.of("src/test/resources/sim-rover-wheel-left.cfg");

    private static LoopReplay replay() throws Exception {
        return LoopReplay.of(RECORDING, "left").configuration(CONFIGURATION);
    }

    @Test
    void theRecordingReplaysToEveryOutputTheRobotComputedBitForBit() throws Exception {
        LoopReplay replay = replay();
        List<LoopSample> recorded = replay.recorded();
        List<LoopReplay.Cycle> replayed = replay.run();
        assertEquals(recorded.size(), replayed.size());
        assertTrue(recorded.size() > 2500, "3 s of a 1 kHz loop: " + recorded.size());
        assertTrue(recorded.stream().anyMatch(c -> c.kp == 0.05) && recorded.get(0).kp == 0.04, "the live retuning is in the recording");
        int driving = 0;
        for (int i = 0; i < recorded.size(); i++) {
            LoopSample r = recorded.get(i);
            LoopReplay.Cycle c = replayed.get(i);
            String at = "cycle " + i + " (setpoint " + r.setpoint + ", measured " + r.measurement + ")";
            assertEquals(r.setpoint, c.setpoint(), at);
            assertEquals(r.profiledSetpoint, c.profiledSetpoint(), at);
            assertEquals(r.output, c.output(), at); // exact: the same doubles, not close ones
            driving += r.output != 0 ? 1 : 0;
        }
        assertTrue(driving > 2000, "the wheel was driven in most cycles: " + driving);
        long stalls = 0;
        for (int i = 1; i < recorded.size(); i++) {
            stalls += recorded.get(i).timestampNanos - recorded.get(i - 1).timestampNanos > 2_000_000 ? 1 : 0;
        }
        assertTrue(stalls > 0, "the recording has cycles after a stall, whose step the replay bounds as the engine did: " + stalls);
    }

    @Test
    void theSameRecordingAndGainsGiveTheSameOutputsOnEveryRunAndOtherGainsOthers() throws Exception {
        assertEquals(replay().run(), replay().run());
        PidGains softer = PidGains.of(0.02, 0.05, 0);
        List<LoopReplay.Cycle> first = replay().gains(softer).run();
        assertEquals(first, replay().gains(softer).run(), "what-if gains: deterministic too");
        assertNotEquals(replay().run().stream().map(LoopReplay.Cycle::output).toList(), first.stream().map(LoopReplay.Cycle::output).toList(),
                "other gains, other outputs");
    }

    @Test
    void aConfigurationOtherThanTheRobotsShowsInTheProfiledSetpoint() throws Exception {
        List<LoopReplay.Cycle> ramped = replay().configuration(Map.of("maxAcceleration", "50", "maxJerk", "1000")).run();
        List<LoopSample> recorded = replay().recorded();
        int i = 0;
        while (recorded.get(i).setpoint == 0) {
            i++;
        }
        assertEquals(20.0, recorded.get(i + 10).profiledSetpoint, "the robot had no profile: the step at once");
        assertTrue(ramped.get(i + 10).profiledSetpoint() < 1.0, "with one, a ramp: " + ramped.get(i + 10).profiledSetpoint());
    }

    @Test
    void aRecordingThatLostCyclesOrHasNoneOfTheLoopIsRefused(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (McapWriter w = new McapWriter(out, McapWriter.Options.indexed())) {
            w.start(new McapRecord.Header("ros2", "armature"));
            w.add(new McapRecord.Schema(1, "armature_msgs/msg/LoopCycle", "ros2msg", new byte[0]));
            w.add(new McapRecord.Channel(1, 1, "/loop/left", "cdr", Map.of()));
            w.add(new McapRecord.Metadata("armature.recording", Map.of("loop.left.written", "0", "loop.left.lost", "12")));
        }
        Path lossy = Files.write(dir.resolve("lossy.mcap"), out.toByteArray());
        assertEquals("lossy.mcap: 12 cycles of loop 'left' were lost while recording; a replay needs every cycle",
                assertThrows(IllegalArgumentException.class, () -> LoopReplay.of(lossy, "left")).getMessage());
        assertEquals("sim-rover-left.mcap has no cycles of loop 'right'; it has loops [left]",
                assertThrows(IllegalArgumentException.class, () -> LoopReplay.of(RECORDING, "right")).getMessage());
    }
}
