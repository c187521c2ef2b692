package io.armature.vision;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A source of camera frames: a camera device, a video file, an image directory or a synthetic
 * camera. Registered as a service with {@link #PROPERTY_SOURCE}; pipelines name the source they
 * read. A source delivers the latest frame: a pipeline still busy with an older frame misses the
 * frames captured meanwhile, and they are counted in {@link #droppedFrames()}.
 */
@ProviderType
public interface FrameSource {

    /** Service property: the source name ({@code String}), for example {@code front}. */
    String PROPERTY_SOURCE = "armature.vision.source";

    /** @return the source name */
    String name();

    /** @return the kind of source: {@code camera}, {@code video}, {@code images} or {@code synthetic} */
    String kind();

    /** @return frame width in pixels */
    int width();

    /** @return frame height in pixels */
    int height();

    /** @return the nominal frame rate in frames per second */
    double framesPerSecond();

    /** @return the frame rate measured over about the last second, frames per second; 0 before two frames */
    double measuredFramesPerSecond();

    /** @return frames captured since the source started */
    long framesCaptured();

    /** @return frames that some pipeline never saw because it was still busy with an older one, summed over pipelines */
    long droppedFrames();

    /** @return capture attempts that returned no frame (device gone, unreadable file) */
    long captureErrors();
}
