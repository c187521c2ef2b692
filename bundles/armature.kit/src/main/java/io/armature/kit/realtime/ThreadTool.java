package io.armature.kit.realtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of util-linux's scheduling tools ({@code chrt}, {@code taskset}) on a kernel thread:
 * Java has no API for a thread's scheduling class or CPU affinity. Called once per thread, off
 * any hot path.
 */
final class ThreadTool {

    private ThreadTool() {
    }

    /** @return the kernel thread id of the calling thread, or -1 where /proc has none */
    static long currentTid() {
        try {
            // "/proc/thread-self" links to "<pid>/task/<tid>"
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
            return Long.parseLong(link.substring(link.lastIndexOf('/') + 1));
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Runs {@code command} with the calling thread's kernel id appended.
     *
     * @param what what the thread is given, for the message where it has no kernel id
     */
    static RealTimePriority.Result runForCurrentThread(String what, List<String> command, String done, String fix) {
        long tid = currentTid();
        if (tid < 0) {
            return new RealTimePriority.Result(false, "this OS has no /proc/thread-self, so the thread cannot be given " + what);
        }
        List<String> full = new java.util.ArrayList<>(command);
        full.add(Long.toString(tid));
        return run(full, done.replace("{tid}", Long.toString(tid)), fix);
    }

    /**
     * @param done what the result says when the tool succeeded
     * @param fix  what to do when the tool refused, for the message
     */
    static RealTimePriority.Result run(List<String> command, String done, String fix) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new RealTimePriority.Result(false, command.get(0) + " did not answer within 5 s");
            }
            if (p.exitValue() != 0) {
                return new RealTimePriority.Result(false, String.join(" ", command) + " refused (" + out.replace('\n', ' ') + "); " + fix);
            }
            return new RealTimePriority.Result(true, done);
        } catch (IOException e) {
            return new RealTimePriority.Result(false, command.get(0) + " (util-linux) is not installed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new RealTimePriority.Result(false, "interrupted while running " + command.get(0));
        }
    }
}
