/**
 * Bundle-set deployment: features (bundle sets pinned by SHA-256) applied to a running robot with
 * a health gate and rollback.
 */
@Export
@Version("1.2.0")
package io.armature.deploy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
