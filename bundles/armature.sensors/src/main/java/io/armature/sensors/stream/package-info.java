/**
 * Recordings of one stream in the compact binary format of earlier versions ({@code .arms}), and their codecs.
 */
@Export
@Version("2.0.0")
package io.armature.sensors.stream;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
