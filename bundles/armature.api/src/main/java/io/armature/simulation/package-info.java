/**
 * What only a simulated robot has: the ground truth a simulator knows and a real robot can only
 * estimate. Implemented by the simulated board, read by simulated sensors (the synthetic camera);
 * nothing that runs on a real robot depends on it.
 */
@Export
@Version("1.0.0")
package io.armature.simulation;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
