package io.armature.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real serial line for tests: two pseudo-terminals joined by socat, in raw mode, reached through
 * two stable links, {@code host} and {@code device}, in a directory. {@link #kill()} makes the line
 * vanish as an unplugged USB serial adapter does; {@link #restart()} brings it back under the same
 * names. Needs socat (scripts/install-test-deps.sh installs it).
 */
public final class PtyPair implements AutoCloseable {

    private final Path host;
    private final Path device;
    private Process socat;

    private PtyPair(Path dir) {
        this.host = dir.resolve("host");
        this.device = dir.resolve("device");
    }

    /** Starts socat and waits (5 s at most) until both ends exist. */
    public static PtyPair open(Path dir) throws IOException, InterruptedException {
        PtyPair p = new PtyPair(dir);
        p.restart();
        return p;
    }

    /** The end the runtime opens. */
    public Path host() {
        return host;
    }

    /** The end the microcontroller (or its simulator) opens. */
    public Path device() {
        return device;
    }

    /** Starts socat again after {@link #kill()}: a new pty pair under the same two names. */
    public void restart() throws IOException, InterruptedException {
        if (socat != null && socat.isAlive()) {
            throw new IllegalStateException("socat is already running");
        }
        Files.deleteIfExists(host);
        Files.deleteIfExists(device);
        socat = new ProcessBuilder("socat", "pty,raw,echo=0,link=" + host, "pty,raw,echo=0,link=" + device)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(Files.exists(host) && Files.exists(device))) {
            if (!socat.isAlive()) {
                throw new IOException("socat exited with " + socat.exitValue() + " before making the pty pair");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("socat made no pty pair within 5 s");
            }
            Thread.sleep(10);
        }
    }

    /** The line vanishes: socat dies and both ptys close. */
    public void kill() throws InterruptedException {
        if (socat != null) {
            socat.destroy();
            socat.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
