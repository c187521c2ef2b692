package io.armature.board.jetson.internal;

import com.sun.jna.Structure;

/**
 * The kernel's GPIO character device ABI ({@code include/uapi/linux/gpio.h}, v2 line API, Linux
 * 5.10 and later) as JNA structures, for 64-bit Linux (x86-64, aarch64). Field names follow the
 * kernel's so the layouts can be checked against it.
 */
public final class GpioUapi {

    private GpioUapi() {
    }

    static final int GPIO_MAX_NAME_SIZE = 32;
    static final int GPIO_V2_LINES_MAX = 64;
    static final int GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

    static final long GPIO_V2_LINE_FLAG_INPUT = 1L << 2;
    static final long GPIO_V2_LINE_FLAG_OUTPUT = 1L << 3;
    static final long GPIO_V2_LINE_FLAG_EDGE_RISING = 1L << 4;
    static final long GPIO_V2_LINE_FLAG_EDGE_FALLING = 1L << 5;

    static final int GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES = 2;

    static final int GPIO_V2_LINE_EVENT_RISING_EDGE = 1;
    static final int GPIO_V2_LINE_EVENT_FALLING_EDGE = 2;

    // asm-generic ioctl encoding (x86-64 and arm64): dir << 30 | size << 16 | type << 8 | nr
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;
    private static final int GPIO_IOCTL_TYPE = 0xB4;

    static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) GPIO_IOCTL_TYPE << 8) | nr;
    }

    static final long GPIO_GET_CHIPINFO_IOCTL = ioc(IOC_READ, 0x01, 68);
    static final long GPIO_V2_GET_LINE_IOCTL = ioc(IOC_READ | IOC_WRITE, 0x07, 592);
    static final long GPIO_V2_LINE_GET_VALUES_IOCTL = ioc(IOC_READ | IOC_WRITE, 0x0E, 16);
    static final long GPIO_V2_LINE_SET_VALUES_IOCTL = ioc(IOC_READ | IOC_WRITE, 0x0F, 16);

    /** {@code struct gpiochip_info}, 68 bytes. */
    @Structure.FieldOrder({"name", "label", "lines"})
    public static class ChipInfo extends Structure {
        public byte[] name = new byte[GPIO_MAX_NAME_SIZE];
        public byte[] label = new byte[GPIO_MAX_NAME_SIZE];
        public int lines;
    }

    /** {@code struct gpio_v2_line_attribute}, 16 bytes; the union is its widest member, a u64. */
    @Structure.FieldOrder({"id", "padding", "value"})
    public static class LineAttribute extends Structure {
        public int id;
        public int padding;
        public long value;
    }

    /** {@code struct gpio_v2_line_config_attribute}, 24 bytes. */
    @Structure.FieldOrder({"attr", "mask"})
    public static class LineConfigAttribute extends Structure {
        public LineAttribute attr = new LineAttribute();
        public long mask;
    }

    /** {@code struct gpio_v2_line_config}, 272 bytes. */
    @Structure.FieldOrder({"flags", "num_attrs", "padding", "attrs"})
    public static class LineConfig extends Structure {
        public long flags;
        public int num_attrs;
        public int[] padding = new int[5];
        public LineConfigAttribute[] attrs = (LineConfigAttribute[]) new LineConfigAttribute().toArray(GPIO_V2_LINE_NUM_ATTRS_MAX);
    }

    /** {@code struct gpio_v2_line_request}, 592 bytes. */
    @Structure.FieldOrder({"offsets", "consumer", "config", "num_lines", "event_buffer_size", "padding", "fd"})
    public static class LineRequest extends Structure {
        public int[] offsets = new int[GPIO_V2_LINES_MAX];
        public byte[] consumer = new byte[GPIO_MAX_NAME_SIZE];
        public LineConfig config = new LineConfig();
        public int num_lines;
        public int event_buffer_size;
        public int[] padding = new int[5];
        public int fd;
    }

    /** {@code struct gpio_v2_line_values}, 16 bytes. */
    @Structure.FieldOrder({"bits", "mask"})
    public static class LineValues extends Structure {
        public long bits;
        public long mask;
    }

    /** {@code struct gpio_v2_line_event}, 48 bytes. */
    @Structure.FieldOrder({"timestamp_ns", "id", "offset", "seqno", "line_seqno", "padding"})
    public static class LineEvent extends Structure {
        public long timestamp_ns;
        public int id;
        public int offset;
        public int seqno;
        public int line_seqno;
        public int[] padding = new int[6];
    }

    /** {@code struct pollfd}, 8 bytes. */
    @Structure.FieldOrder({"fd", "events", "revents"})
    public static class PollFd extends Structure {
        public int fd;
        public short events;
        public short revents;
    }

    /** @return the bytes up to the first NUL, as ASCII */
    static String string(byte[] nulTerminated) {
        int n = 0;
        while (n < nulTerminated.length && nulTerminated[n] != 0) {
            n++;
        }
        return new String(nulTerminated, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
    }
}
