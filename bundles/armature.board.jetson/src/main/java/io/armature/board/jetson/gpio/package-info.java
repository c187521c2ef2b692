/**
 * The GPIO character device as the Linux board backend sees it: chips, requested lines, edge
 * events. The backend's own driver speaks the kernel's GPIO v2 uAPI; another implementation (a
 * simulated chip on a desk, a test's in-memory kernel model) is chosen by the board's
 * {@code gpioDriver.target} configuration, never by accident.
 */
@Export
@Version("1.0.0")
package io.armature.board.jetson.gpio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
