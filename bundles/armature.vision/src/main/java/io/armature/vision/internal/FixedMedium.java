package io.armature.vision.internal;

/** A {@link Medium} whose kind, size and rate are known when it opens. */
abstract class FixedMedium implements Medium {

    private final String kind;
    private final int width;
    private final int height;
    private final double framesPerSecond;
    private final boolean paced;

    FixedMedium(String kind, int width, int height, double framesPerSecond, boolean paced) {
        this.kind = kind;
        this.width = width;
        this.height = height;
        this.framesPerSecond = framesPerSecond;
        this.paced = paced;
    }

    @Override
    public final String kind() {
        return kind;
    }

    @Override
    public final int width() {
        return width;
    }

    @Override
    public final int height() {
        return height;
    }

    @Override
    public final double framesPerSecond() {
        return framesPerSecond;
    }

    @Override
    public final boolean paced() {
        return paced;
    }
}
