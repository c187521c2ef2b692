/**
 * The broadcast sample stream: one producer, any number of readers, preallocated slots.
 */
@Export
@Version("1.0.0")
package io.armature.sensors.stream;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
