/**
 * The safety supervisor: permission to move, e-stop, trips and reset.
 */
@Export
@Version("1.2.0")
package io.armature.safety;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
