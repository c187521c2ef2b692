package io.armature.vision;

/**
 * A pipeline result about one frame.
 *
 * @param pipeline             the pipeline name
 * @param frameTimestampNanos  the frame's capture time, on the {@link System#nanoTime()} clock
 * @param found                whether the pipeline found what it looks for
 * @param value                the main result: a heading error in rad, a target bearing in rad
 * @param distanceMeters       distance to the target in metres, NaN where not measured
 */
public record VisionResult(String pipeline, long frameTimestampNanos, boolean found, double value, double distanceMeters) {
}
