package io.armature.vision;

import org.osgi.annotation.versioning.ProviderType;

/** A source of camera frames: a camera device, a video file, an image directory or a synthetic camera. */
@ProviderType
public interface FrameSource {

    /** Service property: the source name ({@code String}), for example {@code front}. */
    String PROPERTY_SOURCE = "armature.vision.source";

    /** @return the source name */
    String name();

    /** @return frame width in pixels */
    int width();

    /** @return frame height in pixels */
    int height();

    /** @return the nominal frame rate in frames per second */
    double framesPerSecond();

    /** @return frames dropped because a consumer was still busy with an older one */
    long droppedFrames();
}
