package io.armature.control.internal;

import java.util.Map;

import io.armature.kit.sensor.StreamChoice;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * A wheel loop's measurement: the speed in its encoder samples. It reads the named encoder stream
 * (the highest-ranked one when there are several: a replay over the live stream) and gives the
 * newest valid speed while that is fresher than the staleness limit, NaN otherwise, so the loop
 * never drives on bad data. An invalid sample (missed edges, out of range, a spike) is no
 * measurement: it counts as a pause of the stream, the last valid speed holds within the limit
 * and a run of invalid samples longer than that stops the motor as a stale stream does.
 *
 * <p>Streams come and go on any thread; {@link #read} runs on the loop thread alone and
 * allocates nothing.
 */
final class WheelMeasurement {

    /** Where the loop reads its measurement from in tests instead of the stream. */
    interface Override {
        /** @return rad/s, or NaN / infinity when the reading is bad */
        double read(long nowNanos, double dtSeconds);
    }

    private final String streamName;
    private final long staleNanos;
    private final StreamChoice<SampleStream<?>> streams = new StreamChoice<>();
    private volatile SampleReader<EncoderSample> reader;
    private volatile Override override;

    // loop thread only
    private final EncoderSample sample = new EncoderSample();
    private double speed = Double.NaN;
    private long speedTime = Long.MIN_VALUE / 2;

    WheelMeasurement(String streamName, int staleMillis) {
        this.streamName = streamName;
        this.staleNanos = staleMillis * 1_000_000L;
    }

    /** Offers a stream: taken when it is an encoder stream of the configured name ranked above the one read now. */
    void add(SampleStream<?> stream, Map<String, Object> properties) {
        if (stream.name().equals(streamName) && stream.sampleType() == EncoderSample.class && streams.add(stream, properties)) {
            readFrom(streams.chosen());
        }
    }

    /** A stream that goes: with none left the loop measures NaN, and a driven motor stops. */
    void remove(SampleStream<?> stream) {
        if (streams.remove(stream)) {
            readFrom(streams.chosen());
        }
    }

    @SuppressWarnings("unchecked")
    private synchronized void readFrom(SampleStream<?> stream) {
        SampleReader<EncoderSample> old = reader;
        reader = stream == null ? null : ((SampleStream<EncoderSample>) stream).openLatest();
        if (old != null) {
            old.close();
        }
    }

    /** @return the newest valid speed in rad/s, NaN when there is none this fresh or no live source */
    double read(long nowNanos, double dtSeconds) {
        Override o = override;
        if (o != null) {
            return o.read(nowNanos, dtSeconds);
        }
        SampleReader<EncoderSample> r = reader;
        if (r == null || !r.sourceAlive()) {
            return Double.NaN; // no source: never run on a stale speed
        }
        while (r.poll(sample)) {
            if (sample.valid) {
                speed = sample.velocityRadiansPerSecond;
                speedTime = sample.timestampNanos;
            }
        }
        return nowNanos - speedTime > staleNanos ? Double.NaN : speed;
    }

    void setOverride(Override o) {
        override = o;
    }

    synchronized void close() {
        readFrom(null);
    }
}
