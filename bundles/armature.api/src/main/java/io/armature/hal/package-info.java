/**
 * Hardware abstraction: boards and their channels (digital in/out, PWM, ADC, I2C, UART).
 */
@Export
@Version("2.0.0")
package io.armature.hal;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
