package io.armature.board.mcu.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The parser against millions of seeded random inputs: pure noise, and good frames mutated the
 * ways a serial line mangles them (flipped bits, dropped, duplicated and inserted bytes, cut
 * short, run together). No input may throw, hang or grow memory (the reader has fixed buffers),
 * every good frame after a delimiter must still arrive, and nothing that fails its checksum may
 * be delivered. Seeded, so a failure is reproducible.
 */
class FrameReaderFuzzTest {

    private static final long SEED = 0x4152_4D41_5455_5245L;

    @Test
    void noiseNeverThrowsAndNeverDeliversAFrameThatFailedItsChecksum() {
        long[] delivered = new long[1];
        FrameReader reader = new FrameReader((type, seq, p, off, len) -> {
            // what was delivered passed the CRC: re-check it from the body the reader holds
            assertTrue(len >= 0 && len <= Frames.MAX_PAYLOAD);
            int bodyLength = Frames.HEADER + len + Frames.CRC;
            assertEquals(Frames.u16(p, off + len), Frames.crc16(p, 0, bodyLength - Frames.CRC));
            delivered[0]++;
        });
        SplittableRandom random = new SplittableRandom(SEED);
        byte[] chunk = new byte[4096];
        long bytes = 0;
        for (int round = 0; round < 2_000; round++) {
            int n = 1 + random.nextInt(chunk.length);
            for (int i = 0; i < n; i++) {
                // zeros often enough to cut the noise into frame-sized pieces
                chunk[i] = random.nextInt(16) == 0 ? 0 : (byte) random.nextInt(256);
            }
            reader.accept(chunk, 0, n);
            bytes += n;
        }
        assertTrue(bytes > 4_000_000, "millions of bytes: " + bytes);
        assertTrue(reader.errors() > 100_000, "noise is counted as errors: " + reader.errors());
        // a random 16-bit checksum passes about once in 65536 candidate frames; each such frame
        // was checked above, and there are few
        assertTrue(delivered[0] < reader.errors() / 1000, "delivered " + delivered[0]);
    }

    @Test
    void mangledFramesCostOnlyThemselves() {
        long[] good = new long[1];
        FrameReader reader = new FrameReader((type, seq, p, off, len) -> {
            if (type == Frames.HEARTBEAT && len == 2 && Frames.u16(p, off) == 1234) {
                good[0]++;
            }
        });
        FrameWriter writer = new FrameWriter();
        SplittableRandom random = new SplittableRandom(SEED + 1);
        byte[] mangled = new byte[Frames.MAX_WIRE * 4];
        int frames = 1_000_000;
        int intact = 0;
        for (int f = 0; f < frames; f++) {
            // a frame that will be mangled: random type and payload
            writer.begin(random.nextInt(256));
            int len = random.nextInt(Frames.MAX_PAYLOAD + 1);
            for (int i = 0; i < len; i++) {
                writer.u8(random.nextInt(256));
            }
            int n = writer.finish();
            int m = mangle(writer.wire(), n, mangled, random);
            reader.accept(mangled, 0, m);
            // then an intact heartbeat, which must always arrive
            writer.begin(Frames.HEARTBEAT).u16(1234);
            int h = writer.finish();
            reader.accept(writer.wire(), 0, h);
            intact++;
        }
        assertEquals(intact, good[0], "every intact frame after a mangled one arrived");
        assertTrue(reader.errors() > frames / 2, "the mangled ones were counted: " + reader.errors());
    }

    /** One of: flip bits, drop a byte, duplicate a byte, insert noise, cut short, lose the trailing delimiter. */
    private static int mangle(byte[] in, int n, byte[] out, SplittableRandom random) {
        System.arraycopy(in, 0, out, 0, n);
        int at = 1 + random.nextInt(n - 2);
        switch (random.nextInt(6)) {
            case 0 -> {
                out[at] ^= (byte) (1 << random.nextInt(8));
                return n;
            }
            case 1 -> {
                System.arraycopy(in, at + 1, out, at, n - at - 1);
                return n - 1;
            }
            case 2 -> {
                System.arraycopy(in, at, out, at + 1, n - at);
                return n + 1;
            }
            case 3 -> {
                int k = 1 + random.nextInt(8);
                System.arraycopy(in, at, out, at + k, n - at);
                for (int i = 0; i < k; i++) {
                    out[at + i] = (byte) (1 + random.nextInt(255));
                }
                return n + k;
            }
            case 4 -> {
                return at; // cut short: the rest never came
            }
            default -> {
                return n - 1; // the closing delimiter was lost
            }
        }
    }
}
