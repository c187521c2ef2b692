package io.armature.board.mcu.internal;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;

import org.osgi.service.log.Logger;

/**
 * Keeps the serial link up, on its own thread: opens the port (trying again every
 * {@code reconnectMillis} while it is missing or refuses, with one WARN for each new reason),
 * and runs a {@link McuSession} over it; when the session ends (the port went away, the
 * microcontroller fell silent or was refused, and the session closed the port) it starts over.
 */
final class McuLink {

    private static final long MS = 1_000_000L;

    private final String id;
    private final SerialLink.Settings line;
    private final int reconnectMillis;
    private final McuSession session;
    private final Logger log;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile SerialLink port;

    McuLink(String id, SerialLink.Settings line, int reconnectMillis, McuSession session, Logger log) {
        this.id = id;
        this.line = line;
        this.reconnectMillis = reconnectMillis;
        this.session = session;
        this.log = log;
        this.thread = new Thread(this::linkLoop, "armature-mcu-" + id);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the link thread, closing the port to wake its read; waits up to 2 s for it. */
    void stop() {
        running = false;
        SerialLink p = port;
        if (p != null) {
            p.close();
        }
        LockSupport.unpark(thread);
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void linkLoop() {
        byte[] buf = new byte[1024];
        String lastFailure = null;
        while (running) {
            SerialLink p;
            try {
                p = SerialLink.open(line);
            } catch (IOException | RuntimeException e) {
                if (!e.getMessage().equals(lastFailure)) {
                    log.warn("board '{}': {}; trying again every {} ms", id, e.getMessage(), reconnectMillis);
                    lastFailure = e.getMessage();
                }
                LockSupport.parkNanos(reconnectMillis * MS);
                continue;
            }
            lastFailure = null;
            port = p;
            session.run(p, buf, () -> running); // closes the port
            port = null;
            if (running) {
                LockSupport.parkNanos(reconnectMillis * MS);
            }
        }
    }
}
