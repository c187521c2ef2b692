package io.armature.vision;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives pipeline results; register as a service with {@link #PROPERTY_PIPELINE} to choose a pipeline. */
@ConsumerType
@FunctionalInterface
public interface VisionListener {

    /** Service property: the pipeline name ({@code String}) this listener wants. */
    String PROPERTY_PIPELINE = "armature.vision.pipeline";

    /** Called on the pipeline's thread; must return quickly. */
    void onResult(VisionResult result);
}
