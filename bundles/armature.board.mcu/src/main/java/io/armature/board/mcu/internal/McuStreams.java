package io.armature.board.mcu.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.armature.board.mcu.protocol.Frames;
import io.armature.hal.Board;
import io.armature.kit.sensor.EncoderEstimator;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;

/**
 * One connection's IMU and encoder streams, and the decoders that turn the microcontroller's IMU
 * and ENCODERS frames into their samples. Frame stamps map onto the host clock through
 * {@link McuClock}; encoder counts become samples through the kit's {@link EncoderEstimator},
 * the measurement path the encoder source shares. The microcontroller counts in hardware, so no
 * edge is ever missed (error count 0), and its readings get no spike check.
 *
 * <p>The decoders run on the link thread alone and allocate nothing.
 */
final class McuStreams {

    private final BroadcastStream<ImuSample> imu; // null: none configured
    private final int imuRateHz;
    private final List<BroadcastStream<EncoderSample>> encoders = new ArrayList<>();
    private final EncoderEstimator[] estimators;
    private final int encoderRateHz;
    private final McuClock clock = new McuClock();
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    McuStreams(McuBoard.Config config, String[] encoderNames) {
        String imuName = config.imuStream().trim();
        this.imu = imuName.isEmpty() ? null : new BroadcastStream<>(imuName, config.imuRateHz(), 256, ImuSample::new);
        this.imuRateHz = config.imuRateHz();
        this.encoderRateHz = config.encoderRateHz();
        this.estimators = new EncoderEstimator[encoderNames.length];
        int window = (int) Math.max(1, Math.round(config.velocityWindowMillis() * config.encoderRateHz() / 1000.0));
        for (int i = 0; i < encoderNames.length; i++) {
            encoders.add(new BroadcastStream<>(encoderNames[i], config.encoderRateHz(), 256, EncoderSample::new));
            estimators[i] = new EncoderEstimator(config.countsPerRevolution(), false, window, config.maxVelocity(), Double.POSITIVE_INFINITY);
        }
    }

    /** @return the IMU rate to ask the microcontroller for: 0 when no IMU stream is configured */
    int imuRateHz() {
        return imu == null ? 0 : imuRateHz;
    }

    /** @return the encoder rate to ask the microcontroller for: 0 when no encoder stream is configured */
    int encoderRateHz() {
        return encoders.isEmpty() ? 0 : encoderRateHz;
    }

    /** Publishes the sample of an IMU frame's 16-byte payload; nothing when no IMU stream is configured. */
    void imu(byte[] p, int off) {
        if (imu == null) {
            return;
        }
        long t = clock.frameTime(Frames.u32(p, off), System.nanoTime());
        ImuSample s = imu.claim();
        s.timestampNanos = t;
        boolean saturated = false;
        for (int i = 0; i < 6; i++) {
            int raw = Frames.i16(p, off + 4 + 2 * i);
            saturated |= raw == Short.MAX_VALUE || raw == Short.MIN_VALUE;
        }
        s.accelX = Frames.i16(p, off + 4) * Frames.ACCEL_LSB;
        s.accelY = Frames.i16(p, off + 6) * Frames.ACCEL_LSB;
        s.accelZ = Frames.i16(p, off + 8) * Frames.ACCEL_LSB;
        s.gyroX = Frames.i16(p, off + 10) * Frames.GYRO_LSB;
        s.gyroY = Frames.i16(p, off + 12) * Frames.GYRO_LSB;
        s.gyroZ = Frames.i16(p, off + 14) * Frames.GYRO_LSB;
        s.valid = !saturated; // at full scale the true value is unknown
        imu.publish();
    }

    /**
     * Publishes an ENCODERS frame's samples, one per configured stream; counters beyond those are ignored.
     *
     * @param len the payload's length, at least 5
     * @return false when the frame is of no use: its length does not match its count
     */
    boolean encoders(byte[] p, int off, int len) {
        long t = clock.frameTime(Frames.u32(p, off), System.nanoTime());
        int n = Frames.u8(p, off + 4);
        if (len != 5 + 8 * n) {
            return false;
        }
        for (int i = 0; i < n && i < estimators.length; i++) {
            int counts = Frames.i32(p, off + 5 + 8 * i);
            long edge = clock.otherTime(Frames.u32(p, off + 9 + 8 * i));
            BroadcastStream<EncoderSample> stream = encoders.get(i);
            estimators[i].estimate(counts, edge, 0, t, stream.claim());
            stream.publish();
        }
        return true;
    }

    /** @return encoder stream {@code i}, in the microcontroller's order */
    SampleStream<EncoderSample> encoderStream(int i) {
        return encoders.get(i);
    }

    /** Registers every stream as a {@link SampleStream} of board {@code boardId}. */
    void register(BundleContext context, String boardId) {
        if (imu != null) {
            registrations.add(register(context, boardId, imu));
        }
        for (BroadcastStream<EncoderSample> e : encoders) {
            registrations.add(register(context, boardId, e));
        }
    }

    private static ServiceRegistration<?> register(BundleContext context, String boardId, BroadcastStream<?> s) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(SampleStream.PROPERTY_STREAM, s.name());
        props.put(Board.PROPERTY_BOARD, boardId);
        return context.registerService(SampleStream.class, s, props);
    }

    /** Ends every stream, visibly to its readers, and unregisters it. */
    void close() {
        if (imu != null) {
            imu.close();
        }
        for (BroadcastStream<EncoderSample> e : encoders) {
            e.close();
        }
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the bundle is stopping
            }
        }
    }
}
