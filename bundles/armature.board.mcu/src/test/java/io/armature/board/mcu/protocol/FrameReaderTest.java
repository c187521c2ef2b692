package io.armature.board.mcu.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class FrameReaderTest {

    record Got(int type, int seq, byte[] payload) {
    }

    private final List<Got> got = new ArrayList<>();
    private final FrameReader reader = new FrameReader((type, seq, p, off, len) -> got.add(new Got(type, seq, Arrays.copyOfRange(p, off, off + len))));
    private final FrameWriter writer = new FrameWriter();

    private byte[] frame(int type, int... payload) {
        writer.begin(type);
        for (int b : payload) {
            writer.u8(b);
        }
        int n = writer.finish();
        return Arrays.copyOf(writer.wire(), n);
    }

    private void feed(byte[]... chunks) {
        for (byte[] c : chunks) {
            reader.accept(c, 0, c.length);
        }
    }

    @Test
    void theChecksumIsCrc16CcittFalse() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x29B1, Frames.crc16(check, 0, check.length));
    }

    @Test
    void framesRoundTripWithZerosInThePayloadAndSplitAnywhere() {
        byte[] a = frame(Frames.SET_OUTPUTS, 2, 0, 0, 0xFF, 0xFF, 0, 0);
        byte[] b = frame(Frames.HEARTBEAT, 0, 100);
        for (byte x : a) {
            if (x == 0 && x != a[0] && x != a[a.length - 1]) {
                throw new AssertionError("no 0x00 inside a frame");
            }
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(a);
        all.writeBytes(b);
        byte[] bytes = all.toByteArray();
        for (int i = 0; i < bytes.length; i++) {
            reader.accept(bytes, i, 1); // one byte at a time, as a slow UART delivers them
        }
        assertEquals(2, got.size());
        assertEquals(Frames.SET_OUTPUTS, got.get(0).type());
        assertArrayEquals(new byte[] {2, 0, 0, (byte) 0xFF, (byte) 0xFF, 0, 0}, got.get(0).payload());
        assertEquals(0, got.get(0).seq());
        assertEquals(1, got.get(1).seq());
        assertEquals(0, reader.errors());
    }

    @Test
    void aCorruptFrameIsCountedAndTheNextGoodOneArrives() {
        byte[] bad = frame(Frames.SET_OUTPUTS, 1, 0x40, 0x00);
        bad[3] ^= 0x10; // one flipped bit
        feed(bad, frame(Frames.HEARTBEAT, 0, 100));
        assertEquals(1, got.size());
        assertEquals(Frames.HEARTBEAT, got.get(0).type());
        assertEquals(1, reader.crcErrors());
    }

    @Test
    void aTruncatedFrameCostsOnlyItself() {
        byte[] whole = frame(Frames.SET_OUTPUTS, 1, 0x40, 0x00);
        byte[] cut = Arrays.copyOf(whole, whole.length - 4); // the end never came
        feed(cut, frame(Frames.HEARTBEAT, 0, 100), frame(Frames.HEARTBEAT, 0, 100));
        assertEquals(2, got.size(), "both heartbeats: each frame starts with its own delimiter");
        assertEquals(1, reader.errors());
    }

    @Test
    void garbageAndOversizedRunsAreDroppedWithoutLimitOnWhatTheyCost() {
        byte[] garbage = new byte[100_000];
        Arrays.fill(garbage, (byte) 0x55); // no delimiter for 100 kB
        feed(garbage, frame(Frames.HEARTBEAT, 0, 100));
        assertEquals(1, got.size());
        assertEquals(1, reader.oversized());
        byte[] tiny = {0, 0x02, 0x01, 0};
        feed(tiny);
        assertEquals(1, reader.truncated());
    }

    @Test
    void anotherProtocolVersionIsRefused() {
        // build a version-2 frame by hand: body 02 02 00 | crc
        byte[] body = {2, Frames.HEARTBEAT, 0, 0, 0};
        int crc = Frames.crc16(body, 0, 3);
        body[3] = (byte) (crc >>> 8);
        body[4] = (byte) crc;
        feed(cobs(body));
        assertEquals(0, got.size());
        assertEquals(1, reader.versionErrors());
    }

    @Test
    void sequenceGapsAreCountedAsLostFrames() {
        feed(frame(Frames.HEARTBEAT));
        frame(Frames.HEARTBEAT); // seq 1 and 2 never sent
        frame(Frames.HEARTBEAT);
        feed(frame(Frames.HEARTBEAT));
        assertEquals(2, reader.lostFrames());
        for (int i = 0; i < 300; i++) {
            feed(frame(Frames.HEARTBEAT)); // across the wrap at 256
        }
        assertEquals(2, reader.lostFrames());
    }

    @Test
    void aPayloadAboveTheLimitCannotBeWritten() {
        writer.begin(Frames.SET_OUTPUTS);
        for (int i = 0; i < Frames.MAX_PAYLOAD; i++) {
            writer.u8(1);
        }
        assertThrows(IllegalStateException.class, () -> writer.u8(1));
        int n = writer.finish();
        assertEquals(true, n <= Frames.MAX_WIRE);
        reader.accept(writer.wire(), 0, n);
        assertEquals(Frames.MAX_PAYLOAD, got.get(0).payload().length);
    }

    static byte[] cobs(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        int codeAt = out.size();
        out.write(0);
        int code = 1;
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        List<byte[]> blocks = new ArrayList<>();
        for (byte b : body) {
            if (b == 0) {
                blocks.add(block.toByteArray());
                block.reset();
            } else {
                block.write(b);
            }
        }
        blocks.add(block.toByteArray());
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        w.write(0);
        for (byte[] bl : blocks) {
            w.write(bl.length + 1);
            w.writeBytes(bl);
        }
        w.write(0);
        return w.toByteArray();
    }
}
