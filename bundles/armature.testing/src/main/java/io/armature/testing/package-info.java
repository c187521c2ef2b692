/**
 * Helpers for unit tests of Armature components outside a framework.
 */
@Export
@Version("1.2.0")
package io.armature.testing;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
