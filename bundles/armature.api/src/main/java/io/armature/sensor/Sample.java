package io.armature.sensor;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A mutable sample. Streams preallocate samples and copy into the consumer's own instance, so
 * no sample is allocated per reading.
 */
@ConsumerType
public interface Sample<S extends Sample<S>> {

    /** @return when the reading was taken, on the {@link System#nanoTime()} clock */
    long timestampNanos();

    /**
     * @return false when the reading is NaN, infinite, out of the configured range or a spike
     *         beyond the configured rate of change; an invalid sample never counts as a reading
     */
    boolean valid();

    /** Copies every field of {@code other} into this sample. */
    void copyFrom(S other);
}
