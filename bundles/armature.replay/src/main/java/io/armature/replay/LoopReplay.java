package io.armature.replay;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.osgi.util.converter.Converters;

import io.armature.board.sim.internal.SimBoard;
import io.armature.control.LoopSample;
import io.armature.control.PidGains;
import io.armature.control.internal.TimeStep;
import io.armature.control.internal.WheelSpeedLoop;
import io.armature.recording.read.RecordingFile;
import io.armature.sensor.EncoderSample;
import io.armature.kit.stream.BroadcastStream;

/**
 * Replays a recorded wheel loop in a unit test, under simulated time: the robot's own wheel loop
 * ({@code armature.control}), built from its configuration, runs once per recorded cycle at that
 * cycle's time (each step bounded as the engine bounds it, {@link TimeStep}), given the setpoint in
 * force, the gains and the measurement the cycle had. Nothing
 * runs on a clock or a thread of its own, so the same recording, configuration and gains give the
 * same outputs bit for bit on every run; and given the recorded gains, the outputs the robot
 * computed, which makes a recorded incident a regression test of the loop and its controller.
 *
 * <p>The loop drives the simulated board's left motor whatever channels the configuration names;
 * the recording's measurements stand in for the encoder. Parts of a loop's behaviour that a
 * recording does not hold (the safety supervisor's trips, a lease running out) show as what they
 * did to the setpoint. A recording that lost cycles is refused: without them the time steps, and
 * so the controller's integral and derivative, would differ from the robot's.
 *
 * <pre>{@code
 * List<LoopReplay.Cycle> out = LoopReplay.of(Path.of("incident.mcap"), "left")
 *         .configuration(Path.of("armature.control.wheel-left.cfg"))
 *         .gains(new PidGains(0.03, 0.1, 0, 0.0136, 0.028)) // what would these gains have done?
 *         .run();
 * }</pre>
 */
public final class LoopReplay {

    /** One replayed cycle: its time (the recording's, ns since the epoch) and what the loop did. */
    public record Cycle(long timeNanos, double setpoint, double profiledSetpoint, double measurement, double output) {
    }

    private final String loop;
    private final List<LoopSample> recorded;
    private final Map<String, Object> configuration = new HashMap<>();
    private PidGains gains;

    private LoopReplay(String loop, List<LoopSample> recorded) {
        this.loop = loop;
        this.recorded = recorded;
    }

    /**
     * Reads a loop's cycles from a recording.
     *
     * @throws IOException              when the file is not a whole recording
     * @throws IllegalArgumentException when it has no cycles of the loop, or lost some while recording
     */
    public static LoopReplay of(Path recording, String loop) throws IOException {
        RecordingFile file = RecordingFile.open(recording);
        long lost = file.lost(LoopSample.STREAM_PREFIX + loop);
        List<LoopSample> cycles = file.loopCycles(loop);
        if (lost != 0) {
            throw new IllegalArgumentException(recording.getFileName() + ": " + (lost < 0 ? "the recording does not say whether cycles of loop '"
                    + loop + "' were lost (it was not finished)" : lost + " cycles of loop '" + loop + "' were lost while recording")
                    + "; a replay needs every cycle");
        }
        return new LoopReplay(loop, List.copyOf(cycles));
    }

    /** @return the recorded cycles, in time order */
    public List<LoopSample> recorded() {
        return recorded;
    }

    /**
     * Takes the loop's configuration from its file, as the robot had it ({@code .cfg}, as Felix
     * FileInstall reads it): the profile, the feed-forward, the limits.
     */
    public LoopReplay configuration(Path cfg) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(cfg, StandardCharsets.ISO_8859_1)) {
            p.load(in);
        }
        p.forEach((k, v) -> configuration.put((String) k, ((String) v).trim()));
        return this;
    }

    /** Sets configuration properties by their names in a {@code .cfg} (for example {@code maxAcceleration}), over the file's. */
    public LoopReplay configuration(Map<String, ?> properties) {
        configuration.putAll(properties);
        return this;
    }

    /** Runs with these gains throughout instead of the recorded ones, all five (the feed-forward too): what would they have done? */
    public LoopReplay gains(PidGains g) {
        this.gains = g;
        return this;
    }

    /**
     * Runs the loop through every recorded cycle.
     *
     * @return one cycle per recorded cycle
     * @throws IllegalArgumentException when the configuration is refused by the loop, or a
     *                                  recorded cycle used a controller other than its PID
     */
    public List<Cycle> run() {
        Map<String, Object> props = new HashMap<>(configuration);
        props.put("armature.loop.name", loop);
        props.put("pwmChannel", "motor.left.pwm");
        props.put("directionChannel", "motor.left.dir");
        props.put("brakeChannel", "motor.left.brake");
        props.put("inverted", "false"); // the output is recorded before any inversion
        WheelSpeedLoop.Config config = Converters.standardConverter().convert(props).to(WheelSpeedLoop.Config.class);
        SimBoard board = new SimBoard();
        board.activate(Converters.standardConverter().convert(Map.of("realTime", false, "unsupervised", true)).to(SimBoard.Config.class), null);
        BroadcastStream<EncoderSample> encoder = new BroadcastStream<>(config.encoderStream().trim(), config.armature_loop_rate(), 2,
                EncoderSample::new);
        try {
            WheelSpeedLoop wheel = new WheelSpeedLoop(config, null);
            wheel.bindBoard(board);
            wheel.bindEncoderStream(encoder, Map.of());
            List<Cycle> out = new ArrayList<>(recorded.size());
            long previous = Long.MIN_VALUE;
            double setpoint = Double.NaN;
            PidGains inForce = null;
            for (LoopSample c : recorded) {
                if (!c.controller.equals("pid")) {
                    throw new IllegalArgumentException("cycle at " + c.timestampNanos + " ran controller '" + c.controller
                            + "'; a replay runs the loop's PID controller");
                }
                PidGains g = gains != null ? gains : new PidGains(c.kp, c.ki, c.kd, c.ks, c.kv);
                if (!g.equals(inForce)) {
                    wheel.setGains(g);
                    inForce = g;
                }
                if (Double.compare(c.setpoint, setpoint) != 0) {
                    wheel.setSetpoint(c.setpoint);
                    setpoint = c.setpoint;
                }
                EncoderSample e = encoder.claim();
                e.timestampNanos = c.timestampNanos;
                e.valid = Double.isFinite(c.measurement);
                e.velocityRadiansPerSecond = c.measurement;
                encoder.publish();
                long period = TimeStep.periodNanos(config.armature_loop_rate());
                double dt = TimeStep.boundedNanos(previous == Long.MIN_VALUE ? period : c.timestampNanos - previous, period) * 1e-9;
                wheel.cycle(c.timestampNanos, dt);
                previous = c.timestampNanos;
                out.add(new Cycle(c.timestampNanos, wheel.setpoint(), wheel.profiledSetpoint(), wheel.measurement(), wheel.output()));
            }
            return out;
        } finally {
            encoder.close();
            board.deactivate();
        }
    }
}
