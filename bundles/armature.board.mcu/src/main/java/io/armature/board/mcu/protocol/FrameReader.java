package io.armature.board.mcu.protocol;

/**
 * Parses a byte stream into frames. Resynchronizes on every 0x00 delimiter: whatever was wrong
 * with one frame (bad COBS, bad CRC, too long, too short, another version) is counted and
 * dropped, and the next good frame is delivered. A frame is delivered only when its checksum
 * and version are right; what its payload means is for the handler to check. Counts sequence
 * gaps as lost frames. Allocates nothing after construction; one thread at a time.
 */
public final class FrameReader {

    /** Receives each good frame; {@code payload} is valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        void onFrame(int type, int seq, byte[] payload, int offset, int length);
    }

    private final Handler handler;
    private final byte[] encoded = new byte[Frames.MAX_ENCODED];
    private final byte[] body = new byte[Frames.MAX_BODY];
    private int n;
    private boolean overflow;
    private int expectedSeq = -1;

    private long frames;
    private long crcErrors;
    private long framingErrors;
    private long oversized;
    private long truncated;
    private long versionErrors;
    private long lostFrames;

    public FrameReader(Handler handler) {
        this.handler = handler;
    }

    /** Takes the next bytes of the stream, delivering every frame they complete. */
    public void accept(byte[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = data[i];
            if (b == 0) {
                endOfFrame();
            } else if (n < encoded.length) {
                encoded[n++] = b;
            } else {
                overflow = true; // keep dropping until the next delimiter
            }
        }
    }

    private void endOfFrame() {
        if (overflow) {
            oversized++;
        } else if (n > 0) {
            decode();
        }
        n = 0;
        overflow = false;
    }

    private void decode() {
        int in = 0;
        int out = 0;
        while (in < n) {
            int code = encoded[in++] & 0xFF;
            if (in + code - 1 > n) {
                framingErrors++; // a COBS code pointing past the end: bytes were lost
                return;
            }
            for (int k = 1; k < code; k++) {
                body[out++] = encoded[in++];
            }
            if (code < 0xFF && in < n) {
                body[out++] = 0;
            }
        }
        if (out < Frames.MIN_BODY) {
            truncated++;
            return;
        }
        int crc = Frames.u16(body, out - Frames.CRC);
        if (Frames.crc16(body, 0, out - Frames.CRC) != crc) {
            crcErrors++;
            return;
        }
        if (body[0] != Frames.VERSION) {
            versionErrors++;
            return;
        }
        frames++;
        int seq = body[2] & 0xFF;
        if (expectedSeq >= 0 && seq != expectedSeq) {
            lostFrames += (seq - expectedSeq) & 0xFF;
        }
        expectedSeq = (seq + 1) & 0xFF;
        handler.onFrame(body[1] & 0xFF, seq, body, Frames.HEADER, out - Frames.MIN_BODY);
    }

    /** Forgets a partial frame and the expected sequence, as after a reconnect. */
    public void reset() {
        n = 0;
        overflow = false;
        expectedSeq = -1;
    }

    /** @return good frames delivered */
    public long frames() {
        return frames;
    }

    public long crcErrors() {
        return crcErrors;
    }

    /** @return frames whose COBS encoding was broken */
    public long framingErrors() {
        return framingErrors;
    }

    /** @return frames longer than the largest allowed */
    public long oversized() {
        return oversized;
    }

    /** @return frames shorter than a header and checksum */
    public long truncated() {
        return truncated;
    }

    public long versionErrors() {
        return versionErrors;
    }

    /** @return frames missing from the sequence */
    public long lostFrames() {
        return lostFrames;
    }

    /** @return every frame dropped as bad */
    public long errors() {
        return crcErrors + framingErrors + oversized + truncated + versionErrors;
    }
}
