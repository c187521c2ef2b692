package io.armature.mcap;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Reads an MCAP file from start to end, record by record, as a stream: the records of a chunk are
 * given in its place (the chunk record itself is not), message indexes and the summary as they
 * come. Every CRC the file carries is checked (the data section's, the summary's, each chunk's and
 * attachment's; 0 means none); fields a later version of the format appends to a record, and
 * records of opcodes this reader does not know, are skipped, as the specification asks. A
 * malformed file is refused with {@link McapFormatException}, naming the offset. Not
 * thread-safe.
 */
public final class McapReader implements Closeable {

    /** The largest record read, in bytes: a corrupt length is refused, never allocated. */
    static final long MAX_RECORD_BYTES = Integer.MAX_VALUE - 64;

    private final InputStream in;
    private final CRC32 dataCrc = new CRC32();
    private final CRC32 summaryCrc = new CRC32();
    private final Deque<McapRecord> chunkRecords = new ArrayDeque<>();
    private long position;
    private boolean dataEnded;
    private boolean footerRead;

    /** @throws McapFormatException when the stream does not start with the MCAP magic */
    public McapReader(InputStream in) throws IOException {
        this.in = in;
        byte[] magic = readFully(McapWriter.MAGIC.length, "the magic", false);
        if (!Arrays.equals(magic, McapWriter.MAGIC)) {
            throw new McapFormatException(0, "not an MCAP file (version 0): it does not start with the MCAP magic");
        }
    }

    /** @return every record of a whole file (see the class comment for which) */
    public static List<McapRecord> readAll(byte[] file) throws IOException {
        try (McapReader r = new McapReader(new ByteArrayInputStream(file))) {
            List<McapRecord> all = new ArrayList<>();
            for (McapRecord rec = r.next(); rec != null; rec = r.next()) {
                all.add(rec);
            }
            return all;
        }
    }

    /**
     * @return the next record; null after the footer, once the trailing magic is checked
     * @throws McapFormatException when the file is malformed or a CRC does not match
     */
    public McapRecord next() throws IOException {
        if (!chunkRecords.isEmpty()) {
            return chunkRecords.poll();
        }
        while (!footerRead) {
            long at = position;
            long crcBefore = dataCrc.getValue(); // of every byte before this record
            byte[] h = readFully(9, "a record's opcode and length", true);
            int opcode = h[0] & 0xFF;
            long length = ByteBuffer.wrap(h, 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (length < 0 || length > MAX_RECORD_BYTES) {
                throw new McapFormatException(at, "record of opcode 0x" + Integer.toHexString(opcode) + " claims " + Long.toUnsignedString(length)
                        + " bytes");
            }
            if (opcode == McapRecord.Opcode.DATA_END || opcode == McapRecord.Opcode.FOOTER) {
                // the footer's own CRC is not in the summary's CRC: its other fields are added there
                byte[] content = readFully((int) length, "the record at " + at, opcode != McapRecord.Opcode.FOOTER);
                return ended(at, opcode, content, crcBefore);
            }
            byte[] content = readFully((int) length, "the record at " + at, true);
            McapRecord r = parse(at, opcode, ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN));
            if (r instanceof McapRecord.Chunk c) {
                expand(at, c);
                if (!chunkRecords.isEmpty()) {
                    return chunkRecords.poll();
                }
                continue;
            }
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** The data end and the footer: the CRCs they carry are over bytes before or around them. */
    private McapRecord ended(long at, int opcode, byte[] content, long crcBefore) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (opcode == McapRecord.Opcode.DATA_END) {
                long crc = u32(b);
                long computed = crcBefore;
                if (crc != 0 && crc != computed) {
                    throw new McapFormatException(at, "the data section's CRC-32 is " + computed + ", the data end says " + crc);
                }
                dataEnded = true;
                summaryCrc.reset();
                return new McapRecord.DataEnd(crc);
            }
            long summaryStart = b.getLong();
            long summaryOffsetStart = b.getLong();
            long crc = u32(b);
            if (crc != 0 && dataEnded) {
                // the summary's CRC covers the summary, then the footer up to and with summary_offset_start
                summaryCrc.update(content, 0, 16);
                long computed = summaryCrc.getValue();
                if (crc != computed) {
                    throw new McapFormatException(at, "the summary's CRC-32 is " + computed + ", the footer says " + crc);
                }
            }
            footerRead = true;
            byte[] magic = readFully(McapWriter.MAGIC.length, "the trailing magic", false);
            if (!Arrays.equals(magic, McapWriter.MAGIC)) {
                throw new McapFormatException(position - magic.length, "the file does not end with the MCAP magic after its footer");
            }
            return new McapRecord.Footer(summaryStart, summaryOffsetStart, crc);
        } catch (BufferUnderflowException e) {
            throw new McapFormatException(at, "record of opcode 0x" + Integer.toHexString(opcode) + " is shorter than its fields");
        }
    }

    private void expand(long at, McapRecord.Chunk c) throws McapFormatException {
        byte[] records = c.records();
        if (!c.compression().isEmpty()) {
            ChunkCompression compression;
            try {
                compression = ChunkCompression.of(c.compression());
            } catch (IllegalArgumentException e) {
                throw new McapFormatException(at, e.getMessage());
            }
            try {
                records = compression.decompress(records, c.uncompressedSize());
            } catch (IOException e) {
                throw new McapFormatException(at, "chunk compressed with " + c.compression() + ": " + e.getMessage());
            }
        }
        if (records.length != c.uncompressedSize()) {
            throw new McapFormatException(at, "chunk holds " + records.length + " bytes of records, its uncompressed size says " + c.uncompressedSize());
        }
        if (c.uncompressedCrc() != 0) {
            CRC32 crc = new CRC32();
            crc.update(records);
            if (crc.getValue() != c.uncompressedCrc()) {
                throw new McapFormatException(at, "chunk's CRC-32 is " + crc.getValue() + ", it says " + c.uncompressedCrc());
            }
        }
        ByteBuffer b = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            int inner = b.position();
            if (b.remaining() < 9) {
                throw new McapFormatException(at, "chunk ends in the middle of a record header, at " + inner + " of its records");
            }
            int opcode = b.get() & 0xFF;
            long length = b.getLong();
            if (length < 0 || length > b.remaining()) {
                throw new McapFormatException(at, "record at " + inner + " of the chunk's records claims " + Long.toUnsignedString(length)
                        + " bytes, " + b.remaining() + " are left");
            }
            ByteBuffer content = b.slice(b.position(), (int) length).order(ByteOrder.LITTLE_ENDIAN);
            b.position(b.position() + (int) length);
            McapRecord r = parse(at, opcode, content);
            if (r != null) {
                chunkRecords.add(r);
            }
        }
    }

    /** @return the record, or null for an opcode this reader does not know (skipped) */
    private static McapRecord parse(long at, int opcode, ByteBuffer b) throws McapFormatException {
        try {
            return switch (opcode) {
                case McapRecord.Opcode.HEADER -> new McapRecord.Header(string(b), string(b));
                case McapRecord.Opcode.SCHEMA -> new McapRecord.Schema(u16(b), string(b), string(b), bytes(b, u32(b)));
                case McapRecord.Opcode.CHANNEL -> new McapRecord.Channel(u16(b), u16(b), string(b), string(b), stringMap(b));
                case McapRecord.Opcode.MESSAGE -> new McapRecord.Message(u16(b), u32(b), b.getLong(), b.getLong(), bytes(b, b.remaining()));
                case McapRecord.Opcode.CHUNK -> new McapRecord.Chunk(b.getLong(), b.getLong(), b.getLong(), u32(b), string(b), bytes(b, b.getLong()));
                case McapRecord.Opcode.MESSAGE_INDEX -> messageIndex(b);
                case McapRecord.Opcode.CHUNK_INDEX -> new McapRecord.ChunkIndex(b.getLong(), b.getLong(), b.getLong(), b.getLong(), u16u64Map(b),
                        b.getLong(), string(b), b.getLong(), b.getLong());
                case McapRecord.Opcode.ATTACHMENT -> attachment(at, b);
                case McapRecord.Opcode.ATTACHMENT_INDEX -> new McapRecord.AttachmentIndex(b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                        b.getLong(), string(b), string(b));
                case McapRecord.Opcode.STATISTICS -> new McapRecord.Statistics(b.getLong(), u16(b), u32(b), u32(b), u32(b), u32(b), b.getLong(),
                        b.getLong(), u16u64Map(b));
                case McapRecord.Opcode.METADATA -> new McapRecord.Metadata(string(b), stringMap(b));
                case McapRecord.Opcode.METADATA_INDEX -> new McapRecord.MetadataIndex(b.getLong(), b.getLong(), string(b));
                case McapRecord.Opcode.SUMMARY_OFFSET -> new McapRecord.SummaryOffset(b.get() & 0xFF, b.getLong(), b.getLong());
                default -> null; // a private record, or one of a later version: skipped
            };
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new McapFormatException(at, "record of opcode 0x" + Integer.toHexString(opcode) + " is shorter than its fields");
        } catch (CharacterCodingException e) {
            throw new McapFormatException(at, "record of opcode 0x" + Integer.toHexString(opcode) + " has a string that is not UTF-8");
        }
    }

    private static McapRecord.MessageIndex messageIndex(ByteBuffer b) {
        int channel = u16(b);
        long bytes = u32(b);
        if (bytes % 16 != 0 || bytes > b.remaining()) {
            throw new BufferUnderflowException();
        }
        int n = (int) (bytes / 16);
        long[] times = new long[n];
        long[] offsets = new long[n];
        for (int i = 0; i < n; i++) {
            times[i] = b.getLong();
            offsets[i] = b.getLong();
        }
        return new McapRecord.MessageIndex(channel, times, offsets);
    }

    private static McapRecord.Attachment attachment(long at, ByteBuffer b) throws CharacterCodingException, McapFormatException {
        int start = b.position();
        McapRecord.Attachment a = new McapRecord.Attachment(b.getLong(), b.getLong(), string(b), string(b), bytes(b, b.getLong()));
        int fieldsEnd = b.position();
        long crc = u32(b);
        if (crc != 0) {
            CRC32 computed = new CRC32();
            computed.update(b.duplicate().position(start).limit(fieldsEnd));
            if (computed.getValue() != crc) {
                throw new McapFormatException(at, "attachment '" + a.name() + "': its CRC-32 is " + computed.getValue() + ", it says " + crc);
            }
        }
        return a;
    }

    private static int u16(ByteBuffer b) {
        return b.getShort() & 0xFFFF;
    }

    private static long u32(ByteBuffer b) {
        return b.getInt() & 0xFFFF_FFFFL;
    }

    private static byte[] bytes(ByteBuffer b, long n) {
        if (n < 0 || n > b.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] out = new byte[(int) n];
        b.get(out);
        return out;
    }

    private static String string(ByteBuffer b) throws CharacterCodingException {
        byte[] utf8 = bytes(b, u32(b));
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(utf8)).toString();
    }

    private static Map<String, String> stringMap(ByteBuffer b) throws CharacterCodingException {
        ByteBuffer m = region(b);
        Map<String, String> out = new LinkedHashMap<>();
        while (m.hasRemaining()) {
            out.put(string(m), string(m));
        }
        return out;
    }

    private static Map<Integer, Long> u16u64Map(ByteBuffer b) {
        ByteBuffer m = region(b);
        Map<Integer, Long> out = new LinkedHashMap<>();
        while (m.hasRemaining()) {
            out.put(u16(m), m.getLong());
        }
        return out;
    }

    /** @return the bytes of a uint32-length-prefixed field, and moves past them */
    private static ByteBuffer region(ByteBuffer b) {
        long n = u32(b);
        if (n > b.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer r = b.slice(b.position(), (int) n).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + (int) n);
        return r;
    }

    /** @param inSummary whether the bytes count in the summary's CRC, once the data section has ended */
    private byte[] readFully(int n, String what, boolean inSummary) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new McapFormatException(position, "the file ends in " + what + " (" + b.length + " of " + n + " bytes)");
        }
        dataCrc.update(b);
        if (dataEnded && inSummary) {
            summaryCrc.update(b);
        }
        position += n;
        return b;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
