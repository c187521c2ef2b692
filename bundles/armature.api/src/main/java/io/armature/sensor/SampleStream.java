package io.armature.sensor;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A stream of samples from one producer to any number of consumers. The producer never blocks
 * and nothing is allocated per sample.
 */
@ProviderType
public interface SampleStream<S extends Sample<S>> {

    /** Service property: the stream name ({@code String}), for example {@code imu} or {@code encoder.left}. */
    String PROPERTY_STREAM = "armature.stream";

    /** @return the stream name */
    String name();

    /** @return the type of its samples, for example {@code ImuSample.class} */
    Class<S> sampleType();

    /** @return the nominal sample rate in Hz */
    double rateHz();

    /** @return a reader that sees only the newest sample */
    SampleReader<S> openLatest();

    /**
     * @param capacity queue length in samples, at least 1; when full the oldest sample is dropped
     *                 and counted in {@link SampleReader#lost()}
     * @return a reader that sees every sample that it keeps up with
     */
    SampleReader<S> openQueue(int capacity);

    /** @return the most samples a queue reader of this stream can hold: the largest {@code capacity} of {@link #openQueue} */
    int capacity();

    /** @return samples flagged invalid since the stream started */
    long invalidCount();

    /** @return samples published since the stream started */
    long published();

    /** @return readers open now */
    int readers();

    /** @return samples lost by all readers together (overwritten before they read them) */
    long lostCount();
}
