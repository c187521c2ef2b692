package io.armature.simulation;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The robot's true pose in a simulated world, as the simulator knows it. A synthetic camera
 * renders what the robot would see from it. The world frame: x forward at start, y to the left,
 * heading counter-clockwise from x.
 */
@ProviderType
public interface GroundTruthPose {

    /**
     * Writes the pose, all three values from the same simulation step.
     *
     * @param pose at least 3 elements: x in m, y in m, heading in rad
     */
    void read(double[] pose);
}
