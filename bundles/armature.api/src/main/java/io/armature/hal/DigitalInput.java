package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/** A digital input with edge events. */
@ProviderType
public interface DigitalInput extends Channel {

    /** @return the current level: true is high */
    boolean read();

    /**
     * Adds a listener for edges of this input.
     *
     * @return a registration; close it to remove the listener
     */
    Registration onEdge(Edge edge, EdgeListener listener);
}
