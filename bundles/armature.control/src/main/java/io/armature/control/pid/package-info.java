/**
 * Pure control math: a PID controller with feed-forward and a trapezoidal motion profile. No
 * OSGi, no threads, no clock: time steps and measurements come in as arguments.
 */
@Export
@Version("1.0.0")
package io.armature.control.pid;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
