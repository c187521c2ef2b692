package io.armature.hal;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/** A UART (serial port). */
@ProviderType
public interface UartPort extends Channel {

    /** @return the baud rate in bits per second */
    int baudRate();

    /** Writes bytes; returns when they are queued to the port. */
    void write(byte[] data, int offset, int length) throws IOException;

    /**
     * Reads up to {@code length} bytes, waiting at most {@code timeoutMillis}.
     *
     * @return the number of bytes read, 0 on time-out
     */
    int read(byte[] buffer, int offset, int length, int timeoutMillis) throws IOException;
}
