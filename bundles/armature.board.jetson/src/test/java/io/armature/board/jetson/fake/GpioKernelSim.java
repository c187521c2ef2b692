package io.armature.board.jetson.fake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.armature.board.jetson.gpio.GpioChip;
import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;

/**
 * An in-memory model of the kernel's GPIO character device, for tests: a line requested twice is
 * busy, an input cannot be driven, edges of an input carry monotonic timestamps and sequence
 * numbers, closing a request releases the line, and a released line answers nothing. A chip is
 * opened through a device node that must exist (an empty file under the test's /dev root).
 */
public final class GpioKernelSim implements GpioDriver {

    private final Map<String, SimChip> chips = new HashMap<>();

    /** Adds a chip, reachable as the device node named {@code name}. */
    public synchronized void addChip(String name, String label, int lines) {
        chips.put(name, new SimChip(name, label, lines));
    }

    @Override
    public synchronized GpioChip open(Path device) throws IOException {
        SimChip chip = chips.get(device.getFileName().toString());
        if (!Files.exists(device) || chip == null) {
            throw new NoSuchFileException(device.toString());
        }
        return chip.handle();
    }

    /** @return the level an output drives, or the level fed to an input */
    public synchronized boolean level(String chip, int offset) {
        return chips.get(chip).levels[offset];
    }

    /** @return who holds the line, or null when it is free */
    public synchronized String consumer(String chip, int offset) {
        Request r = chips.get(chip).holders[offset];
        return r == null ? null : r.consumer;
    }

    /** @return true when the line is held as an output */
    public synchronized boolean isOutput(String chip, int offset) {
        Request r = chips.get(chip).holders[offset];
        return r != null && r.output;
    }

    /** Sets the level seen on an input pin from outside; a change is an edge event for its holder. */
    public void drive(String chip, int offset, boolean high) {
        Request holder;
        synchronized (this) {
            SimChip c = chips.get(chip);
            if (c.levels[offset] == high) {
                return;
            }
            c.levels[offset] = high;
            holder = c.holders[offset];
        }
        if (holder != null && !holder.output) {
            holder.edge(high, System.nanoTime());
        }
    }

    private final class SimChip {
        final String name;
        final String label;
        final boolean[] levels;
        final Request[] holders;

        SimChip(String name, String label, int lines) {
            this.name = name;
            this.label = label;
            this.levels = new boolean[lines];
            this.holders = new Request[lines];
        }

        GpioChip handle() {
            return new GpioChip() {
                private boolean closed;

                @Override
                public String name() {
                    return name;
                }

                @Override
                public String label() {
                    return label;
                }

                @Override
                public int lines() {
                    return levels.length;
                }

                @Override
                public GpioLine requestOutput(int offset, boolean initial, String consumer) throws IOException {
                    return request(offset, consumer, true, initial);
                }

                @Override
                public GpioLine requestInput(int offset, String consumer) throws IOException {
                    return request(offset, consumer, false, false);
                }

                private GpioLine request(int offset, String consumer, boolean output, boolean initial) throws IOException {
                    synchronized (GpioKernelSim.this) {
                        if (closed) {
                            throw new IOException(name + ": Bad file descriptor (EBADF)");
                        }
                        if (offset < 0 || offset >= levels.length) {
                            throw new IOException(name + " line " + offset + ": Invalid argument (EINVAL)");
                        }
                        if (holders[offset] != null) {
                            throw new IOException(name + " line " + offset + ": Device or resource busy (EBUSY)");
                        }
                        Request r = new Request(SimChip.this, offset, consumer, output);
                        holders[offset] = r;
                        if (output) {
                            levels[offset] = initial;
                        }
                        return r;
                    }
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }
    }

    private final class Request implements GpioLine {
        final SimChip chip;
        final int offset;
        final String consumer;
        final boolean output;
        final BlockingQueue<long[]> events = new LinkedBlockingQueue<>();
        long sequence;
        volatile boolean released;

        Request(SimChip chip, int offset, String consumer, boolean output) {
            this.chip = chip;
            this.offset = offset;
            this.consumer = consumer;
            this.output = output;
        }

        void edge(boolean rising, long timestamp) {
            synchronized (GpioKernelSim.this) {
                events.add(new long[] {rising ? 1 : 0, timestamp, ++sequence});
            }
        }

        @Override
        public int offset() {
            return offset;
        }

        @Override
        public boolean get() throws IOException {
            synchronized (GpioKernelSim.this) {
                check();
                return chip.levels[offset];
            }
        }

        @Override
        public void set(boolean high) throws IOException {
            synchronized (GpioKernelSim.this) {
                check();
                if (!output) {
                    throw new IOException(chip.name + " line " + offset + ": Operation not permitted (EPERM)");
                }
                chip.levels[offset] = high;
            }
        }

        @Override
        public boolean awaitEdge(GpioEdge into, long timeoutMillis) throws IOException {
            check();
            if (output) {
                throw new IOException(chip.name + " line " + offset + ": Invalid argument (EINVAL)");
            }
            long[] e;
            try {
                e = events.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (e == null) {
                return false;
            }
            into.rising = e[0] == 1;
            into.timestampNanos = e[1];
            into.sequence = e[2];
            return true;
        }

        private void check() throws IOException {
            if (released) {
                throw new IOException(chip.name + " line " + offset + ": Bad file descriptor (EBADF)");
            }
        }

        @Override
        public void close() {
            synchronized (GpioKernelSim.this) {
                if (!released) {
                    released = true;
                    chip.holders[offset] = null;
                }
            }
        }
    }
}
