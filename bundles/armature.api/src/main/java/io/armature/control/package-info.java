/**
 * Control loops, controllers and loop statistics.
 */
@Export
@Version("2.4.0")
package io.armature.control;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
