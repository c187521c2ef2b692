package io.armature.vision.internal;

import org.opencv.core.Mat;

/**
 * What a {@link CapturingSource} reads frames from: a camera, a video file, images, a renderer.
 * Opened and checked before it replaces the one in use, so a bad configuration changes nothing.
 */
interface Medium extends AutoCloseable {

    /** @return {@code camera}, {@code video}, {@code images} or {@code synthetic} */
    String kind();

    int width();

    int height();

    /** @return nominal frames per second */
    double framesPerSecond();

    /** @return true for media that deliver as fast as they are read (files, renderers): the source paces them */
    boolean paced();

    /**
     * Captures one frame into {@code into} (BGR, 8 bits a channel), waiting as long as the medium
     * needs (a camera's next frame).
     *
     * @return false when no frame came
     */
    boolean capture(Mat into);

    /** @return true once a medium that does not loop has delivered its last frame */
    default boolean ended() {
        return false;
    }

    @Override
    void close();
}
