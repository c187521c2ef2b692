package io.armature.safety;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A heartbeat the supervisor watches. The owner beats it every cycle; if it does not beat
 * within its timeout, the supervisor trips. Beating is a single volatile write: allocation-free
 * and safe on a real-time thread.
 */
@ProviderType
public interface Heartbeat extends AutoCloseable {

    /** Beats now. */
    void beat();

    /** Ends the heartbeat without a trip (an orderly stop). Safe to call twice. */
    @Override
    void close();
}
