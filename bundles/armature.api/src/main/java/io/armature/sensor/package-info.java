/**
 * Sensor samples and the streams that carry them from a source to its consumers.
 */
@Export
@Version("2.1.0")
package io.armature.sensor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
