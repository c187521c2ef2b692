package io.armature.hal;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/** An I2C bus. Addresses are 7-bit, 0x08..0x77. */
@ProviderType
public interface I2cBus extends Channel {

    /**
     * Writes {@code length} bytes to the register {@code register} of device {@code address}.
     *
     * @throws IOException when the device does not acknowledge
     */
    void writeRegister(int address, int register, byte[] data, int offset, int length) throws IOException;

    /**
     * Reads {@code length} bytes starting at register {@code register} of device
     * {@code address} into {@code buffer}.
     *
     * @throws IOException when the device does not acknowledge
     */
    void readRegister(int address, int register, byte[] buffer, int offset, int length) throws IOException;
}
