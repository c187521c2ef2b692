package io.armature.recording.read;

import java.nio.charset.StandardCharsets;

/**
 * Reads one ROS 2 message serialized as {@link CdrWriter} writes it: little-endian plain CDR
 * after its 4-byte encapsulation header, each primitive aligned to its own size counted from the
 * end of that header. A message that is cut short, not little-endian CDR, or whose lengths do not
 * fit is refused with {@link IllegalArgumentException} naming what was wrong and where.
 * Not thread-safe.
 */
final class CdrReader {

    private static final int HEADER = 4;
    private final byte[] buf;
    private final int end;
    private int pos;

    /** @throws IllegalArgumentException when the bytes do not start with little-endian CDR's encapsulation header */
    CdrReader(byte[] data) {
        this.buf = data;
        this.end = data.length;
        if (end < HEADER || data[0] != 0x00 || data[1] != 0x01) {
            throw new IllegalArgumentException("not a little-endian CDR message (its encapsulation header is not 00 01)");
        }
        pos = HEADER;
    }

    private void need(int size, String what) {
        if (size < 0 || pos + size > end) {
            throw new IllegalArgumentException("CDR message cut short: " + what + " at byte " + pos + " needs " + size + " of " + (end - pos) + " left");
        }
    }

    private void align(int size) {
        pos += (size - (pos - HEADER) % size) % size;
    }

    boolean bool() {
        need(1, "a bool");
        return buf[pos++] != 0;
    }

    int int32() {
        align(4);
        need(4, "an int32");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (buf[pos++] & 0xff) << (8 * i);
        }
        return v;
    }

    long uint32() {
        return Integer.toUnsignedLong(int32());
    }

    long int64() {
        align(8);
        need(8, "an int64");
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (buf[pos++] & 0xffL) << (8 * i);
        }
        return v;
    }

    double float64() {
        return Double.longBitsToDouble(int64());
    }

    /** A string: its length with the NUL, its UTF-8 bytes, the NUL. */
    String string() {
        long n = uint32();
        if (n < 1 || n > end - pos) {
            throw new IllegalArgumentException("CDR string at byte " + pos + " claims " + n + " bytes with its NUL; " + (end - pos) + " are left");
        }
        String s = new String(buf, pos, (int) n - 1, StandardCharsets.UTF_8);
        pos += (int) n;
        return s;
    }

    /** @return the length of a sequence, checked against what is left at {@code elementBytes} each */
    int sequence(int elementBytes) {
        long n = uint32();
        if (n * elementBytes > end - pos) {
            throw new IllegalArgumentException("CDR sequence at byte " + pos + " claims " + n + " elements; " + (end - pos) + " bytes are left");
        }
        return (int) n;
    }

    /** builtin_interfaces/Time, in nanoseconds since the epoch. */
    long time() {
        long sec = int32();
        return sec * 1_000_000_000L + uint32();
    }
}
