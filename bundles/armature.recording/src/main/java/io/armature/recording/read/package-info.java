/**
 * Reading Armature's MCAP recordings back as samples: for replaying them into live streams, and
 * into a control loop in a test.
 */
@Export
@Version("1.0.0")
package io.armature.recording.read;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
