package io.armature.sensors.stream;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.Sample;

/** Writes and reads one kind of sample as a fixed-size binary record, for recordings. */
public interface SampleCodec<S extends Sample<S>> {

    /** @return the type name stored in a recording's header */
    String type();

    /** @return bytes per record */
    int size();

    void write(S sample, ByteBuffer out);

    void read(ByteBuffer in, S into);

    /** @return a new, empty sample */
    S create();

    /** The 6-axis IMU sample: timestamp, valid flag, acceleration (m/s²), angular rate (rad/s). */
    SampleCodec<ImuSample> IMU = new SampleCodec<>() {
        @Override
        public String type() {
            return "imu";
        }

        @Override
        public int size() {
            return 8 + 1 + 6 * 8;
        }

        @Override
        public void write(ImuSample s, ByteBuffer out) {
            out.putLong(s.timestampNanos).put((byte) (s.valid ? 1 : 0)).putDouble(s.accelX).putDouble(s.accelY).putDouble(s.accelZ)
                    .putDouble(s.gyroX).putDouble(s.gyroY).putDouble(s.gyroZ);
        }

        @Override
        public void read(ByteBuffer in, ImuSample s) {
            s.timestampNanos = in.getLong();
            s.valid = in.get() == 1;
            s.accelX = in.getDouble();
            s.accelY = in.getDouble();
            s.accelZ = in.getDouble();
            s.gyroX = in.getDouble();
            s.gyroY = in.getDouble();
            s.gyroZ = in.getDouble();
        }

        @Override
        public ImuSample create() {
            return new ImuSample();
        }
    };

    /** The encoder sample: timestamp, valid flag, counts, position (rad), velocity (rad/s). */
    SampleCodec<EncoderSample> ENCODER = new SampleCodec<>() {
        @Override
        public String type() {
            return "encoder";
        }

        @Override
        public int size() {
            return 8 + 1 + 8 + 8 + 8;
        }

        @Override
        public void write(EncoderSample s, ByteBuffer out) {
            out.putLong(s.timestampNanos).put((byte) (s.valid ? 1 : 0)).putLong(s.counts).putDouble(s.positionRadians)
                    .putDouble(s.velocityRadiansPerSecond);
        }

        @Override
        public void read(ByteBuffer in, EncoderSample s) {
            s.timestampNanos = in.getLong();
            s.valid = in.get() == 1;
            s.counts = in.getLong();
            s.positionRadians = in.getDouble();
            s.velocityRadiansPerSecond = in.getDouble();
        }

        @Override
        public EncoderSample create() {
            return new EncoderSample();
        }
    };

    /** @return a supplier of new samples, for a stream's preallocated ring */
    default Supplier<S> factory() {
        return this::create;
    }
}
