/**
 * The Armature microcontroller serial protocol: frames, their encoding and a parser that
 * resynchronizes. The specification for firmware authors is the bundle's README.
 */
@Export
@Version("1.0.0")
package io.armature.board.mcu.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
