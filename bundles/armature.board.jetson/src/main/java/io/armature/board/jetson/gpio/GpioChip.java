package io.armature.board.jetson.gpio;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/** An open GPIO chip. Closing it does not release lines requested from it (as in the kernel). */
@ConsumerType
public interface GpioChip extends AutoCloseable {

    /** @return the chip's name, for example {@code gpiochip0} */
    String name();

    /** @return the chip's label, which names its controller, for example {@code tegra234-gpio} */
    String label();

    /** @return the number of lines, offsets 0..lines-1 */
    int lines();

    /**
     * Requests one line as an output, driven to {@code initial} from the moment it is granted.
     *
     * @param offset   the line offset, 0..lines()-1
     * @param consumer who holds it, shown by {@code gpioinfo} (at most 31 characters are kept)
     * @throws IOException when the offset is out of range ({@code EINVAL}) or the line is held
     *                     by someone else ({@code EBUSY})
     */
    GpioLine requestOutput(int offset, boolean initial, String consumer) throws IOException;

    /**
     * Requests one line as an input that reports both edges, timestamped on the monotonic clock.
     *
     * @throws IOException as {@link #requestOutput}
     */
    GpioLine requestInput(int offset, String consumer) throws IOException;

    @Override
    void close() throws IOException;
}
