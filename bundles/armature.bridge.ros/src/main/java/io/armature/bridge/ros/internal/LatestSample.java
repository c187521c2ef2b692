package io.armature.bridge.ros.internal;

import io.armature.sensor.Sample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * A latest-value reader of a stream chosen by name, reopened when the chosen stream changes.
 * Used on the bridge's thread only.
 *
 * @param <S> the sample type read
 */
final class LatestSample<S extends Sample<S>> {

    private final Class<S> type;
    /** the last sample read; valid after {@link #poll} answered true */
    final S sample;
    private SampleStream<?> stream;
    private SampleReader<S> reader;

    LatestSample(Class<S> type, S sample) {
        this.type = type;
        this.sample = sample;
    }

    /** @return true when a new valid sample is in {@link #sample} */
    @SuppressWarnings("unchecked")
    boolean poll(SampleStream<?> chosen) {
        if (chosen != stream) {
            close();
            stream = chosen;
            if (chosen != null && chosen.sampleType() == type) {
                reader = ((SampleStream<S>) chosen).openLatest();
            }
        }
        return reader != null && reader.poll(sample) && sample.valid();
    }

    void close() {
        if (reader != null) {
            reader.close();
            reader = null;
        }
        stream = null;
    }
}
