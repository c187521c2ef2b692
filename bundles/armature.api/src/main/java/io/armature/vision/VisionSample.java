package io.armature.vision;

/**
 * One pipeline result, mutable so that pipelines and consumers reuse their instances and
 * nothing is allocated per frame. Not thread-safe: each thread owns its instances.
 * Which fields a pipeline fills depends on its kind (see {@link VisionPipeline}).
 */
public final class VisionSample {

    private long sequence;
    private long frameTimestampNanos;
    private long resultTimestampNanos;
    private boolean found;
    private int targetId = -1;
    private double value = Double.NaN;
    private double distanceMeters = Double.NaN;
    private double confidence;

    /**
     * Sets every field.
     *
     * @param sequence             the frame's number in its source, from 1
     * @param frameTimestampNanos  the frame's capture time on the {@link System#nanoTime()} clock
     * @param resultTimestampNanos when the result was ready, same clock
     * @param found                whether the pipeline found what it looks for
     * @param targetId             marker id or class index, -1 when none
     * @param value                the main measurement in rad (bearing or heading error), NaN when not found
     * @param distanceMeters       range to the target in m, NaN where not measured
     * @param confidence           0..1; 1 for geometric detections
     * @return this
     */
    public VisionSample set(long sequence, long frameTimestampNanos, long resultTimestampNanos, boolean found, int targetId,
            double value, double distanceMeters, double confidence) {
        this.sequence = sequence;
        this.frameTimestampNanos = frameTimestampNanos;
        this.resultTimestampNanos = resultTimestampNanos;
        this.found = found;
        this.targetId = targetId;
        this.value = value;
        this.distanceMeters = distanceMeters;
        this.confidence = confidence;
        return this;
    }

    /** Copies every field of {@code other} into this one. */
    public void copyFrom(VisionSample other) {
        set(other.sequence, other.frameTimestampNanos, other.resultTimestampNanos, other.found, other.targetId, other.value,
                other.distanceMeters, other.confidence);
    }

    /** @return the frame's number in its source, from 1; 0 for an empty sample */
    public long sequence() {
        return sequence;
    }

    /** @return the frame's capture time on the {@link System#nanoTime()} clock */
    public long frameTimestampNanos() {
        return frameTimestampNanos;
    }

    /** @return when the result was ready, on the {@link System#nanoTime()} clock */
    public long resultTimestampNanos() {
        return resultTimestampNanos;
    }

    /** @return whether the pipeline found what it looks for in this frame */
    public boolean found() {
        return found;
    }

    /** @return marker id or class index, -1 when none */
    public int targetId() {
        return targetId;
    }

    /** @return bearing or heading error in rad, positive to the left; NaN when not found */
    public double value() {
        return value;
    }

    /** @return range to the target in m; NaN where not measured */
    public double distanceMeters() {
        return distanceMeters;
    }

    /** @return detection score 0..1 */
    public double confidence() {
        return confidence;
    }

    @Override
    public String toString() {
        return found ? String.format("#%d id %d value %.4f rad distance %.3f m confidence %.2f", sequence, targetId, value,
                distanceMeters, confidence) : "#" + sequence + " nothing found";
    }
}
