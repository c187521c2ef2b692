package io.armature.kit.realtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Puts the calling thread under SCHED_FIFO. Java has no API for it, so the thread finds its
 * own kernel id through {@code /proc/thread-self} and asks {@code chrt} (util-linux). Needs
 * root or CAP_SYS_NICE, and a kernel that grants real-time time (sched_rt_runtime_us). Loop
 * threads and the samplers of the streams loops control on use it.
 */
public final class RealTimePriority {

    /** Outcome: whether the thread now runs at real-time priority, and if not, why not. */
    public record Result(boolean applied, String message) {
    }

    private RealTimePriority() {
    }

    /** @return the kernel thread id of the calling thread, or -1 where /proc has none */
    public static long currentTid() {
        try {
            // "/proc/thread-self" links to "<pid>/task/<tid>"
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
            return Long.parseLong(link.substring(link.lastIndexOf('/') + 1));
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return -1;
        }
    }

    /** Applies SCHED_FIFO at {@code priority} (1..99) to the calling thread. Call once, off the hot path. */
    public static Result applyToCurrentThread(int priority) {
        if (priority < 1 || priority > 99) {
            return new Result(false, "real-time priority is off (configured " + priority + ")");
        }
        long tid = currentTid();
        if (tid < 0) {
            return new Result(false, "this OS has no /proc/thread-self, so the thread cannot be given SCHED_FIFO");
        }
        try {
            Process p = new ProcessBuilder("chrt", "-f", "-p", Integer.toString(priority), Long.toString(tid))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(false, "chrt did not answer within 5 s");
            }
            if (p.exitValue() != 0) {
                return new Result(false, "chrt -f -p " + priority + " refused (" + out.replace('\n', ' ')
                        + "); run as root or grant CAP_SYS_NICE (see README, running as a service)");
            }
            return new Result(true, "SCHED_FIFO priority " + priority + " on thread " + tid);
        } catch (IOException e) {
            return new Result(false, "chrt (util-linux) is not installed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted while setting real-time priority");
        }
    }

}
