package io.armature.vision.internal;

import org.opencv.core.Mat;

/**
 * What a {@link CapturingSource} reads frames from: a camera, a video file, images, a renderer.
 * Opened and checked before it replaces the one in use, so a bad configuration changes nothing.
 */
abstract class Medium implements AutoCloseable {

    /**
     * What a medium delivers, known when it opens.
     *
     * @param kind            {@code camera}, {@code video}, {@code images} or {@code synthetic}
     * @param framesPerSecond nominal frames per second
     * @param paced           true for media that deliver as fast as they are read (files, renderers): the source paces them
     */
    record Format(String kind, int width, int height, double framesPerSecond, boolean paced) {
    }

    private final Format format;

    Medium(Format format) {
        this.format = format;
    }

    final Format format() {
        return format;
    }

    /**
     * Captures one frame into {@code into} (BGR, 8 bits a channel), waiting as long as the medium
     * needs (a camera's next frame).
     *
     * @return false when no frame came
     */
    abstract boolean capture(Mat into);

    /** @return true once a medium that does not loop has delivered its last frame */
    boolean ended() {
        return false;
    }

    @Override
    public abstract void close();
}
