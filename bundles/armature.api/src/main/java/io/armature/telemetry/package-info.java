/**
 * Telemetry sources that publishers (MQTT, web, ROS bridge) sample.
 */
@Export
@Version("1.0.0")
package io.armature.telemetry;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
