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
 * <p>Staleness is counted in the loop's own running time: each cycle ages the last valid speed by
 * the time since the cycle before, but by one loop period at most. A cycle that comes late
 * because the whole process stood still (a JVM safepoint, the host pausing the machine) is no
 * fault of the encoder: its sampler stood still too, and runs just after the loop (its priority is
 * below the loop's). A stream that stops while the loop runs on time goes stale exactly after
 * the limit, as does one whose samples arrive older than the limit; {@link #whyNot()} says which
 * it was.
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
    private volatile long staleNanos;
    private volatile long periodNanos;
    private final StreamChoice<SampleStream<?>> streams = new StreamChoice<>();
    private volatile SampleReader<EncoderSample> reader;
    private volatile Override override;

    // loop thread only
    private final EncoderSample sample = new EncoderSample();
    private double speed = Double.NaN;
    private long ageNanos = Long.MAX_VALUE / 2; // loop time since the newest valid sample
    private long previousRead = Long.MIN_VALUE;
    private long invalidSinceValid;
    private Why why = Why.NO_SAMPLE_YET;

    /** Why the last read gave no measurement. */
    private enum Why { FRESH, NO_STREAM, STREAM_ENDED, NO_SAMPLE_YET, STALE, OVERRIDE }

    /**
     * @param staleMillis no valid sample for this long of the loop's running time is no measurement
     * @param rateHz      the loop's rate: a cycle ages the measurement by one period at most
     */
    WheelMeasurement(String streamName, int staleMillis, double rateHz) {
        this.streamName = streamName;
        limits(staleMillis, rateHz);
    }

    /** New staleness limit and loop rate (a configuration change), from the next cycle on. */
    void limits(int staleMillis, double rateHz) {
        this.staleNanos = staleMillis * 1_000_000L;
        this.periodNanos = Math.round(1e9 / rateHz);
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
            double v = o.read(nowNanos, dtSeconds);
            why = Double.isFinite(v) ? Why.FRESH : Why.OVERRIDE;
            return v;
        }
        long sinceLast = previousRead == Long.MIN_VALUE ? 0 : nowNanos - previousRead;
        previousRead = nowNanos;
        // a stall of the whole process is not the encoder's: it ages the speed by one period at most
        ageNanos = Math.min(ageNanos + Math.max(0, Math.min(sinceLast, periodNanos)), Long.MAX_VALUE / 2);
        SampleReader<EncoderSample> r = reader;
        if (r == null || !r.sourceAlive()) {
            why = r == null ? Why.NO_STREAM : Why.STREAM_ENDED;
            return Double.NaN; // no source: never run on a stale speed
        }
        while (r.poll(sample)) {
            if (sample.valid) {
                speed = sample.velocityRadiansPerSecond;
                // as old as the sample, unless the process stood still since it was published
                ageNanos = Math.min(ageNanos, Math.max(0, nowNanos - sample.timestampNanos));
                invalidSinceValid = 0;
            } else {
                invalidSinceValid++;
            }
        }
        if (ageNanos > staleNanos) {
            why = Double.isNaN(speed) ? Why.NO_SAMPLE_YET : Why.STALE;
            return Double.NaN;
        }
        why = Why.FRESH;
        return speed;
    }

    /**
     * @return why the last {@link #read} gave no measurement, one phrase naming the stream; builds
     *         a string, so only for a fault report. Loop thread.
     */
    String whyNot() {
        String stream = "encoder stream '" + streamName + "'";
        return switch (why) {
            case FRESH -> "the measurement is fine";
            case OVERRIDE -> "the test's measurement is not a number";
            case NO_STREAM -> "no " + stream + " is there";
            case STREAM_ENDED -> stream + " has ended";
            case NO_SAMPLE_YET -> stream + " has given no valid sample yet"
                    + (invalidSinceValid > 0 ? " (" + invalidSinceValid + " invalid)" : "");
            case STALE -> stream + " gave no valid sample for " + staleNanos / 1_000_000 + " ms of loop time"
                    + (invalidSinceValid > 0 ? ", " + invalidSinceValid + " invalid ones (missed edges, out of range or a spike)" : ", none at all");
        };
    }

    void setOverride(Override o) {
        override = o;
    }

    synchronized void close() {
        readFrom(null);
    }
}
