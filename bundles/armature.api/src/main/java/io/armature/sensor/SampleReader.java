package io.armature.sensor;

import org.osgi.annotation.versioning.ProviderType;

/** One consumer's view of a {@link SampleStream}. */
@ProviderType
public interface SampleReader<S extends Sample<S>> extends AutoCloseable {

    /**
     * Copies the next sample (a queue reader) or the newest sample not yet read (a latest-value
     * reader) into {@code into}.
     *
     * @return true when a sample was copied; false when nothing new arrived
     */
    boolean poll(S into);

    /** @return samples this reader lost: overwritten before it read them */
    long lost();

    /** @return false once the stream's source is gone; the reader then never returns stale data as new */
    boolean sourceAlive();

    @Override
    void close();
}
