package io.armature.recording.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Serializes one ROS 2 message as CDR, the way the ROS 2 middlewares put it on the wire: the
 * 4-byte encapsulation header of little-endian plain CDR ({@code 00 01 00 00}), then the fields,
 * each primitive aligned to its own size counted from the end of that header. The buffer is kept
 * and reused from message to message. Not thread-safe.
 */
final class CdrWriter {

    private static final int HEADER = 4;
    private byte[] buf = new byte[512];
    private int len;

    /** Starts a new message. */
    CdrWriter begin() {
        len = 0;
        ensure(HEADER);
        buf[0] = 0x00;
        buf[1] = 0x01; // CDR_LE
        buf[2] = 0x00;
        buf[3] = 0x00;
        len = HEADER;
        return this;
    }

    byte[] array() {
        return buf;
    }

    int length() {
        return len;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    private void align(int size) {
        int pad = (size - (len - HEADER) % size) % size;
        ensure(pad);
        for (int i = 0; i < pad; i++) {
            buf[len++] = 0;
        }
    }

    CdrWriter bool(boolean v) {
        ensure(1);
        buf[len++] = (byte) (v ? 1 : 0);
        return this;
    }

    CdrWriter int32(int v) {
        align(4);
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    CdrWriter uint32(long v) {
        return int32((int) v);
    }

    CdrWriter int64(long v) {
        align(8);
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    CdrWriter float64(double d) {
        return int64(Double.doubleToRawLongBits(d));
    }

    /** A string: its length with the terminating NUL, its UTF-8 bytes, the NUL. */
    CdrWriter string(String s) {
        return string(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A string kept encoded, for the hot path: {@code utf8} without its NUL. */
    CdrWriter string(byte[] utf8) {
        uint32(utf8.length + 1L);
        ensure(utf8.length + 1);
        System.arraycopy(utf8, 0, buf, len, utf8.length);
        len += utf8.length;
        buf[len++] = 0;
        return this;
    }

    /** builtin_interfaces/Time from nanoseconds since the epoch. */
    CdrWriter time(long epochNanos) {
        return int32((int) Math.floorDiv(epochNanos, 1_000_000_000L)).uint32(Math.floorMod(epochNanos, 1_000_000_000L));
    }
}
