package io.armature.board.mcu.protocol;

/**
 * Builds frames into its own buffers: {@link #begin}, the payload fields, then {@link #finish()}
 * gives the wire bytes in {@link #wire()}. Numbers the frames with a sequence that wraps at 256.
 * Allocates nothing after construction; one thread at a time.
 */
public final class FrameWriter {

    private final byte[] body = new byte[Frames.MAX_BODY];
    private final byte[] wire = new byte[Frames.MAX_WIRE];
    private int length; // body bytes so far
    private int seq;
    private int lastSeq = -1;

    /** Starts a frame of {@code type}; any unfinished one is dropped. */
    public FrameWriter begin(int type) {
        body[0] = Frames.VERSION;
        body[1] = (byte) type;
        length = Frames.HEADER;
        return this;
    }

    public FrameWriter u8(int v) {
        room(1);
        body[length++] = (byte) v;
        return this;
    }

    public FrameWriter u16(int v) {
        room(2);
        body[length++] = (byte) (v >>> 8);
        body[length++] = (byte) v;
        return this;
    }

    public FrameWriter i32(int v) {
        room(4);
        body[length++] = (byte) (v >>> 24);
        body[length++] = (byte) (v >>> 16);
        body[length++] = (byte) (v >>> 8);
        body[length++] = (byte) v;
        return this;
    }

    public FrameWriter u32(long v) {
        return i32((int) v);
    }

    public FrameWriter bytes(byte[] b, int offset, int count) {
        room(count);
        System.arraycopy(b, offset, body, length, count);
        length += count;
        return this;
    }

    private void room(int n) {
        if (length + n > Frames.HEADER + Frames.MAX_PAYLOAD) {
            throw new IllegalStateException("frame payload would exceed " + Frames.MAX_PAYLOAD + " bytes");
        }
    }

    /**
     * Numbers, checksums and encodes the frame.
     *
     * @return the number of wire bytes in {@link #wire()}
     */
    public int finish() {
        body[2] = (byte) seq;
        lastSeq = seq;
        seq = (seq + 1) & 0xFF;
        int crc = Frames.crc16(body, 0, length);
        body[length++] = (byte) (crc >>> 8);
        body[length++] = (byte) crc;
        // COBS: 0x00 before and after; no 0x00 inside
        wire[0] = 0;
        int out = 1;
        int codeAt = out++;
        int code = 1;
        for (int i = 0; i < length; i++) {
            if (body[i] == 0) {
                wire[codeAt] = (byte) code;
                codeAt = out++;
                code = 1;
            } else {
                wire[out++] = body[i];
                code++;
                if (code == 0xFF) {
                    wire[codeAt] = (byte) code;
                    codeAt = out++;
                    code = 1;
                }
            }
        }
        wire[codeAt] = (byte) code;
        wire[out++] = 0;
        return out;
    }

    /** @return the wire bytes of the last finished frame, from index 0 */
    public byte[] wire() {
        return wire;
    }

    /** @return the sequence number the last finished frame carried, -1 before the first */
    public int lastSeq() {
        return lastSeq;
    }
}
