package io.armature.kit.realtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

/**
 * Which CPUs a thread may run on, and its scheduling class when it should only use idle time.
 * The real-time CPU is the one loop threads are pinned to; every other thread of the JVM is
 * kept off it where the machine has another CPU.
 */
public final class CpuPlacement {

    private CpuPlacement() {
    }

    /** Pins the calling thread to {@code cpu}. Call once, off the hot path. */
    public static RealTimePriority.Result pinCurrentThread(int cpu) {
        return ThreadTool.runForCurrentThread("a CPU", List.of("taskset", "-p", "-c", Integer.toString(cpu)), "pinned to CPU " + cpu,
                "the CPU must be online and allowed to this process (cgroup cpuset)");
    }

    /**
     * Puts the calling thread in SCHED_IDLE: it runs only when its CPU has nothing else to run,
     * and yields to any other thread at once. Needs no privilege.
     */
    public static RealTimePriority.Result idleClassCurrentThread() {
        return ThreadTool.runForCurrentThread("SCHED_IDLE", List.of("chrt", "-i", "-p", "0"), "SCHED_IDLE", "SCHED_IDLE needs a Linux kernel");
    }

    /**
     * Moves every thread of this JVM off {@code cpu}, onto the rest of {@code cpus}. Threads
     * started later inherit the mask of the thread that starts them, so they stay off it too; a
     * thread that belongs on it pins itself there afterwards ({@link #pinCurrentThread}).
     *
     * @param cpus the CPUs the JVM's threads may use (those it was started with, or those online)
     */
    public static RealTimePriority.Result keepProcessOff(int cpu, BitSet cpus) {
        BitSet others = (BitSet) cpus.clone();
        others.clear(cpu);
        if (others.isEmpty()) {
            return new RealTimePriority.Result(false, "the JVM has no CPU but " + cpu + " (" + format(cpus)
                    + "); the other threads stay beside the loops");
        }
        return spreadProcess(others);
    }

    /** Lets every thread of this JVM run on any of {@code cpus}: undoes {@link #keepProcessOff}, and any pinning. */
    public static RealTimePriority.Result spreadProcess(BitSet cpus) {
        String list = format(cpus);
        return ThreadTool.run(List.of("taskset", "-a", "-p", "-c", list, Long.toString(ProcessHandle.current().pid())),
                "the JVM's other threads run on CPU " + list, "the CPUs must be allowed to this process (cgroup cpuset)");
    }

    /** @return the CPUs online, read from {@code sys/devices/system/cpu/online} under {@code root}; empty where it cannot be read */
    public static BitSet online(Path root) {
        return parse(read(root.resolve("sys/devices/system/cpu/online")));
    }

    /** @return the CPUs the calling thread may run on, from {@code /proc/thread-self/status}; empty where it cannot be read */
    public static BitSet currentThreadAffinity() {
        for (String line : read(Path.of("/proc/thread-self/status")).split("\n")) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return parse(line.substring(line.indexOf(':') + 1));
            }
        }
        return new BitSet();
    }

    /** @return the CPUs of a kernel CPU list ("0-3,6"); empty for an empty or malformed list */
    public static BitSet parse(String list) {
        BitSet cpus = new BitSet();
        String text = list == null ? "" : list.trim();
        if (text.isEmpty()) {
            return cpus;
        }
        try {
            for (String part : text.split(",")) {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(part.substring(0, dash < 0 ? part.length() : dash).trim());
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1).trim());
                if (from < 0 || to < from || to > 4095) {
                    return new BitSet();
                }
                cpus.set(from, to + 1);
            }
        } catch (NumberFormatException e) {
            return new BitSet();
        }
        return cpus;
    }

    /** @return the kernel CPU list of {@code cpus} ("0-3,6"), or "none" */
    public static String format(BitSet cpus) {
        StringBuilder b = new StringBuilder();
        for (int from = cpus.nextSetBit(0); from >= 0; from = cpus.nextSetBit(from + 1)) {
            int to = cpus.nextClearBit(from) - 1;
            b.append(b.length() == 0 ? "" : ",").append(from);
            if (to > from) {
                b.append('-').append(to);
            }
            from = to;
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    /** @return a file of procfs or sysfs, trimmed, or "" where it cannot be read */
    public static String read(Path file) {
        // not Files.readString: procfs reports a size that makes it stop after the first byte
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
