package io.armature.board.jetson.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.osgi.service.component.annotations.Component;

import com.sun.jna.LastErrorException;

import io.armature.board.jetson.gpio.GpioChip;
import io.armature.board.jetson.gpio.GpioDriver;
import io.armature.board.jetson.gpio.GpioEdge;
import io.armature.board.jetson.gpio.GpioLine;

/**
 * GPIO through the kernel's character device, {@code /dev/gpiochipN}, with the v2 line API: one
 * line request per line, values through {@code GPIO_V2_LINE_GET/SET_VALUES_IOCTL}, edges read
 * from the line's file descriptor. Needs read-write access to the device node (group
 * {@code gpio} with the udev rule in {@code runtime-config/jetson-vision/}), not root.
 */
@Component(property = GpioDriver.PROPERTY_DRIVER + "=chardev")
public final class ChardevGpioDriver implements GpioDriver {

    @Override
    public GpioChip open(Path device) throws IOException {
        if (!Files.exists(device)) {
            throw new NoSuchFileException(device.toString(), null, "no such GPIO chip");
        }
        LibC c = LibC.Holder.INSTANCE;
        int fd;
        try {
            fd = c.open(device.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException(device + ": cannot open: " + e.getMessage()
                    + (e.getErrorCode() == 13 ? " (is the user in group gpio?)" : ""));
        }
        GpioUapi.ChipInfo info = new GpioUapi.ChipInfo();
        try {
            c.ioctl(fd, GpioUapi.GPIO_GET_CHIPINFO_IOCTL, info);
        } catch (LastErrorException e) {
            c.close(fd);
            throw new IOException(device + " is not a GPIO chip: GPIO_GET_CHIPINFO_IOCTL failed: " + e.getMessage());
        }
        return new Chip(device, fd, GpioUapi.string(info.name), GpioUapi.string(info.label), info.lines);
    }

    private static final class Chip implements GpioChip {
        private final Path device;
        private final int fd;
        private final String name;
        private final String label;
        private final int lines;
        private boolean closed;

        Chip(Path device, int fd, String name, String label, int lines) {
            this.device = device;
            this.fd = fd;
            this.name = name;
            this.label = label;
            this.lines = lines;
        }

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
            return lines;
        }

        @Override
        public GpioLine requestOutput(int offset, boolean initial, String consumer) throws IOException {
            GpioUapi.LineRequest r = request(offset, consumer);
            r.config.flags = GpioUapi.GPIO_V2_LINE_FLAG_OUTPUT;
            // the initial level is part of the request: the line never shows another level
            r.config.num_attrs = 1;
            r.config.attrs[0].attr.id = GpioUapi.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
            r.config.attrs[0].attr.value = initial ? 1 : 0;
            r.config.attrs[0].mask = 1;
            return submit(r, offset, true);
        }

        @Override
        public GpioLine requestInput(int offset, String consumer) throws IOException {
            GpioUapi.LineRequest r = request(offset, consumer);
            r.config.flags = GpioUapi.GPIO_V2_LINE_FLAG_INPUT | GpioUapi.GPIO_V2_LINE_FLAG_EDGE_RISING
                    | GpioUapi.GPIO_V2_LINE_FLAG_EDGE_FALLING;
            r.event_buffer_size = 64;
            return submit(r, offset, false);
        }

        private GpioUapi.LineRequest request(int offset, String consumer) throws IOException {
            if (closed) {
                throw new IOException(device + " is closed");
            }
            GpioUapi.LineRequest r = new GpioUapi.LineRequest();
            r.offsets[0] = offset;
            r.num_lines = 1;
            byte[] c = consumer.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(c, 0, r.consumer, 0, Math.min(c.length, GpioUapi.GPIO_MAX_NAME_SIZE - 1));
            return r;
        }

        private GpioLine submit(GpioUapi.LineRequest r, int offset, boolean output) throws IOException {
            try {
                LibC.Holder.INSTANCE.ioctl(fd, GpioUapi.GPIO_V2_GET_LINE_IOCTL, r);
            } catch (LastErrorException e) {
                throw new IOException(device + " line " + offset + ": cannot request it: " + e.getMessage());
            }
            return new Line(device + " line " + offset, offset, r.fd, output);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                LibC.Holder.INSTANCE.close(fd);
            }
        }
    }

    private static final class Line implements GpioLine {
        private final String what;
        private final int offset;
        private final int fd;
        private final boolean output;
        private final GpioUapi.LineValues values = new GpioUapi.LineValues();
        private final GpioUapi.PollFd poll = new GpioUapi.PollFd();
        private final GpioUapi.LineEvent event = new GpioUapi.LineEvent();
        private volatile boolean closed;

        Line(String what, int offset, int fd, boolean output) {
            this.what = what;
            this.offset = offset;
            this.fd = fd;
            this.output = output;
        }

        @Override
        public int offset() {
            return offset;
        }

        @Override
        public synchronized boolean get() throws IOException {
            check();
            values.bits = 0;
            values.mask = 1;
            try {
                LibC.Holder.INSTANCE.ioctl(fd, GpioUapi.GPIO_V2_LINE_GET_VALUES_IOCTL, values);
            } catch (LastErrorException e) {
                throw new IOException(what + ": cannot read: " + e.getMessage());
            }
            return (values.bits & 1) != 0;
        }

        @Override
        public synchronized void set(boolean high) throws IOException {
            check();
            if (!output) {
                throw new IOException(what + " is an input; it cannot be driven");
            }
            values.bits = high ? 1 : 0;
            values.mask = 1;
            try {
                LibC.Holder.INSTANCE.ioctl(fd, GpioUapi.GPIO_V2_LINE_SET_VALUES_IOCTL, values);
            } catch (LastErrorException e) {
                throw new IOException(what + ": cannot drive: " + e.getMessage());
            }
        }

        @Override
        public boolean awaitEdge(GpioEdge into, long timeoutMillis) throws IOException {
            check();
            if (output) {
                throw new IOException(what + " is an output; it reports no edges");
            }
            LibC c = LibC.Holder.INSTANCE;
            poll.fd = fd;
            poll.events = LibC.POLLIN;
            poll.revents = 0;
            try {
                if (c.poll(poll, 1, (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeoutMillis))) == 0) {
                    return false;
                }
                c.read(fd, event, event.size());
            } catch (LastErrorException e) {
                if (e.getErrorCode() == 4) { // EINTR
                    return false;
                }
                throw new IOException(what + ": cannot read edges: " + e.getMessage());
            }
            into.rising = event.id == GpioUapi.GPIO_V2_LINE_EVENT_RISING_EDGE;
            into.timestampNanos = event.timestamp_ns;
            into.sequence = Integer.toUnsignedLong(event.line_seqno);
            return true;
        }

        private void check() throws IOException {
            if (closed) {
                throw new IOException(what + " was released");
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            LibC.Holder.INSTANCE.close(fd);
        }
    }
}
