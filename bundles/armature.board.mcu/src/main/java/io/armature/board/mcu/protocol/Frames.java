package io.armature.board.mcu.protocol;

/**
 * Constants of protocol version 1 and big-endian field access. A frame's body is
 * {@code version(1) type(1) seq(1) payload(0..64) crc(2)}; on the wire it is COBS-encoded and
 * delimited by a 0x00 byte before and after. The README of this bundle is the specification.
 */
public final class Frames {

    private Frames() {
    }

    public static final int VERSION = 1;
    public static final int MAX_PAYLOAD = 64;
    /** version, type, sequence */
    public static final int HEADER = 3;
    public static final int CRC = 2;
    public static final int MIN_BODY = HEADER + CRC;
    public static final int MAX_BODY = HEADER + MAX_PAYLOAD + CRC;
    /** COBS adds one byte per 254 and one overhead byte */
    public static final int MAX_ENCODED = MAX_BODY + MAX_BODY / 254 + 1;
    /** with the delimiter before and after */
    public static final int MAX_WIRE = MAX_ENCODED + 2;

    // host -> microcontroller
    public static final int HELLO = 0x01;
    public static final int HEARTBEAT = 0x02;
    public static final int SET_OUTPUTS = 0x03;
    public static final int SAFE = 0x04;
    public static final int READ_ADC = 0x05;
    public static final int STREAM = 0x06;

    // microcontroller -> host
    public static final int HELLO_REPLY = 0x81;
    public static final int ACK = 0x82;
    public static final int STATUS = 0x83;
    public static final int ADC = 0x84;
    public static final int IMU = 0x85;
    public static final int ENCODERS = 0x86;

    // ACK status
    public static final int OK = 0;
    public static final int BAD_LENGTH = 1;
    public static final int BAD_CHANNEL = 2;
    public static final int BAD_VALUE = 3;
    /** a command that would move an output while the heartbeat has lapsed */
    public static final int REFUSED_SAFE = 4;
    public static final int UNKNOWN_TYPE = 5;

    // STATUS flags
    /** outputs are held safe because heartbeats stopped; cleared by the next heartbeat */
    public static final int FLAG_LAPSED = 1;
    /** outputs are safe because the host sent SAFE; cleared by the next SET_OUTPUTS that moves one */
    public static final int FLAG_SAFE_COMMANDED = 2;

    // STREAM selectors
    public static final int STREAM_IMU = 1;
    public static final int STREAM_ENCODERS = 2;

    /** IMU fields: acceleration LSB in m/s² (±16 g over 16 bits) */
    public static final double ACCEL_LSB = 16 * 9.80665 / 32768;
    /** IMU fields: angular rate LSB in rad/s (±2000 °/s over 16 bits) */
    public static final double GYRO_LSB = Math.toRadians(2000.0 / 32768);

    /** @return a readable name of a frame type, for messages */
    public static String typeName(int type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case HEARTBEAT -> "HEARTBEAT";
            case SET_OUTPUTS -> "SET_OUTPUTS";
            case SAFE -> "SAFE";
            case READ_ADC -> "READ_ADC";
            case STREAM -> "STREAM";
            case HELLO_REPLY -> "HELLO_REPLY";
            case ACK -> "ACK";
            case STATUS -> "STATUS";
            case ADC -> "ADC";
            case IMU -> "IMU";
            case ENCODERS -> "ENCODERS";
            default -> String.format("0x%02X", type);
        };
    }

    /** @return a readable name of an ACK status */
    public static String statusName(int status) {
        return switch (status) {
            case OK -> "ok";
            case BAD_LENGTH -> "bad length";
            case BAD_CHANNEL -> "bad channel";
            case BAD_VALUE -> "bad value";
            case REFUSED_SAFE -> "refused: outputs held safe (heartbeat lapsed)";
            case UNKNOWN_TYPE -> "unknown frame type";
            default -> "status " + status;
        };
    }

    public static int u8(byte[] b, int at) {
        return b[at] & 0xFF;
    }

    public static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    public static int i16(byte[] b, int at) {
        return (short) u16(b, at);
    }

    public static int i32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    public static long u32(byte[] b, int at) {
        return i32(b, at) & 0xFFFF_FFFFL;
    }

    /** CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR ("123456789" gives 0x29B1). */
    public static int crc16(byte[] b, int offset, int length) {
        int crc = 0xFFFF;
        for (int i = offset; i < offset + length; i++) {
            crc = (crc << 8 ^ CRC_TABLE[(crc >>> 8 ^ b[i]) & 0xFF]) & 0xFFFF;
        }
        return crc;
    }

    private static final int[] CRC_TABLE = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i << 8;
            for (int k = 0; k < 8; k++) {
                c = (c & 0x8000) != 0 ? (c << 1 ^ 0x1021) : c << 1;
            }
            CRC_TABLE[i] = c & 0xFFFF;
        }
    }
}
