package io.armature.vision;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A vision pipeline: reads the latest frame of one {@link FrameSource} on its own thread and
 * publishes one {@link VisionSample} per processed frame, stamped with the frame's capture time.
 * Results reach {@link VisionListener} services and {@link #readLatest(VisionSample)}, which a
 * control loop may call every cycle (it neither blocks nor allocates).
 */
@ProviderType
public interface VisionPipeline {

    /** Service property: the pipeline name ({@code String}), for example {@code markers}. */
    String PROPERTY_PIPELINE = "armature.vision.pipeline";

    /** Service property: the pipeline kind ({@code String}): {@link #KIND_ARUCO}, {@link #KIND_LINE} or {@link #KIND_DNN}. */
    String PROPERTY_KIND = "armature.vision.kind";

    /**
     * ArUco markers with pose from the camera calibration: {@link VisionSample#targetId()} the marker id,
     * {@link VisionSample#value()} its bearing in rad (positive to the left), {@link VisionSample#distanceMeters()} its range.
     */
    String KIND_ARUCO = "aruco";

    /** Line following: {@link VisionSample#value()} the heading error to the line in rad (positive: the line is to the left). */
    String KIND_LINE = "line";

    /**
     * Image classification through OpenCV dnn: {@link VisionSample#targetId()} the best class index,
     * {@link VisionSample#confidence()} its score, {@link VisionSample#value()} NaN.
     */
    String KIND_DNN = "dnn";

    /** @return the pipeline name */
    String name();

    /** @return the pipeline kind, one of the {@code KIND_} constants */
    String kind();

    /** @return the name of the source it reads */
    String source();

    /**
     * Copies the newest result into {@code target}. Lock-free and allocation-free.
     *
     * @return false when no frame has been processed yet ({@code target} is left unchanged)
     */
    boolean readLatest(VisionSample target);

    /** @return frames processed since the pipeline started */
    long framesProcessed();

    /** @return frames the source captured that this pipeline skipped because it was busy */
    long droppedFrames();

    /** @return processed frames per second over about the last second */
    double framesPerSecond();

    /** @return mean time from frame capture to result over about the last second, ms */
    double latencyMillis();

    /** @return the backend in use, for example {@code CPU} or {@code CUDA/CUDA_FP16}; {@code CPU} for pipelines without a choice */
    String backend();
}
