package io.armature.sensors.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.armature.board.sim.internal.SimBoard;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;
import io.armature.hal.UnknownChannelException;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.testing.ComponentConfigs;

/** The encoder source on the simulated rover's right wheel encoder, in stepped simulated time. */
class EncoderSourceTest {

    private static final long MS = 1_000_000;
    private final SimBoard board = new SimBoard();

    private EncoderSource source(Object... keyValues) {
        board.activate(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "unsupervised", true)), null);
        Map<String, Object> m = new HashMap<>(Map.of("armature_stream", "encoder.right", "channelA", "encoder.right.a",
                "channelB", "encoder.right.b"));
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new EncoderSource(ComponentConfigs.of(EncoderSource.Config.class, m), board, null, false);
    }

    @AfterEach
    void stop() {
        if (board.info() != null) {
            board.deactivate();
        }
    }

    private void drive(int duty) {
        board.channel("motor.right.brake", DigitalOutput.class).set(false);
        board.channel("motor.right.pwm", PwmOutput.class).setDuty(duty);
    }

    /** Steps the plant and the source together for {@code ms} milliseconds, returning the last sample read. */
    private EncoderSample run(EncoderSource source, SampleReader<EncoderSample> reader, int ms) {
        EncoderSample s = new EncoderSample();
        for (int i = 0; i < ms; i++) {
            board.advance(MS);
            source.sample(board.now());
            assertTrue(reader.poll(s), "one sample per step");
        }
        return s;
    }

    @Test
    void publishesCountsAngleAndTheWheelsVelocity() {
        EncoderSource encoder = source();
        SampleReader<EncoderSample> reader = encoder.stream().openQueue(16);
        drive(40_000);
        EncoderSample s = run(encoder, reader, 600);
        double wheel = board.plant().right.speed();
        assertTrue(wheel > 5, "the wheel turns: " + wheel);
        assertTrue(s.valid);
        assertEquals(wheel, s.velocityRadiansPerSecond, wheel * 0.02, "velocity within 2% of the plant's");
        assertEquals(board.plant().right.angle(), s.positionRadians, 2 * Math.PI / 1440 * 2, "angle to two counts");
        assertEquals(0, reader.lost());
        assertEquals(0, encoder.stream().invalidCount());
    }

    @Test
    void invertedCountsTheOtherWay() {
        EncoderSource encoder = source("inverted", true);
        SampleReader<EncoderSample> reader = encoder.stream().openLatest();
        drive(40_000);
        EncoderSample s = run(encoder, reader, 300);
        assertTrue(s.counts < 0 && s.velocityRadiansPerSecond < 0, "counts " + s.counts + ", velocity " + s.velocityRadiansPerSecond);
    }

    @Test
    void aVelocityBeyondTheLargestSpeedIsFlaggedAndCounted() {
        EncoderSource encoder = source("maxVelocity", 3.0, "maxAcceleration", 1e6);
        SampleReader<EncoderSample> reader = encoder.stream().openLatest();
        drive(65_535);
        EncoderSample s = run(encoder, reader, 600);
        assertTrue(s.velocityRadiansPerSecond > 3.0);
        assertFalse(s.valid, "out of the configured range");
        assertTrue(encoder.stream().invalidCount() > 100, "counted: " + encoder.stream().invalidCount());
    }

    @Test
    void aVelocityJumpBeyondTheLargestAccelerationFlagsOneSampleNotTheRest() {
        // 100 rad/s² at 1 kHz: 0.1 rad/s per sample; full duty from rest accelerates faster
        EncoderSource encoder = source("maxAcceleration", 100.0);
        SampleReader<EncoderSample> reader = encoder.stream().openQueue(256);
        run(encoder, reader, 20);
        drive(65_535);
        run(encoder, reader, 200);
        long spikes = encoder.stream().invalidCount();
        assertTrue(spikes > 0, "accelerating beyond the limit is flagged");
        drive(30_000);
        run(encoder, reader, 1500); // settles at a steady speed
        EncoderSample s = run(encoder, reader, 50);
        assertTrue(s.valid, "a steady wheel is valid again");
    }

    @Test
    void stoppingTheSourceEndsItsStreamVisiblyAndStopsCounting() {
        EncoderSource encoder = source();
        SampleReader<EncoderSample> reader = encoder.stream().openLatest();
        run(encoder, reader, 5);
        encoder.deactivate();
        assertFalse(reader.sourceAlive());
        assertFalse(reader.poll(new EncoderSample()));
    }

    @Test
    void aReplacedBoardIsCountedOnWithoutTheStreamGoingAwayOrAFalseAlarm() {
        EncoderSource encoder = source();
        SampleReader<EncoderSample> reader = encoder.stream().openQueue(256);
        drive(40_000);
        run(encoder, reader, 300);
        SimBoard next = new SimBoard();
        next.activate(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false, "unsupervised", true)), null);
        try {
            encoder.bindBoard(next); // a side-by-side update of the board: the new one comes first
            encoder.unbindBoard(board);
            next.channel("motor.right.brake", DigitalOutput.class).set(false);
            next.channel("motor.right.pwm", PwmOutput.class).setDuty(40_000);
            EncoderSample s = new EncoderSample();
            for (int i = 0; i < 600; i++) {
                next.advance(MS);
                encoder.sample(next.now());
                assertTrue(reader.poll(s));
            }
            assertTrue(reader.sourceAlive(), "the same stream goes on");
            assertEquals(0, encoder.stream().invalidCount(), "a decoder counting from 0 again is no missed edge and no jump");
            assertEquals(next.plant().right.speed(), s.velocityRadiansPerSecond, next.plant().right.speed() * 0.02, "the new board's wheel");
        } finally {
            next.deactivate();
        }
    }

    @Test
    void badConfigurationIsRefusedWithTheReason() {
        assertEquals("encoder 'encoder.right': rateHz must be 1..10000, was 0",
                assertThrows(IllegalArgumentException.class, () -> source("rateHz", 0)).getMessage());
        board.deactivate();
        assertEquals("encoder 'encoder.right': channelA and channelB must name two different digital inputs",
                assertThrows(IllegalArgumentException.class, () -> source("channelB", "encoder.right.a")).getMessage());
        board.deactivate();
        assertThrows(UnknownChannelException.class, () -> source("channelA", "encoder.front.a"));
        board.deactivate();
        assertEquals("encoder 'encoder.right': maxVelocity must be finite and above 0, was NaN",
                assertThrows(IllegalArgumentException.class, () -> source("maxVelocity", Double.NaN)).getMessage());
        board.deactivate();
        assertEquals("encoder 'encoder.right': realTimePriority must be 0 (none) or 1..99, was 100",
                assertThrows(IllegalArgumentException.class, () -> source("realTimePriority", 100)).getMessage());
    }
}
