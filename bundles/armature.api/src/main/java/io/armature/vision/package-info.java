/**
 * Frame sources and vision pipeline results.
 */
@Export
@Version("1.0.0")
package io.armature.vision;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
