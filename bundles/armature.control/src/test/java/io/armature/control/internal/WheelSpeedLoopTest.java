package io.armature.control.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.armature.board.sim.internal.SimBoard;
import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.PidGains;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.kit.stream.BroadcastStream;
import io.armature.sensors.stream.Recording;
import io.armature.sensors.stream.SampleCodec;
import io.armature.testing.ComponentConfigs;

/**
 * The left wheel loop against the simulated rover, in stepped simulated time: deterministic. The
 * loop reads its speed from the encoder stream {@code encoder.left}, which the tests feed from the
 * simulated encoder each cycle ({@link SimEncoderFeed}), unless a test names its own stream.
 */
class WheelSpeedLoopTest {

    private static final long MS = 1_000_000;
    private final SimBoard board = new SimBoard();
    private SimEncoderFeed encoder;
    private long now;

    private WheelSpeedLoop loop(Object... keyValues) {
        return loop((org.osgi.framework.BundleContext) null, keyValues);
    }

    private WheelSpeedLoop loop(org.osgi.framework.BundleContext context, Object... keyValues) {
        Map<String, Object> simConfig = new HashMap<>();
        simConfig.put("realTime", false);
        simConfig.put("gyroNoise", 0.0);
        simConfig.put("unsupervised", true); // the loop is under test, not the permit: the supervisor's rules have tests of their own
        board.activate(ComponentConfigs.of(SimBoard.Config.class, simConfig), null);
        Map<String, Object> m = new HashMap<>();
        m.put("armature_loop_name", "left");
        m.put("pwmChannel", "motor.left.pwm");
        m.put("directionChannel", "motor.left.dir");
        m.put("brakeChannel", "motor.left.brake");
        m.put("encoderStream", "encoder.left");
        boolean ownStream = false;
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
            ownStream |= keyValues[i].equals("encoderStream");
        }
        WheelSpeedLoop loop = new WheelSpeedLoop(ComponentConfigs.of(WheelSpeedLoop.Config.class, m), context);
        loop.bindBoard(board);
        if (encoder != null) {
            encoder.close();
            encoder = null;
        }
        if (!ownStream) {
            encoder = new SimEncoderFeed(board, "left");
            loop.bindEncoderStream(encoder.stream, Map.of());
        }
        return loop;
    }

    @AfterEach
    void stopBoard() {
        if (encoder != null) {
            encoder.close();
        }
        if (board.info() != null) {
            board.deactivate();
        }
    }

    /** One millisecond: an encoder sample, a loop cycle, then the plant moves on. */
    private void tick(WheelSpeedLoop loop) {
        now += MS;
        sampleEncoder();
        loop.cycle(now, 0.001);
        board.advance(MS);
    }

    @Test
    void aStepTo20RadPerSecondSettlesWithin2PercentInUnderHalfASecondWithUnder10PercentOvershoot() {
        WheelSpeedLoop loop = loop();
        for (int i = 0; i < 100; i++) {
            tick(loop); // at rest
        }
        loop.setSetpoint(20);
        double peak = 0;
        int lastOutside = -1;
        for (int i = 0; i < 1500; i++) {
            tick(loop);
            double speed = board.plant().left.speed();
            peak = Math.max(peak, speed);
            if (Math.abs(speed - 20) > 0.4) {
                lastOutside = i;
            }
        }
        double settlingSeconds = (lastOutside + 1) / 1000.0;
        double overshoot = (peak - 20) / 20;
        System.out.printf("step 0 -> 20 rad/s: settles (2%%) in %.3f s, overshoot %.1f%%%n", settlingSeconds, overshoot * 100);
        assertTrue(settlingSeconds < 0.5, "settling time " + settlingSeconds + " s");
        assertTrue(overshoot < 0.10, "overshoot " + overshoot);
        assertEquals(20, loop.measurement(), 0.4, "the loop measures what the wheel does");
    }

    @Test
    void aProfiledSetpointRampsAtTheConfiguredAcceleration() {
        WheelSpeedLoop loop = loop("maxAcceleration", 50.0, "maxJerk", 1000.0);
        loop.setSetpoint(20);
        for (int i = 0; i < 200; i++) {
            tick(loop);
        }
        // 200 ms at up to 50 rad/s² (after a 50 ms jerk-limited start): about 8.75 rad/s
        assertEquals(8.75, loop.profiledSetpoint(), 0.3);
        for (int i = 0; i < 1500; i++) {
            tick(loop);
        }
        assertEquals(20.0, loop.profiledSetpoint());
        assertEquals(20, board.plant().left.speed(), 0.4);
    }

    @Test
    void aGainChangeAtRunTimeDoesNotMakeTheOutputJump() {
        WheelSpeedLoop loop = loop();
        loop.setSetpoint(15);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        loop.setSetpoint(18);
        tick(loop);
        double before = loop.output();
        loop.setGains(loop.gains().withPid(0.08, 1.5, 0));
        tick(loop);
        assertEquals(before, loop.output(), 0.01, "bumpless");
        assertEquals(0.08, loop.gains().kp());
    }

    @Test
    void aLoopFedByAnEncoderStreamHoldsItsSetpointAndStopsWhenTheStreamGoesStaleOrAway() {
        BroadcastStream<EncoderSample> stream = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        WheelSpeedLoop loop = drivenAt10On(stream);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        assertEquals(10, board.plant().left.speed(), 0.2, "the wheel holds 10 rad/s on the stream's speed");
        for (int i = 0; i < 19; i++) {
            tick(loop); // the stream pauses, but its last sample is still fresh
        }
        assertTrue(pwm.duty() > 0, "within encoderStaleMillis the loop keeps going");
        for (int i = 0; i < 5; i++) {
            tick(loop);
        }
        assertEquals(0, pwm.duty(), "no fresh speed: motor stopped");
        assertEquals("measurement is not a number (encoder stream 'encoder.left' gave no valid sample for 20 ms of loop time, none at all); "
                + "motor stopped", loop.fault().orElseThrow());
    }

    @Test
    void aStallOfTheWholeProcessIsNotAStaleEncoder() {
        BroadcastStream<EncoderSample> stream = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        WheelSpeedLoop loop = drivenAt10On(stream);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        // Everything stood still for 35 ms (a safepoint, the host pausing the machine): the loop's
        // next cycle comes first, before the sampler (below the loop's priority) has run again.
        now += 35 * MS;
        loop.cycle(now, 0.036);
        assertTrue(pwm.duty() > 0, "the stall aged the encoder's speed by one period, not 35 ms: still driven");
        assertTrue(loop.fault().isEmpty(), loop.fault().toString());
        for (int i = 0; i < 50; i++) {
            publish(stream, board.plant().left.speed(), true);
            tick(loop);
        }
        assertEquals(10, board.plant().left.speed(), 0.3, "driving on after the stall");
        // but a stream that then stops, while the loop runs on time, is stale after its 20 ms
        for (int i = 0; i < 25; i++) {
            tick(loop);
        }
        assertEquals(0, pwm.duty(), "no fresh speed for 20 ms of loop time: motor stopped");
    }

    @Test
    void samplesThatArriveOlderThanTheStalenessLimitAreNoMeasurement() {
        BroadcastStream<EncoderSample> stream = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        WheelSpeedLoop loop = drivenAt10On(stream);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        for (int i = 0; i < 25; i++) {
            EncoderSample s = stream.claim();
            s.timestampNanos = now - 30 * MS; // a source that delivers every sample 30 ms after taking it
            s.valid = true;
            s.velocityRadiansPerSecond = board.plant().left.speed();
            stream.publish();
            tick(loop);
        }
        assertEquals(0, pwm.duty(), "30 ms old on arrival is older than the 20 ms limit: motor stopped");
        assertTrue(loop.fault().orElseThrow().startsWith("measurement is not a number (encoder stream 'encoder.left' gave no valid sample for 20 ms"),
                loop.fault().toString());
    }

    @Test
    void anInvalidSampleIsNoMeasurementAndARunOfThemLongerThanTheStalenessStopsTheMotor() {
        BroadcastStream<EncoderSample> stream = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        WheelSpeedLoop loop = drivenAt10On(stream);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        assertEquals(10, board.plant().left.speed(), 0.2);
        for (int i = 0; i < 19; i++) {
            publish(stream, 90.0, false); // missed edges: the source flags the sample, whatever speed it carries
            tick(loop);
        }
        assertEquals(10, loop.measurement(), 0.2, "an invalid speed never reaches the controller: the last valid one holds");
        assertTrue(pwm.duty() > 0 && pwm.duty() < PwmOutput.MAX_DUTY / 2, "within encoderStaleMillis the loop keeps going on it: " + pwm.duty());
        assertTrue(loop.fault().isEmpty(), loop.fault().toString());
        for (int i = 0; i < 5; i++) {
            publish(stream, 90.0, false);
            tick(loop);
        }
        assertEquals(0, pwm.duty(), "no valid speed for longer than encoderStaleMillis: motor stopped, as on a stale stream");
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get(), "brake on");
        assertEquals("measurement is not a number (encoder stream 'encoder.left' gave no valid sample for 20 ms of loop time, "
                + "20 invalid ones (missed edges, out of range or a spike)); motor stopped", loop.fault().orElseThrow());
    }

    /** @return a loop fed by {@code stream}, set to 10 rad/s and run for 800 ms on the wheel's speed */
    private WheelSpeedLoop drivenAt10On(BroadcastStream<EncoderSample> stream) {
        WheelSpeedLoop loop = loop("encoderStream", "encoder.left");
        loop.bindEncoderStream(stream, Map.of());
        loop.setSetpoint(10);
        for (int i = 0; i < 800; i++) {
            publish(stream, board.plant().left.speed(), true);
            tick(loop);
        }
        return loop;
    }

    private void publish(BroadcastStream<EncoderSample> stream, double speed, boolean valid) {
        EncoderSample s = stream.claim();
        s.timestampNanos = now;
        s.valid = valid;
        s.velocityRadiansPerSecond = speed;
        stream.publish();
    }

    @Test
    void aLoopReplaysARecordedEncoderStreamDeterministically(@TempDir Path dir) throws Exception {
        // record: the wheel driven to 12 rad/s, its speed sampled every cycle into a stream
        WheelSpeedLoop live = loop();
        BroadcastStream<EncoderSample> recorded = new BroadcastStream<>("encoder.left", 1000, 1024, EncoderSample::new);
        SampleReader<EncoderSample> recorder = recorded.openQueue(1024);
        live.setSetpoint(12);
        for (int i = 0; i < 600; i++) {
            tick(live);
            EncoderSample s = recorded.claim();
            s.timestampNanos = now;
            s.valid = true;
            s.velocityRadiansPerSecond = board.plant().left.speed();
            recorded.publish();
        }
        Path file = dir.resolve("left.arms");
        assertEquals(600, Recording.record(recorder, SampleCodec.ENCODER, "encoder.left", 1000, file, 100_000_000L));
        board.deactivate();

        // replay it twice into a fresh loop, one sample per cycle: the same duties both times
        long[] first = replayInto(file);
        long[] second = replayInto(file);
        assertArrayEquals(first, second, "the same recording drives the loop the same way");
        assertTrue(first[10] > 0 && first[599] > 0, "the loop drove the motor on the recorded speeds");
    }

    private void sampleEncoder() {
        if (encoder != null) {
            encoder.sample(now);
        }
    }

    /** @return the PWM duty after each replayed sample */
    private long[] replayInto(Path file) throws Exception {
        if (board.info() != null) {
            board.deactivate();
        }
        WheelSpeedLoop loop = loop("encoderStream", "encoder.left");
        BroadcastStream<EncoderSample> stream = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        loop.bindEncoderStream(stream, Map.of());
        loop.setSetpoint(12);
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        long[] duties = new long[600];
        try (Recording.Player<EncoderSample> player = Recording.play(file, SampleCodec.ENCODER)) {
            EncoderSample next = new EncoderSample();
            int i = 0;
            while (player.next(next)) {
                stream.claim().copyFrom(next);
                stream.publish();
                loop.cycle(next.timestampNanos, 0.001); // the recording's clock drives the loop
                duties[i++] = pwm.duty();
            }
            assertEquals(600, i);
        }
        loop.unbindEncoderStream(stream);
        return duties;
    }

    @Test
    void atRestALoopWaitsForItsEncoderStreamWithoutAFaultAndASetpointFindsTheFault() {
        WheelSpeedLoop loop = loop("encoderStream", "encoder.left");
        for (int i = 0; i < 100; i++) {
            tick(loop); // no stream yet: the motor stays braked, nothing failed
        }
        assertTrue(loop.fault().isEmpty(), loop.fault().toString());
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get());
        loop.setSetpoint(5);
        tick(loop);
        assertEquals(0, board.channel("motor.left.pwm", PwmOutput.class).duty(), "no speed to control on: not driven");
        assertTrue(loop.fault().orElseThrow().contains("measurement is not a number"), "and said so: " + loop.fault());
    }

    @Test
    void aReplayRegisteredOverTheLiveStreamFeedsTheLoopWhileItPlays() {
        WheelSpeedLoop loop = loop("encoderStream", "encoder.left");
        BroadcastStream<EncoderSample> live = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        BroadcastStream<EncoderSample> replay = new BroadcastStream<>("encoder.left", 1000, 64, EncoderSample::new);
        loop.bindEncoderStream(live, Map.of());
        loop.bindEncoderStream(replay, Map.of("service.ranking", 1000));
        assertEquals(0, live.readers(), "the loop reads the replay, ranked above the live stream");
        assertEquals(1, replay.readers());
        publishSpeed(replay, 7.0);
        tick(loop);
        assertEquals(7.0, loop.measurement(), 1e-9, "the recorded speed reaches the loop");
        loop.unbindEncoderStream(replay);
        assertEquals(1, live.readers(), "the replay ended: back to the live stream");
        publishSpeed(live, 2.0);
        tick(loop);
        assertEquals(2.0, loop.measurement(), 1e-9);
    }

    private void publishSpeed(BroadcastStream<EncoderSample> stream, double speed) {
        EncoderSample s = stream.claim();
        s.timestampNanos = now + MS;
        s.valid = true;
        s.velocityRadiansPerSecond = speed;
        stream.publish();
    }

    @Test
    void aLoopWithoutAnEncoderStreamIsRefused() {
        assertEquals("loop 'left': name the encoder: encoderStream",
                assertThrows(IllegalArgumentException.class, () -> loop("encoderStream", "")).getMessage());
    }

    @Test
    void aNaNMeasurementStopsTheMotorAndIsReported() {
        WheelSpeedLoop loop = loop();
        loop.setSetpoint(20);
        for (int i = 0; i < 200; i++) {
            tick(loop);
        }
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        assertTrue(pwm.duty() > 0);
        loop.setMeasurementForTest((t, dt) -> Double.NaN);
        tick(loop);
        assertEquals(0, pwm.duty(), "no duty on bad data");
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get(), "brake on");
        assertTrue(loop.fault().orElseThrow().contains("measurement is not a number"), loop.fault().toString());
        loop.setMeasurementForTest((t, dt) -> Double.POSITIVE_INFINITY);
        tick(loop);
        assertEquals(0, pwm.duty());
    }

    @Test
    void aControllerThatThrowsInItsFirstCyclesIsRolledBack() {
        WheelSpeedLoop loop = loop();
        loop.addFactory(gains -> new Controller() {
            int calls;

            @Override
            public double calculate(double setpoint, double measurement, double dt) {
                if (++calls == 5) {
                    throw new IllegalStateException("divide by zero");
                }
                return 0.3;
            }

            @Override
            public void reset(double output) {
            }
        }, Map.of(ControllerFactory.PROPERTY_NAME, "flaky"));
        loop.setSetpoint(10);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        double before = loop.output();
        loop.switchController("flaky");
        tick(loop);
        assertEquals("flaky", loop.controller());
        for (int i = 0; i < 10; i++) {
            tick(loop);
        }
        assertEquals("pid", loop.controller(), "rolled back");
        assertTrue(loop.fault().orElseThrow().contains("'flaky' threw java.lang.IllegalStateException: divide by zero"), loop.fault().toString());
        assertTrue(Math.abs(loop.output() - before) < 0.35, "the PID took over from the last output");
    }

    @Test
    void aControllerThatOutputsNaNIsRolledBackAndNaNNeverReachesTheMotor() {
        WheelSpeedLoop loop = loop();
        loop.addFactory(gains -> new Controller() {
            @Override
            public double calculate(double setpoint, double measurement, double dt) {
                return Double.NaN;
            }

            @Override
            public void reset(double output) {
            }
        }, Map.of(ControllerFactory.PROPERTY_NAME, "broken"));
        loop.setSetpoint(10);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        loop.switchController("broken");
        tick(loop);
        assertEquals("pid", loop.controller());
        assertTrue(loop.fault().orElseThrow().contains("output NaN"));
        assertTrue(Double.isFinite(loop.output()));
        assertTrue(board.channel("motor.left.pwm", PwmOutput.class).duty() > 0, "the PID keeps driving");
    }

    @Test
    void badInputIsRefusedAndTheRunningSettingsStay() {
        WheelSpeedLoop loop = loop();
        loop.setSetpoint(10);
        assertThrows(IllegalArgumentException.class, () -> loop.setSetpoint(Double.NaN));
        assertEquals("loop 'left': setpoint must be a number within ±30.0 rad/s, was 45.0",
                assertThrows(IllegalArgumentException.class, () -> loop.setSetpoint(45)).getMessage());
        assertEquals(10, loop.setpoint());
        assertEquals("no controller 'lqr' for loop 'left'; installed: ",
                assertThrows(IllegalArgumentException.class, () -> loop.switchController("lqr")).getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> loop.modified(ComponentConfigs.of(WheelSpeedLoop.Config.class, Map.of("armature_loop_name", "left",
                        "pwmChannel", "motor.left.pwm", "directionChannel", "motor.left.dir", "brakeChannel", "motor.left.brake",
                        "encoderStream", "encoder.left", "kp", -1.0))));
        assertEquals("loop 'left': kp must be a finite number of at least 0, was -1.0", bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.modified(ComponentConfigs.of(WheelSpeedLoop.Config.class, Map.of(
                "armature_loop_name", "left", "armature_loop_rate", 0.0, "pwmChannel", "motor.left.pwm", "directionChannel", "motor.left.dir",
                "brakeChannel", "motor.left.brake", "encoderStream", "encoder.left"))));
        assertEquals(0.04, loop.gains().kp());
    }

    @Test
    void theSteadyStateCycleAllocatesNothing() {
        WheelSpeedLoop loop = loop();
        loop.setSetpoint(12);
        for (int i = 0; i < 60_000; i++) {
            tick(loop); // warm up: the JIT compiles the cycle and its callees (one-time costs are not steady state)
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // A cycle that allocates makes every window non-zero. A window may still see a one-off
        // JVM event on this thread (a recompilation), which is not the cycle's doing; so the
        // claim is: some window of 10000 consecutive steady-state cycles allocates nothing.
        long[] windows = new long[10];
        int zeroWindow = -1;
        for (int w = 0; w < windows.length && zeroWindow < 0; w++) {
            for (int i = 0; i < 10_000; i++) {
                now += MS;
                sampleEncoder(); // the encoder source's work, on its own thread on the robot
                long before = mx.getCurrentThreadAllocatedBytes();
                loop.cycle(now, 0.001);
                windows[w] += mx.getCurrentThreadAllocatedBytes() - before;
                board.advance(MS);
            }
            if (windows[w] == 0) {
                zeroWindow = w;
            }
        }
        System.out.println("wheel loop: bytes allocated per window of 10000 cycles: " + java.util.Arrays.toString(windows));
        assertTrue(zeroWindow >= 0, "a window of 10000 steady-state cycles without allocation: " + java.util.Arrays.toString(windows));
    }

    @Test
    void atRestTheLoopLeavesTheMotorBrakedAndItsChannelsAlone() {
        WheelSpeedLoop loop = loop();
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        DigitalOutput brake = board.channel("motor.left.brake", DigitalOutput.class);
        loop.setSetpoint(15);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        assertFalse(brake.get());
        loop.setSetpoint(0);
        for (int i = 0; i < 1000; i++) {
            tick(loop);
        }
        assertEquals(0.0, board.plant().left.speed(), "stopped");
        assertTrue(brake.get(), "braked at rest");
        assertEquals(0, pwm.duty());
        brake.set(false);
        pwm.setDuty(5000); // an operator drives the idle motor by hand
        tick(loop);
        assertEquals(5000, pwm.duty(), "an idle loop does not fight the operator");
    }

    /** A supervisor whose trip the test sets, counting beats. */
    private static class FakeSupervisor implements io.armature.safety.SafetySupervisor {
        volatile boolean mayMove = true;
        volatile long trips;
        final java.util.concurrent.atomic.AtomicLong beats = new java.util.concurrent.atomic.AtomicLong();
        boolean closed;

        @Override
        public io.armature.safety.SafetyState state() {
            return mayMove ? io.armature.safety.SafetyState.OK : io.armature.safety.SafetyState.TRIPPED;
        }

        @Override
        public boolean mayMove() {
            return mayMove;
        }

        /** heartbeats handed out and not closed */
        final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public io.armature.safety.Heartbeat heartbeat(String name, long timeoutNanos) {
            open.incrementAndGet();
            return new io.armature.safety.Heartbeat() {
                @Override
                public void beat() {
                    beats.incrementAndGet();
                }

                @Override
                public void close() {
                    closed = true;
                    open.decrementAndGet();
                }
            };
        }

        @Override
        public long trips() {
            return trips;
        }

        @Override
        public void fault(String source, String reason) {
            estop(source, reason);
            faults.incrementAndGet();
        }

        final java.util.concurrent.atomic.AtomicLong faults = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public java.util.List<String> unhealthy() {
            return java.util.List.of();
        }

        @Override
        public java.util.Optional<io.armature.safety.TripReason> tripReason() {
            return java.util.Optional.empty();
        }

        @Override
        public void estop(String source, String reason) {
            if (mayMove) {
                mayMove = false;
                trips++;
            }
        }

        @Override
        public void reset(String source) {
            mayMove = true;
        }
    }

    @Test
    void theLoopBeatsItsHeartbeatAndDisengagesWhileTheSupervisorIsTripped() {
        WheelSpeedLoop loop = loop();
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(15);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        assertEquals(300, supervisor.beats.get(), "one beat per cycle");
        PwmOutput pwm = board.channel("motor.left.pwm", PwmOutput.class);
        assertTrue(pwm.duty() > 0);
        supervisor.estop("test", "stop");
        tick(loop);
        assertEquals(0, pwm.duty(), "tripped: the loop drives the motor safe");
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get());
        for (int i = 0; i < 50; i++) {
            tick(loop);
        }
        assertEquals(0, pwm.duty(), "and stays away from it while tripped");
        assertEquals(0.0, loop.setpoint(), "the trip cleared the setpoint");
        assertThrows(IllegalStateException.class, () -> loop.setSetpoint(15), "no new motion is taken while tripped");
        supervisor.reset("test");
        for (int i = 0; i < 500; i++) {
            tick(loop);
        }
        assertEquals(0.0, board.plant().left.speed(), 0.01, "a reset moves nothing by itself");
        assertEquals(0, pwm.duty());
        loop.setSetpoint(15);
        for (int i = 0; i < 500; i++) {
            tick(loop);
        }
        assertEquals(15, board.plant().left.speed(), 0.5, "a new command after the reset starts it again from rest");
        loop.deactivate();
        assertTrue(supervisor.closed, "an orderly stop closes the heartbeat instead of missing it");
    }

    @Test
    void aTripReturnsTheProfileToRestSoANewCommandRampsFromZero() {
        WheelSpeedLoop loop = loop("maxAcceleration", 50.0, "maxJerk", 1000.0);
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(20);
        for (int i = 0; i < 400; i++) {
            tick(loop);
        }
        assertTrue(loop.profiledSetpoint() > 10, "ramping: " + loop.profiledSetpoint());
        supervisor.estop("test", "stop");
        for (int i = 0; i < 2000; i++) {
            tick(loop); // before the fix the profile kept stepping toward 20 while tripped
        }
        supervisor.reset("test");
        tick(loop);
        assertEquals(0.0, loop.profiledSetpoint(), "at rest after the reset");
        loop.setSetpoint(20);
        for (int i = 0; i < 50; i++) {
            tick(loop);
        }
        assertTrue(loop.profiledSetpoint() < 2, "a new command ramps from rest, no step: " + loop.profiledSetpoint());
    }

    @Test
    void aSetpointGivenBeforeTheLatestTripNeverTakesEffect() {
        WheelSpeedLoop loop = loop();
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(15);
        supervisor.trips++; // a trip and its reset between the command and the loop's next cycle
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        assertEquals(0.0, loop.setpoint(), "stamped before the trip: void");
        assertEquals(0.0, board.plant().left.speed(), 0.01);
    }

    @Test
    void aLeasedSetpointLapsesToZeroInTheFirstCycleAfterItsLease() {
        WheelSpeedLoop loop = loop();
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(15, now + 300 * MS);
        for (int i = 0; i < 299; i++) {
            tick(loop);
        }
        assertEquals(15.0, loop.profiledSetpoint(), "within the lease");
        tick(loop);
        assertEquals(0.0, loop.profiledSetpoint(), "the lease ended: 0 in this cycle, without anyone telling the loop");
        for (int i = 0; i < 1000; i++) {
            tick(loop);
        }
        assertEquals(0.0, board.plant().left.speed(), 0.01, "stopped");
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get(), "and braked");
    }

    @Test
    void theSupervisorGoingAwayClearsTheSetpointAndANewOneDoesNotRestartMotion() {
        WheelSpeedLoop loop = loop();
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(15);
        for (int i = 0; i < 300; i++) {
            tick(loop);
        }
        loop.unbindSupervisor(supervisor);
        assertEquals(0.0, loop.setpoint());
        loop.bindSupervisor(new FakeSupervisor());
        for (int i = 0; i < 1000; i++) {
            tick(loop);
        }
        assertEquals(0.0, board.plant().left.speed(), 0.01, "a new supervisor does not restart motion");
    }

    @Test
    void aFaultIsReportedOncePerEpisode() {
        WheelSpeedLoop loop = loop();
        FakeSupervisor supervisor = new FakeSupervisor() {
            @Override
            public void fault(String source, String reason) {
                faults.incrementAndGet(); // a supervisor that does not trip: the loop alone must not repeat itself
            }
        };
        loop.bindSupervisor(supervisor);
        loop.setSetpoint(20);
        loop.setMeasurementForTest((t, dt) -> Double.NaN);
        for (int i = 0; i < 1000; i++) {
            tick(loop);
        }
        assertEquals(1, supervisor.faults.get(), "one report for one episode, not one a cycle");
    }

    @Test
    void whenItsBundleStopsTheEngineStoppingTheLoopClosesItsHeartbeatAtOnce() {
        int[] state = {org.osgi.framework.Bundle.ACTIVE};
        org.osgi.framework.Bundle bundle = (org.osgi.framework.Bundle) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {org.osgi.framework.Bundle.class}, (p, m, args) -> m.getName().equals("getState") ? state[0] : null);
        org.osgi.framework.BundleContext context = (org.osgi.framework.BundleContext) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {org.osgi.framework.BundleContext.class},
                (p, m, args) -> m.getName().equals("getBundle") ? bundle : null);
        WheelSpeedLoop loop = loop(context);
        FakeSupervisor supervisor = new FakeSupervisor();
        loop.bindSupervisor(supervisor);
        tick(loop);
        loop.stopOutputs(); // an engine stopped while the bundle runs (a fault it restarts from): still supervised
        assertEquals(1, supervisor.open.get(), "a loop its engine may restart keeps a heartbeat: a fresh one, with the slack of one not beaten yet");
        state[0] = org.osgi.framework.Bundle.STOPPING;
        loop.stopOutputs();
        assertTrue(supervisor.closed, "the bundle is stopping: no cycle will beat again, so the heartbeat is closed, not missed");
    }

    @Test
    void stopOutputsLeavesTheMotorBraked() {
        WheelSpeedLoop loop = loop();
        loop.setSetpoint(10);
        for (int i = 0; i < 100; i++) {
            tick(loop);
        }
        loop.stopOutputs();
        assertEquals(0, board.channel("motor.left.pwm", PwmOutput.class).duty());
        assertTrue(board.channel("motor.left.brake", DigitalOutput.class).get());
        assertFalse(board.channel("motor.left.dir", DigitalOutput.class).get());
    }
}
