package io.armature.kit.realtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A PM QoS CPU latency request, as cyclictest holds one: while it is held, the kernel keeps
 * every CPU out of idle states that take longer than the target to leave (deep C-states on a
 * board, a halted vCPU has none to refuse). The request lives as long as the file stays open;
 * closing it, or the process ending, withdraws it. Needs write access to
 * {@code /dev/cpu_dma_latency} (root by default).
 */
public final class CpuLatencyRequest implements AutoCloseable {

    /** The kernel's device for the request. */
    public static final Path DEVICE = Path.of("/dev/cpu_dma_latency");

    private final FileChannel channel;
    private final String message;

    private CpuLatencyRequest(FileChannel channel, String message) {
        this.channel = channel;
        this.message = message;
    }

    /** Asks that no CPU take longer than {@code microseconds} to wake, on the kernel's device. */
    public static CpuLatencyRequest hold(int microseconds) {
        return hold(DEVICE, microseconds);
    }

    /** As {@link #hold(int)}, on {@code device}. Never throws: {@link #held()} and {@link #message()} say how it went. */
    public static CpuLatencyRequest hold(Path device, int microseconds) {
        if (microseconds < 0) {
            throw new IllegalArgumentException("a CPU latency target is 0 µs or more, was " + microseconds);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(device, StandardOpenOption.WRITE);
            // the kernel takes the target as a binary 32-bit integer in the CPU's byte order
            ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, microseconds);
            while (value.hasRemaining()) {
                channel.write(value);
            }
            return new CpuLatencyRequest(channel, "CPU wake-up latency held at " + microseconds + " µs (" + device + ")");
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            return new CpuLatencyRequest(null, "CPU wake-up latency not held: " + device + " cannot be written (" + e
                    + "); idle CPUs may take milliseconds to wake; run as root, or give the robot's user write access to it");
        }
    }

    /** @return whether the request is in force */
    public boolean held() {
        return channel != null && channel.isOpen();
    }

    /** @return one line: what is held, or why nothing is */
    public String message() {
        return message;
    }

    /** Withdraws the request. */
    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the request ends with the descriptor either way
            }
        }
    }
}
