package io.armature.mcap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A growable little-endian buffer that records are serialized into, each as
 * {@code <opcode><uint64 content length><content>}. Padding, when asked for, is three bytes a
 * reader must skip (the specification lets records grow), after the fields of the records that
 * may be extended; Message, Chunk, Data End and Footer never are. Not thread-safe.
 */
final class RecordBuffer {

    private static final byte[] PADDING = {0x01, (byte) 0xFF, (byte) 0xFF};

    private byte[] buf = new byte[256];
    private int len;
    private final boolean pad;
    private int recordStart = -1;

    /** @param pad whether records that may be extended get padding */
    RecordBuffer(boolean pad) {
        this.pad = pad;
    }

    int length() {
        return len;
    }

    byte[] array() {
        return buf;
    }

    void clear() {
        len = 0;
    }

    private void ensure(int more) {
        if (len + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }
    }

    RecordBuffer u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    RecordBuffer u16(int v) {
        ensure(2);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
        return this;
    }

    RecordBuffer u32(long v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    RecordBuffer u64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[len++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    private void u64At(int at, long v) {
        for (int i = 0; i < 8; i++) {
            buf[at + i] = (byte) (v >>> (8 * i));
        }
    }

    private void u32At(int at, long v) {
        for (int i = 0; i < 4; i++) {
            buf[at + i] = (byte) (v >>> (8 * i));
        }
    }

    RecordBuffer raw(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
        return this;
    }

    RecordBuffer string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u32(b.length);
        return raw(b, 0, b.length);
    }

    RecordBuffer bytes32(byte[] b) {
        u32(b.length);
        return raw(b, 0, b.length);
    }

    RecordBuffer bytes64(byte[] b) {
        u64(b.length);
        return raw(b, 0, b.length);
    }

    RecordBuffer stringMap(Map<String, String> m) {
        int at = len;
        u32(0);
        m.forEach((k, v) -> string(k).string(v));
        u32At(at, len - at - 4);
        return this;
    }

    RecordBuffer u16u64Map(Map<Integer, Long> m) {
        int at = len;
        u32(0);
        m.forEach((k, v) -> u16(k).u64(v));
        u32At(at, len - at - 4);
        return this;
    }

    /** Opens a record: its opcode and a length filled in by {@link #end}. */
    RecordBuffer begin(int opcode) {
        u8(opcode);
        recordStart = len;
        return u64(0);
    }

    /**
     * Closes the record opened last.
     *
     * @param extensible whether the record may carry padding (all but Message, Chunk, Data End, Footer)
     */
    void end(boolean extensible) {
        if (pad && extensible) {
            raw(PADDING, 0, PADDING.length);
        }
        u64At(recordStart, len - recordStart - 8);
    }

    /** @return the CRC-32 of the bytes from {@code from} to the end */
    long crc(int from) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(buf, from, len - from);
        return c.getValue();
    }

    void header(McapRecord.Header h) {
        begin(McapRecord.Opcode.HEADER).string(h.profile()).string(h.library()).end(true);
    }

    void schema(McapRecord.Schema s) {
        begin(McapRecord.Opcode.SCHEMA).u16(s.id()).string(s.name()).string(s.encoding()).bytes32(s.data()).end(true);
    }

    void channel(McapRecord.Channel c) {
        begin(McapRecord.Opcode.CHANNEL).u16(c.id()).u16(c.schemaId()).string(c.topic()).string(c.messageEncoding()).stringMap(c.metadata())
                .end(true);
    }

    void message(int channelId, long sequence, long logTime, long publishTime, byte[] data, int off, int n) {
        begin(McapRecord.Opcode.MESSAGE).u16(channelId).u32(sequence).u64(logTime).u64(publishTime).raw(data, off, n).end(false);
    }

    /** A chunk of {@code uncompressedSize} bytes of records, {@code data} being them compressed with {@code compression} (or as they are). */
    void chunk(long start, long end, long uncompressedSize, long crc, String compression, byte[] data, int length) {
        begin(McapRecord.Opcode.CHUNK).u64(start).u64(end).u64(uncompressedSize).u32(crc).string(compression).u64(length)
                .raw(data, 0, length).end(false);
    }

    void messageIndex(int channelId, long[] times, long[] offsets, int n) {
        begin(McapRecord.Opcode.MESSAGE_INDEX).u16(channelId).u32(16L * n);
        for (int i = 0; i < n; i++) {
            u64(times[i]).u64(offsets[i]);
        }
        end(true);
    }

    void chunkIndex(McapRecord.ChunkIndex c) {
        begin(McapRecord.Opcode.CHUNK_INDEX).u64(c.messageStartTime()).u64(c.messageEndTime()).u64(c.chunkStartOffset()).u64(c.chunkLength())
                .u16u64Map(c.messageIndexOffsets()).u64(c.messageIndexLength()).string(c.compression()).u64(c.compressedSize())
                .u64(c.uncompressedSize()).end(true);
    }

    void attachment(McapRecord.Attachment a) {
        begin(McapRecord.Opcode.ATTACHMENT);
        int fields = len;
        u64(a.logTime()).u64(a.createTime()).string(a.name()).string(a.mediaType()).bytes64(a.data());
        u32(crc(fields)).end(true);
    }

    void attachmentIndex(McapRecord.AttachmentIndex a) {
        begin(McapRecord.Opcode.ATTACHMENT_INDEX).u64(a.offset()).u64(a.length()).u64(a.logTime()).u64(a.createTime()).u64(a.dataSize())
                .string(a.name()).string(a.mediaType()).end(true);
    }

    void statistics(McapRecord.Statistics s) {
        begin(McapRecord.Opcode.STATISTICS).u64(s.messageCount()).u16(s.schemaCount()).u32(s.channelCount()).u32(s.attachmentCount())
                .u32(s.metadataCount()).u32(s.chunkCount()).u64(s.messageStartTime()).u64(s.messageEndTime()).u16u64Map(s.channelMessageCounts())
                .end(true);
    }

    void metadata(McapRecord.Metadata m) {
        begin(McapRecord.Opcode.METADATA).string(m.name()).stringMap(m.metadata()).end(true);
    }

    void metadataIndex(McapRecord.MetadataIndex m) {
        begin(McapRecord.Opcode.METADATA_INDEX).u64(m.offset()).u64(m.length()).string(m.name()).end(true);
    }

    void summaryOffset(McapRecord.SummaryOffset s) {
        begin(McapRecord.Opcode.SUMMARY_OFFSET).u8(s.groupOpcode()).u64(s.groupStart()).u64(s.groupLength()).end(true);
    }

    void dataEnd(long crc) {
        begin(McapRecord.Opcode.DATA_END).u32(crc).end(false);
    }

    /**
     * The footer. Its CRC covers the summary section (from {@code summaryFrom} in this buffer) and
     * the footer's own bytes before the CRC.
     */
    void footer(long summaryStart, long summaryOffsetStart, int summaryFrom) {
        u8(McapRecord.Opcode.FOOTER).u64(8 + 8 + 4).u64(summaryStart).u64(summaryOffsetStart);
        u32(crc(summaryFrom));
    }
}
