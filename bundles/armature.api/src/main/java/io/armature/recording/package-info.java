/**
 * Recording the robot into MCAP files that Foxglove, {@code ros2 bag} and PlotJuggler open.
 */
@Export
@Version("1.1.0")
package io.armature.recording;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
