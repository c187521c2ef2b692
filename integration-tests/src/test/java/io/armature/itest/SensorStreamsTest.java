package io.armature.itest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/** The sim-rover's IMU stream in a real framework. */
class SensorStreamsTest {

    private static FeatureRuntime robot;

    @BeforeAll
    static void boot() throws Exception {
        robot = FeatureRuntime.startReady("sim-rover");
    }

    @AfterAll
    static void shutdown() throws Exception {
        robot.close();
    }

    @SuppressWarnings("unchecked")
    private static SampleStream<ImuSample> imu() throws Exception {
        return robot.service(SampleStream.class, "(armature.stream=imu)", 5_000);
    }

    @Test
    void theImuStreamRunsAtItsRateAndShowsInRobotStreams() throws Exception {
        SampleStream<ImuSample> imu = imu();
        try (SampleReader<ImuSample> reader = imu.openLatest()) {
            String streams = robot.gogo("robot:streams");
            Matcher m = Pattern.compile("\\nimu\\s+1000\\s+(\\d+)\\s+(\\d+)\\s+\\d+\\s+(\\d+)\\s+(\\d+)").matcher(streams);
            assertTrue(m.find(), streams);
            long p0 = imu.published();
            long t0 = System.nanoTime();
            Thread.sleep(1_000);
            double rate = (imu.published() - p0) / ((System.nanoTime() - t0) / 1e9);
            assertTrue(rate > 900 && rate < 1100, "1 kHz, measured over a second: " + rate);
            assertTrue(Integer.parseInt(m.group(2)) >= 1, "our reader is counted: " + streams);
            assertTrue(Long.parseLong(m.group(4)) == 0, "nothing invalid while the rover stands still: " + streams);
        }
    }

    @Test
    void theImuFeelsTheRoverTurnWhenTheWheelLoopsDriveIt() throws Exception {
        SampleStream<ImuSample> imu = imu();
        try (SampleReader<ImuSample> reader = imu.openLatest()) {
            robot.gogo("robot:setpoint right 15");
            ImuSample s = new ImuSample();
            // right wheel forward, left still: the rover turns left, yaw rate 0.04 * 15 / 0.2 = 3 rad/s
            assertTrue(Poll.until(5_000, () -> reader.poll(s) && s.valid && Math.abs(s.gyroZ - 3.0) < 0.3), "gyro z " + s.gyroZ);
        } finally {
            robot.gogo("robot:setpoint right 0");
        }
    }

    @Test
    void theWheelEncodersStreamTheVelocityTheLoopsHold() throws Exception {
        String streams = robot.gogo("robot:streams");
        assertTrue(Pattern.compile("\\nencoder\\.left\\s+1000\\s").matcher(streams).find(), streams);
        assertTrue(Pattern.compile("\\nencoder\\.right\\s+1000\\s").matcher(streams).find(), streams);
        @SuppressWarnings("unchecked")
        SampleStream<EncoderSample> left = robot.service(SampleStream.class, "(armature.stream=encoder.left)", 5_000);
        try (SampleReader<EncoderSample> reader = left.openLatest()) {
            robot.gogo("robot:setpoint left 10");
            EncoderSample s = new EncoderSample();
            assertTrue(Poll.until(5_000, () -> reader.poll(s) && s.valid && Math.abs(s.velocityRadiansPerSecond - 10) < 0.5),
                    "encoder.left velocity " + s.velocityRadiansPerSecond + " rad/s, valid " + s.valid);
            long counts = s.counts;
            assertTrue(Poll.until(2_000, () -> reader.poll(s) && s.counts > counts + 100), "and its count goes on");
            assertTrue(Math.abs(s.positionRadians - s.counts * 2 * Math.PI / 1440) < 1e-9);
        } finally {
            robot.gogo("robot:setpoint left 0");
        }
    }

    @Test
    void recordAndReplayFromTheShell() throws Exception {
        java.nio.file.Path file = robot.dataDir().resolve("imu.arms");
        String recorded = robot.gogo("robot:record imu " + file + " 1").trim();
        Matcher m = Pattern.compile("recorded (\\d+) samples of imu in 1\\.0 s to (\\S+), lost (\\d+)").matcher(recorded);
        assertTrue(m.find(), recorded);
        int n = Integer.parseInt(m.group(1));
        assertTrue(n > 500 && n <= 1100, "about a second at 1 kHz: " + n);
        assertTrue(java.nio.file.Files.size(file) == 4 + 1 + 5 + 5 + 8 + 57L * n, "header plus 57 bytes a sample");
        assertTrue(robot.gogo("robot:replay " + file + " fast").trim().equals("replayed " + n + " samples of imu into stream imu.replay as fast as possible"));
        assertTrue(robot.gogo("robot:record nosuch " + file + " 1").trim().equals("gogo: IllegalArgumentException: no stream 'nosuch'; robot:streams lists them"));
        // in place of the live stream, in real time: the supervisor watches the recording while it
        // plays and the live stream again after, without a stall between them
        io.armature.safety.SafetySupervisor safety = robot.service(io.armature.safety.SafetySupervisor.class, null, 5_000);
        assertTrue(robot.gogo("robot:replay " + file + " realtime replace").trim()
                .equals("replayed " + n + " samples of imu into stream imu, in place of the live one, in real time"));
        Thread.sleep(700); // past the 500 ms stall limit
        assertTrue(safety.mayMove(), "no trip around the replay: " + safety.tripReason());
        java.nio.file.Path junk = java.nio.file.Files.writeString(robot.dataDir().resolve("junk.arms"), "not a recording");
        assertTrue(robot.gogo("robot:replay " + junk).trim().equals("gogo: IOException: " + junk + " is not an Armature recording (no ARMS header)"),
                robot.gogo("robot:replay " + junk));
    }

    @Test
    void stoppingTheSensorBundleEndsTheStreamVisibly() throws Exception {
        SampleStream<ImuSample> imu = imu();
        SampleReader<ImuSample> reader = imu.openQueue(64);
        try {
            assertTrue(Poll.until(2_000, () -> reader.poll(new ImuSample())));
            robot.bundle("armature.sensors").stop();
            assertFalse(reader.sourceAlive(), "the reader sees its source gone");
            assertFalse(reader.poll(new ImuSample()), "and gets nothing stale as fresh");
            String streams = robot.gogo("robot:streams");
            assertTrue(!streams.contains("imu") && !streams.contains("encoder.") && streams.contains("loop.left"),
                    "the sensor streams are gone, the loops' cycle streams run on:\n" + streams);
            io.armature.safety.SafetySupervisor safety = robot.service(io.armature.safety.SafetySupervisor.class, null, 5_000);
            assertTrue(Poll.until(2_000, () -> !safety.mayMove()), "the supervisor watches the sensor streams (trips after the 500 ms stall limit)");
            String source = safety.tripReason().orElseThrow().source();
            assertTrue(source.equals("stream:imu") || source.equals("stream:encoder.left") || source.equals("stream:encoder.right"),
                    safety.tripReason().get().toString());
            String reset = robot.gogo("robot:reset");
            assertTrue(reset.matches("(?s).*cannot reset: sensor stream '(imu|encoder\\.left|encoder\\.right)' is not present.*"), reset);
        } finally {
            reader.close();
            robot.bundle("armature.sensors").start();
            assertTrue(Poll.until(5_000, () -> robot.gogo("robot:reset").contains("motion is allowed")), "back: the trip can be reset");
        }
    }
}
