package io.armature.mcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class McapReaderWriterTest {

    private static final McapRecord.Schema SCHEMA = new McapRecord.Schema(1, "std_msgs/msg/Float64", "ros2msg",
            "float64 data".getBytes(StandardCharsets.UTF_8));

    /** A file of {@code n} messages on two channels, written with {@code options}. */
    private static byte[] file(McapWriter.Options options, int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (McapWriter w = new McapWriter(out, options)) {
            w.start(new McapRecord.Header("ros2", "armature"));
            w.add(SCHEMA);
            w.add(new McapRecord.Channel(1, 1, "/left", "cdr", Map.of()));
            w.add(new McapRecord.Channel(2, 1, "/right", "cdr", Map.of("offered_qos_profiles", "")));
            w.add(new McapRecord.Metadata("robot", Map.of("feature", "sim-rover")));
            for (int i = 0; i < n; i++) {
                w.add(new McapRecord.Message(1 + i % 2, i, 1_000_000L * i, 1_000_000L * i, new byte[] {(byte) i, 1, 2, 3, 4, 5, 6, 7}));
            }
            w.add(new McapRecord.Attachment(5, 0, "calibration.yaml", "text/yaml", "k: 1".getBytes(StandardCharsets.UTF_8)));
        }
        return out.toByteArray();
    }

    private static McapWriter.Options smallChunks() {
        McapWriter.Options o = McapWriter.Options.indexed();
        return new McapWriter.Options(256, o.messageIndexes(), o.chunkIndexes(), o.statistics(), o.repeatSchemas(), o.repeatChannels(),
                o.attachmentIndexes(), o.metadataIndexes(), o.summaryOffsets(), false);
    }

    @Test
    void messagesWrittenAcrossManyChunksAreReadBackInOrderWithTheSummaryCounting() throws IOException {
        List<McapRecord> read = McapReader.readAll(file(smallChunks(), 100));
        List<McapRecord.Message> messages = read.stream().filter(r -> r instanceof McapRecord.Message).map(r -> (McapRecord.Message) r).toList();
        assertEquals(100, messages.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, messages.get(i).sequence());
            assertEquals(1 + i % 2, messages.get(i).channelId());
            assertEquals(i, messages.get(i).data()[0]);
        }
        McapRecord.Statistics st = read.stream().filter(r -> r instanceof McapRecord.Statistics).map(r -> (McapRecord.Statistics) r).findFirst()
                .orElseThrow();
        assertEquals(100, st.messageCount());
        assertEquals(Map.of(1, 50L, 2, 50L), st.channelMessageCounts());
        assertEquals(0, st.messageStartTime());
        assertEquals(99_000_000L, st.messageEndTime());
        long chunks = read.stream().filter(r -> r instanceof McapRecord.ChunkIndex).count();
        assertTrue(chunks > 10, "256-byte chunks: many of them, each indexed: " + chunks);
        assertEquals(chunks, st.chunkCount());
        assertEquals(1, read.stream().filter(r -> r instanceof McapRecord.AttachmentIndex).count());
        assertEquals(1, read.stream().filter(r -> r instanceof McapRecord.MetadataIndex).count());
    }

    @Test
    void theChunkIndexesPointAtTheirChunksAndTheMessageIndexesAtTheirMessages() throws IOException {
        byte[] f = file(smallChunks(), 30);
        List<McapRecord> read = McapReader.readAll(f);
        for (McapRecord r : read) {
            if (r instanceof McapRecord.ChunkIndex ci) {
                assertEquals(McapRecord.Opcode.CHUNK, f[(int) ci.chunkStartOffset()], "a chunk at " + ci.chunkStartOffset());
                ci.messageIndexOffsets().values().forEach(at -> assertEquals(McapRecord.Opcode.MESSAGE_INDEX, f[(int) (long) at]));
            }
            if (r instanceof McapRecord.SummaryOffset so) {
                assertEquals(so.groupOpcode(), f[(int) so.groupStart()], "the group starts with a record of its opcode");
            }
        }
    }

    @Test
    void aPlainFileHasNoChunksAndNoSummary() throws IOException {
        List<McapRecord> read = McapReader.readAll(file(McapWriter.Options.plain(), 10));
        assertEquals(10, read.stream().filter(r -> r instanceof McapRecord.Message).count());
        McapRecord.Footer footer = (McapRecord.Footer) read.get(read.size() - 1);
        assertEquals(0, footer.summaryStart());
        assertEquals(0, footer.summaryOffsetStart());
    }

    @Test
    void aFlippedByteInTheDataSectionIsACrcErrorNamingWhere() throws IOException {
        byte[] f = file(McapWriter.Options.plain(), 10);
        int message = indexOf(f, new byte[] {5, 1, 2, 3, 4, 5, 6, 7}); // the data of message 5
        f[message] ^= 0x40;
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(f));
        assertTrue(e.getMessage().contains("the data section's CRC-32 is"), e.getMessage());
    }

    @Test
    void aFlippedByteInAChunkIsTheChunksCrcError() throws IOException {
        byte[] f = file(smallChunks(), 10);
        int message = indexOf(f, new byte[] {5, 1, 2, 3, 4, 5, 6, 7});
        f[message] ^= 0x40;
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(f));
        assertTrue(e.getMessage().contains("chunk's CRC-32 is"), e.getMessage());
    }

    @Test
    void aTruncatedFileIsRefusedNamingWhereItEnds() throws IOException {
        byte[] f = file(McapWriter.Options.indexed(), 10);
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(Arrays.copyOf(f, f.length - 30)));
        assertTrue(e.getMessage().contains("the file ends in"), e.getMessage());
        assertThrows(McapFormatException.class, () -> McapReader.readAll("not mcap".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRecordClaimingMoreBytesThanAnyFileIsRefusedNotAllocated() throws IOException {
        byte[] f = file(McapWriter.Options.plain(), 1);
        ByteBuffer.wrap(f, McapWriter.MAGIC.length + 1, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(-2); // the header's length
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(f));
        assertEquals("MCAP at byte 8: record of opcode 0x1 claims 18446744073709551614 bytes", e.getMessage());
    }

    @Test
    void recordsOfUnknownOpcodesAreSkippedAndACompressedChunkIsRefusedClearly() throws IOException {
        // a private record (opcode 0x80) between the header and the first schema
        byte[] f = file(McapWriter.Options.plain(), 1);
        int afterHeader = McapWriter.MAGIC.length + 9 + (int) ByteBuffer.wrap(f, McapWriter.MAGIC.length + 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] withPrivate = new byte[f.length + 12];
        System.arraycopy(f, 0, withPrivate, 0, afterHeader);
        withPrivate[afterHeader] = (byte) 0x80;
        ByteBuffer.wrap(withPrivate, afterHeader + 1, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(3);
        System.arraycopy(f, afterHeader, withPrivate, afterHeader + 12, f.length - afterHeader);
        // its CRC no longer matches the data section: a 0 CRC says none was computed
        int dataEnd = lastIndexOf(withPrivate, McapRecord.Opcode.DATA_END);
        ByteBuffer.wrap(withPrivate, dataEnd + 9, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0);
        List<McapRecord> read = McapReader.readAll(withPrivate);
        assertEquals(1, read.stream().filter(r -> r instanceof McapRecord.Message).count(), "read on past the private record");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(McapWriter.MAGIC);
        RecordBuffer b = new RecordBuffer(false);
        b.header(new McapRecord.Header("", ""));
        b.begin(McapRecord.Opcode.CHUNK).u64(0).u64(0).u64(3).u32(0).string("zstd").u64(3).u8(1).u8(2).u8(3).end(false);
        out.write(b.array(), 0, b.length());
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(out.toByteArray()));
        assertTrue(e.getMessage().startsWith("MCAP at byte 25: chunk compressed with zstd: not a valid zstd frame: "), e.getMessage());

        ByteArrayOutputStream brotli = new ByteArrayOutputStream();
        brotli.write(McapWriter.MAGIC);
        RecordBuffer c = new RecordBuffer(false);
        c.header(new McapRecord.Header("", ""));
        c.begin(McapRecord.Opcode.CHUNK).u64(0).u64(0).u64(3).u32(0).string("brotli").u64(3).u8(1).u8(2).u8(3).end(false);
        brotli.write(c.array(), 0, c.length());
        assertEquals("MCAP at byte 25: chunk compression 'brotli' is not one MCAP names; it has none, lz4 and zstd",
                assertThrows(McapFormatException.class, () -> McapReader.readAll(brotli.toByteArray())).getMessage());
    }

    @Test
    void aMessageOfAChannelNeverAddedAndAChannelOfASchemaNeverAddedAreRefused() throws IOException {
        McapWriter w = new McapWriter(new ByteArrayOutputStream(), McapWriter.Options.indexed());
        w.start(new McapRecord.Header("", ""));
        assertEquals("channel '/x' names schema 7, which was not added",
                assertThrows(IllegalArgumentException.class, () -> w.add(new McapRecord.Channel(1, 7, "/x", "cdr", Map.of()))).getMessage());
        assertEquals("a message of channel 3, which was not added",
                assertThrows(IllegalArgumentException.class, () -> w.add(new McapRecord.Message(3, 0, 0, 0, new byte[0]))).getMessage());
        w.close();
    }

    @Test
    void theWriterReadsBackWhatItWroteForEveryOptionAlone() throws IOException {
        byte[] reference = null;
        for (int bit = 0; bit < 10; bit++) {
            boolean[] on = new boolean[10];
            on[bit] = true;
            boolean chunked = on[0] || on[1] || on[2];
            McapWriter.Options o = new McapWriter.Options(chunked ? 512 : 0, on[1], on[2], on[3], on[4], on[5], on[6], on[7], on[8], on[9]);
            List<McapRecord> read = McapReader.readAll(file(o, 20));
            List<Long> sequences = read.stream().filter(r -> r instanceof McapRecord.Message).map(r -> ((McapRecord.Message) r).sequence()).toList();
            assertEquals(20, sequences.size(), "options " + o);
            byte[] data = ((McapRecord.Message) read.stream().filter(r -> r instanceof McapRecord.Message).reduce((a, b) -> b).orElseThrow()).data();
            if (reference == null) {
                reference = data;
            }
            assertArrayEquals(reference, data);
        }
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i <= in.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /** @return where the last record of this opcode starts: the data end is right before the summary */
    private static int lastIndexOf(byte[] f, int opcode) throws IOException {
        int at = McapWriter.MAGIC.length;
        int found = -1;
        while (at < f.length - McapWriter.MAGIC.length) {
            if (f[at] == opcode) {
                found = at;
            }
            at += 9 + (int) ByteBuffer.wrap(f, at + 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return found;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = ChunkCompression.class, names = {"LZ4", "ZSTD"})
    void compressedChunksReadBackAsWrittenAndTheirIndexesSayHowMuchTheySaved(ChunkCompression c) throws IOException {
        McapWriter.Options o = McapWriter.Options.indexed();
        McapWriter.Options compressed = new McapWriter.Options(4096, o.messageIndexes(), o.chunkIndexes(), o.statistics(), o.repeatSchemas(),
                o.repeatChannels(), o.attachmentIndexes(), o.metadataIndexes(), o.summaryOffsets(), false).compressed(c);
        List<McapRecord> plain = McapReader.readAll(file(compressed.compressed(ChunkCompression.NONE), 500));
        List<McapRecord> read = McapReader.readAll(file(compressed, 500));
        List<McapRecord> messages = read.stream().filter(r -> r instanceof McapRecord.Message).toList();
        java.util.function.Function<McapRecord, String> content = r -> {
            McapRecord.Message m = (McapRecord.Message) r;
            return m.channelId() + "/" + m.sequence() + "/" + m.logTime() + "/" + Arrays.toString(m.data());
        };
        assertEquals(plain.stream().filter(r -> r instanceof McapRecord.Message).map(content).toList(), messages.stream().map(content).toList(),
                "the same messages as uncompressed");
        List<McapRecord.ChunkIndex> chunks = read.stream().filter(r -> r instanceof McapRecord.ChunkIndex).map(r -> (McapRecord.ChunkIndex) r).toList();
        assertTrue(chunks.size() > 2, "several chunks: " + chunks.size());
        for (McapRecord.ChunkIndex ci : chunks) {
            assertEquals(c.mcapName(), ci.compression());
            assertTrue(ci.compressedSize() < ci.uncompressedSize() / 2, "repetitive records compress: " + ci.compressedSize() + " of " + ci.uncompressedSize());
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = ChunkCompression.class, names = {"LZ4", "ZSTD"})
    void aDamagedCompressedChunkIsRefusedNamingItsCompression(ChunkCompression c) throws IOException {
        McapWriter.Options o = McapWriter.Options.indexed().compressed(c);
        byte[] f = file(o, 200);
        List<McapRecord.ChunkIndex> chunks = McapReader.readAll(f).stream().filter(r -> r instanceof McapRecord.ChunkIndex)
                .map(r -> (McapRecord.ChunkIndex) r).toList();
        McapRecord.ChunkIndex first = chunks.get(0);
        int data = (int) (first.chunkStartOffset() + first.chunkLength() - first.compressedSize()); // the compressed records end the chunk
        byte[] cut = f.clone();
        for (int i = 0; i < 8; i++) {
            cut[data + i] ^= (byte) 0xA5; // the frame's header
        }
        McapFormatException e = assertThrows(McapFormatException.class, () -> McapReader.readAll(cut));
        assertTrue(e.getMessage().startsWith("MCAP at byte " + first.chunkStartOffset() + ": chunk compressed with " + c.mcapName() + ": "),
                e.getMessage());
    }

    @Test
    void aCompressionMcapDoesNotNameIsRefusedNamingTheOnesThereAre() {
        assertEquals("chunk compression 'brotli' is not one MCAP names; it has none, lz4 and zstd",
                assertThrows(IllegalArgumentException.class, () -> ChunkCompression.of("brotli")).getMessage());
        assertEquals(ChunkCompression.NONE, ChunkCompression.of(""));
        assertEquals(ChunkCompression.NONE, ChunkCompression.of("none"));
        assertEquals(ChunkCompression.ZSTD, ChunkCompression.of("zstd"));
    }
}
