/**
 * Frame sources, vision pipelines and their results. Nothing here depends on OpenCV: a
 * consumer of results (a loop, a navigation command) needs only this package.
 */
@Export
@Version("3.0.0")
package io.armature.vision;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
