package io.armature.vision;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives pipeline results; register as a service with {@link #PROPERTY_PIPELINE} to choose a pipeline. */
@ConsumerType
@FunctionalInterface
public interface VisionListener {

    /** Service property: the pipeline name ({@code String}) this listener wants. */
    String PROPERTY_PIPELINE = VisionPipeline.PROPERTY_PIPELINE;

    /**
     * Called on the pipeline's thread for every processed frame; must return quickly and must not
     * keep {@code result}: the pipeline reuses that instance for the next frame (copy it with
     * {@link VisionSample#copyFrom(VisionSample)}).
     */
    void onResult(VisionSample result);
}
