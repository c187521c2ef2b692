package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A channel that moves or switches something. Every actuator has a declared safe state
 * ({@link ChannelInfo#safeState()}) and returns to it on {@link #close()}, when the bundle that
 * provides it stops, and on a safety trip.
 */
@ProviderType
public interface Actuator extends Channel, AutoCloseable {

    /** Drives the output to its declared safe state now. Never throws for a working channel. */
    void toSafeState();

    /** @return true while the output is in its declared safe state */
    boolean isSafe();

    /** Drives the output to its safe state. Safe to call more than once. */
    @Override
    void close();
}
