package io.armature.control.internal;

import io.armature.board.sim.internal.SimBoard;
import io.armature.hal.DigitalInput;
import io.armature.kit.sensor.EncoderEstimator;
import io.armature.kit.sensor.QuadratureDecoder;
import io.armature.sensor.EncoderSample;
import io.armature.kit.stream.BroadcastStream;

/**
 * A simulated wheel's encoder as the loop reads it on the robot: its A/B edges counted and
 * sampled into an encoder stream (what armature.sensors' encoder source does on its own thread),
 * here sampled when the test says, in stepped simulated time.
 */
final class SimEncoderFeed implements AutoCloseable {

    final BroadcastStream<EncoderSample> stream;
    private final QuadratureDecoder decoder;
    private final EncoderEstimator estimator;
    private final long[] edge = new long[2];

    /** The encoder of {@code side} (left or right) at 1 kHz, with the sim-rover's encoder configuration. */
    SimEncoderFeed(SimBoard board, String side) {
        stream = new BroadcastStream<>("encoder." + side, 1000, 64, EncoderSample::new);
        decoder = new QuadratureDecoder(board.channel("encoder." + side + ".a", DigitalInput.class),
                board.channel("encoder." + side + ".b", DigitalInput.class));
        estimator = new EncoderEstimator(1440, false, 10, 100.0, 5000.0 / 1000);
    }

    /** Takes one sample at {@code nowNanos} and publishes it. */
    void sample(long nowNanos) {
        decoder.read(edge);
        estimator.estimate(edge[0], edge[1], decoder.errors(), nowNanos, stream.claim());
        stream.publish();
    }

    @Override
    public void close() {
        decoder.close();
    }
}
