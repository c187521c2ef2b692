package io.armature.safety.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A Linux hardware watchdog device ({@code /dev/watchdog}): opening it arms it, every write
 * feeds it, and only writing the magic character 'V' before closing disarms it. Closing
 * without 'V' leaves it armed, so a supervisor that dies or is stopped lets the hardware reset
 * the machine when the timeout runs out.
 */
final class Watchdog implements AutoCloseable {

    static final byte FEED = 'k';
    static final byte MAGIC_CLOSE = 'V';

    private final Path device;
    private OutputStream out;

    private Watchdog(Path device, OutputStream out) {
        this.device = device;
        this.out = out;
    }

    /** Opens (and so arms) the device. */
    static Watchdog open(Path device) throws IOException {
        return new Watchdog(device, Files.newOutputStream(device, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** Feeds it; called from the supervisor only while everything is healthy. */
    void feed() throws IOException {
        out.write(FEED);
        out.flush();
    }

    /** An orderly shutdown of the whole robot: disarm, then close. */
    void disarmAndClose() throws IOException {
        try {
            out.write(MAGIC_CLOSE);
            out.flush();
        } finally {
            out.close();
        }
    }

    /** Closes without disarming: the hardware keeps counting down. */
    @Override
    public void close() throws IOException {
        out.close();
    }

    Path device() {
        return device;
    }
}
