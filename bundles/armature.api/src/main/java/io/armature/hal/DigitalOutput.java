package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/** A digital output. Its safe state is a level, {@link #safeLevel()}. */
@ProviderType
public interface DigitalOutput extends Actuator {

    /** Drives the output: true is high (logic 1), false is low. */
    void set(boolean high);

    /** @return the level last driven */
    boolean get();

    /** @return the level of the declared safe state */
    boolean safeLevel();

    @Override
    default void toSafeState() {
        set(safeLevel());
    }

    @Override
    default boolean isSafe() {
        return get() == safeLevel();
    }
}
