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
 *
 * <p>Without a timeout to set it is written through Java's streams. With one, it is opened,
 * written and set through libc ({@code ioctl WDIOC_SETTIMEOUT}, then {@code WDIOC_GETTIMEOUT},
 * since drivers round) by {@link LibcWatchdog}, which needs JNA.
 */
abstract class Watchdog implements AutoCloseable {

    static final byte FEED = 'k';
    static final byte MAGIC_CLOSE = 'V';

    private final Path device;

    Watchdog(Path device) {
        this.device = device;
    }

    /**
     * Opens (and so arms) the device.
     *
     * @param timeoutSeconds the timeout to set, 1..3600; 0 leaves the driver's own
     * @throws IOException when it cannot be opened, or the timeout cannot be set (then it is
     *                     closed again without the magic character: armed at its default)
     */
    static Watchdog open(Path device, int timeoutSeconds) throws IOException {
        if (timeoutSeconds == 0) {
            return new StreamWatchdog(device, Files.newOutputStream(device, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        }
        try {
            return LibcWatchdog.open(device, timeoutSeconds);
        } catch (NoClassDefFoundError e) {
            throw new IOException("setting watchdogTimeoutSeconds needs JNA (the bundle com.sun.jna, net.java.dev.jna:jna) in the feature");
        }
    }

    /** @return the timeout in seconds as the driver has it; 0 when it was not set through this class */
    abstract int timeoutSeconds();

    /** Feeds it; called from the supervisor only while everything is healthy. */
    abstract void feed() throws IOException;

    /** An orderly shutdown of the whole robot: disarm, then close. */
    abstract void disarmAndClose() throws IOException;

    /** Closes without disarming: the hardware keeps counting down. */
    @Override
    public abstract void close() throws IOException;

    Path device() {
        return device;
    }

    private static final class StreamWatchdog extends Watchdog {
        private final OutputStream out;

        StreamWatchdog(Path device, OutputStream out) {
            super(device);
            this.out = out;
        }

        @Override
        int timeoutSeconds() {
            return 0;
        }

        @Override
        void feed() throws IOException {
            out.write(FEED);
            out.flush();
        }

        @Override
        void disarmAndClose() throws IOException {
            try {
                out.write(MAGIC_CLOSE);
                out.flush();
            } finally {
                out.close();
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
