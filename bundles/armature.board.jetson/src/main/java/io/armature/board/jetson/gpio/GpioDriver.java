package io.armature.board.jetson.gpio;

import java.io.IOException;
import java.nio.file.Path;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens GPIO chips. Registered as a service with {@link #PROPERTY_DRIVER}; the board picks one
 * through its {@code gpioDriver.target} filter.
 */
@ConsumerType
public interface GpioDriver {

    /**
     * Service property ({@code String}): which driver this is. The backend's own driver over the
     * kernel's character device is {@code chardev}.
     */
    String PROPERTY_DRIVER = "armature.gpio.driver";

    /**
     * Opens a chip.
     *
     * @param device the chip's device node, for example {@code /dev/gpiochip0}
     * @throws java.nio.file.NoSuchFileException when there is no such device
     * @throws IOException                        when it cannot be opened or is not a GPIO chip;
     *                                            the message names the device and the reason
     */
    GpioChip open(Path device) throws IOException;
}
