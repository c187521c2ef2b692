/**
 * The motion-command path: the one service through which every source of motion commands
 * (the shell, the web, MQTT, the ROS bridges, the vision follower) drives the robot, with
 * priorities, leases, e-stop and reset rights decided in one place.
 */
@Export
@Version("1.1.0")
package io.armature.motion;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
