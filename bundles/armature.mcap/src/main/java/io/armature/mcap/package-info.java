/**
 * MCAP files (https://mcap.dev/spec): {@link io.armature.mcap.McapWriter} writes them,
 * {@link io.armature.mcap.McapReader} reads them, record by record ({@link io.armature.mcap.McapRecord}).
 * Uncompressed chunks; a chunk compressed with another algorithm is refused with a clear error.
 */
@Export
@Version("1.0.0")
package io.armature.mcap;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
