package io.armature.itest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Collects what a child process prints, on a daemon thread, for assertions and failure messages. */
final class ProcessOutput {
    private ProcessOutput() {
    }

    /** Appends everything {@code process} prints (stdout, with stderr if redirected into it) to {@code into}. */
    static void collect(Process process, StringBuffer into, String threadName) {
        Thread reader = new Thread(() -> {
            try {
                process.getInputStream().transferTo(new OutputStream() {
                    @Override
                    public void write(int b) {
                        into.append((char) b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        into.append(new String(b, off, len, StandardCharsets.UTF_8));
                    }
                });
            } catch (IOException ignored) {
                // process ended
            }
        }, threadName);
        reader.setDaemon(true);
        reader.start();
    }
}
