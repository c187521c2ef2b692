package io.armature.mcap;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Writes an MCAP file to a stream, in one pass: the header, the data section (schemas, channels
 * and messages, in chunks when {@link Options#chunkSize} is above 0; attachments and metadata
 * always outside chunks), then on {@link #close()} the data end, the summary (repeated schemas
 * and channels, statistics, metadata, attachment and chunk indexes, in that order, each group
 * only when it has records), the summary offsets, the footer with the summary's CRC-32, and the
 * magic. Every CRC the specification has is written.
 *
 * <p>Ids are the caller's: a schema before the channels that use it, a channel before its
 * messages; a message of a channel never added is refused. Not thread-safe: one thread writes.
 */
public final class McapWriter implements Closeable {

    /** The magic bytes at both ends of a file: 0x89, "MCAP", major version '0', CR, LF. */
    static final byte[] MAGIC = {(byte) 0x89, 'M', 'C', 'A', 'P', 0x30, '\r', '\n'};

    /**
     * How a file is written.
     *
     * @param chunkSize         messages (with the schemas and channels before them) go into chunks
     *                          of about this many bytes; 0 writes them into the data section directly
     * @param messageIndexes    a message index per channel after each chunk
     * @param chunkIndexes      a chunk index per chunk in the summary
     * @param statistics        a statistics record in the summary
     * @param repeatSchemas     every schema again in the summary
     * @param repeatChannels    every channel again in the summary
     * @param attachmentIndexes an attachment index per attachment in the summary
     * @param metadataIndexes   a metadata index per metadata record in the summary
     * @param summaryOffsets    a summary offset record per group of the summary
     * @param padRecords        three extra bytes after the fields of every record that may grow: what
     *                          a reader of a later version of the format meets; for testing readers
     */
    public record Options(long chunkSize, boolean messageIndexes, boolean chunkIndexes, boolean statistics, boolean repeatSchemas,
            boolean repeatChannels, boolean attachmentIndexes, boolean metadataIndexes, boolean summaryOffsets, boolean padRecords,
            ChunkCompression compression) {

        public Options {
            if (chunkSize < 0) {
                throw new IllegalArgumentException("chunkSize must be 0 (no chunks) or more, was " + chunkSize);
            }
            if ((messageIndexes || chunkIndexes) && chunkSize == 0) {
                throw new IllegalArgumentException("message and chunk indexes need chunks: set a chunkSize");
            }
            if (compression == null) {
                throw new IllegalArgumentException("compression is required: ChunkCompression.NONE for none");
            }
        }

        /** Uncompressed chunks. */
        public Options(long chunkSize, boolean messageIndexes, boolean chunkIndexes, boolean statistics, boolean repeatSchemas,
                boolean repeatChannels, boolean attachmentIndexes, boolean metadataIndexes, boolean summaryOffsets, boolean padRecords) {
            this(chunkSize, messageIndexes, chunkIndexes, statistics, repeatSchemas, repeatChannels, attachmentIndexes, metadataIndexes,
                    summaryOffsets, padRecords, ChunkCompression.NONE);
        }

        /** @return these options with the chunks compressed so */
        public Options compressed(ChunkCompression c) {
            return new Options(chunkSize, messageIndexes, chunkIndexes, statistics, repeatSchemas, repeatChannels, attachmentIndexes,
                    metadataIndexes, summaryOffsets, padRecords, c);
        }

        /**
         * @return what tools read fastest (Foxglove Studio, {@code ros2 bag}, {@code mcap info}): 1 MiB
         *         chunks, every index, statistics, schemas and channels repeated, summary offsets
         */
        public static Options indexed() {
            return new Options(1 << 20, true, true, true, true, true, true, true, true, false);
        }

        /** @return records only: no chunks, no summary; the smallest file and the simplest to read as a stream */
        public static Options plain() {
            return new Options(0, false, false, false, false, false, false, false, false, false);
        }
    }

    private final OutputStream out;
    private final Options options;
    private final CRC32 dataCrc = new CRC32();
    private volatile long position; // read by other threads for a status
    private boolean started;
    private boolean closed;

    private final RecordBuffer record;
    private final RecordBuffer chunk = new RecordBuffer(false);
    private final Map<Integer, long[][]> chunkIndex = new LinkedHashMap<>(); // channel -> {times, offsets}
    private final Map<Integer, Integer> chunkIndexCount = new LinkedHashMap<>();
    private long chunkStart;
    private long chunkEnd;
    private int chunkMessages;

    private final Map<Integer, McapRecord.Schema> schemas = new LinkedHashMap<>();
    private final Map<Integer, McapRecord.Channel> channels = new LinkedHashMap<>();
    private final Map<Integer, Long> channelMessageCounts = new LinkedHashMap<>();
    private final List<McapRecord.ChunkIndex> chunkIndexes = new ArrayList<>();
    private final List<McapRecord.AttachmentIndex> attachmentIndexes = new ArrayList<>();
    private final List<McapRecord.MetadataIndex> metadataIndexes = new ArrayList<>();
    private long messageCount;
    private long attachmentCount;
    private long metadataCount;
    private long chunkCount;
    private long messageStartTime;
    private long messageEndTime;

    /** @param out where the file goes; closed by {@link #close()} */
    public McapWriter(OutputStream out, Options options) {
        this.out = out;
        this.options = options;
        this.record = new RecordBuffer(options.padRecords());
    }

    /** @return the bytes written so far (a chunk not yet full is not written yet) */
    public long position() {
        return position;
    }

    /** Writes the magic and the header: first, once. */
    public void start(McapRecord.Header header) throws IOException {
        if (started) {
            throw new IllegalStateException("the header is written once, first");
        }
        started = true;
        write(MAGIC, 0, MAGIC.length);
        record.header(header);
        flushRecord();
    }

    private void checkOpen() {
        if (!started || closed) {
            throw new IllegalStateException(closed ? "the file is closed" : "start() writes the header first");
        }
    }

    /**
     * Adds a schema; one of the same id again is ignored when it is the same, refused when it differs.
     *
     * @throws IllegalArgumentException for id 0 or another schema under a used id
     */
    public void add(McapRecord.Schema schema) throws IOException {
        checkOpen();
        if (schema.id() < 1 || schema.id() > 0xFFFF) {
            throw new IllegalArgumentException("schema id must be 1..65535, was " + schema.id());
        }
        McapRecord.Schema known = schemas.get(schema.id());
        if (known != null) {
            if (!sameSchema(known, schema)) {
                throw new IllegalArgumentException("schema id " + schema.id() + " is already '" + known.name() + "'");
            }
            return;
        }
        schemas.put(schema.id(), schema);
        if (options.chunkSize() > 0) {
            chunk.schema(schema);
        } else {
            record.schema(schema);
            flushRecord();
        }
    }

    private static boolean sameSchema(McapRecord.Schema a, McapRecord.Schema b) {
        return a.name().equals(b.name()) && a.encoding().equals(b.encoding()) && Arrays.equals(a.data(), b.data());
    }

    /**
     * Adds a channel.
     *
     * @throws IllegalArgumentException for a schema not added (other than 0) or another channel under a used id
     */
    public void add(McapRecord.Channel channel) throws IOException {
        checkOpen();
        if (channel.id() < 0 || channel.id() > 0xFFFF) {
            throw new IllegalArgumentException("channel id must be 0..65535, was " + channel.id());
        }
        if (channel.schemaId() != 0 && !schemas.containsKey(channel.schemaId())) {
            throw new IllegalArgumentException("channel '" + channel.topic() + "' names schema " + channel.schemaId() + ", which was not added");
        }
        McapRecord.Channel known = channels.get(channel.id());
        if (known != null) {
            if (!known.equals(channel)) {
                throw new IllegalArgumentException("channel id " + channel.id() + " is already '" + known.topic() + "'");
            }
            return;
        }
        channels.put(channel.id(), channel);
        if (options.chunkSize() > 0) {
            chunk.channel(channel);
        } else {
            record.channel(channel);
            flushRecord();
        }
    }

    /** Adds a message. */
    public void add(McapRecord.Message m) throws IOException {
        addMessage(m.channelId(), m.sequence(), m.logTime(), m.publishTime(), m.data(), 0, m.data().length);
    }

    /**
     * Adds a message from part of an array, without a record object.
     *
     * @throws IllegalArgumentException for a channel not added
     */
    public void addMessage(int channelId, long sequence, long logTime, long publishTime, byte[] data, int off, int len) throws IOException {
        checkOpen();
        if (!channels.containsKey(channelId)) {
            throw new IllegalArgumentException("a message of channel " + channelId + ", which was not added");
        }
        messageCount++;
        channelMessageCounts.merge(channelId, 1L, Long::sum);
        if (messageCount == 1 || Long.compareUnsigned(logTime, messageStartTime) < 0) {
            messageStartTime = logTime;
        }
        if (messageCount == 1 || Long.compareUnsigned(logTime, messageEndTime) > 0) {
            messageEndTime = logTime;
        }
        if (options.chunkSize() == 0) {
            record.message(channelId, sequence, logTime, publishTime, data, off, len);
            flushRecord();
            return;
        }
        if (chunkMessages == 0 || Long.compareUnsigned(logTime, chunkStart) < 0) {
            chunkStart = logTime;
        }
        if (chunkMessages == 0 || Long.compareUnsigned(logTime, chunkEnd) > 0) {
            chunkEnd = logTime;
        }
        chunkMessages++;
        if (options.messageIndexes()) {
            index(channelId, logTime, chunk.length());
        }
        chunk.message(channelId, sequence, logTime, publishTime, data, off, len);
        if (chunk.length() >= options.chunkSize()) {
            flushChunk();
        }
    }

    private void index(int channelId, long logTime, long offset) {
        long[][] idx = chunkIndex.computeIfAbsent(channelId, c -> new long[][] {new long[16], new long[16]});
        int n = chunkIndexCount.getOrDefault(channelId, 0);
        if (n == idx[0].length) {
            idx[0] = Arrays.copyOf(idx[0], n * 2);
            idx[1] = Arrays.copyOf(idx[1], n * 2);
        }
        idx[0][n] = logTime;
        idx[1][n] = offset;
        chunkIndexCount.put(channelId, n + 1);
    }

    /** Adds an attachment, in the data section (never in a chunk). */
    public void add(McapRecord.Attachment a) throws IOException {
        checkOpen();
        attachmentCount++;
        long offset = position;
        record.attachment(a);
        long length = flushRecord();
        if (options.attachmentIndexes()) {
            attachmentIndexes.add(new McapRecord.AttachmentIndex(offset, length, a.logTime(), a.createTime(), a.data().length, a.name(), a.mediaType()));
        }
    }

    /** Adds a metadata record, in the data section (never in a chunk). */
    public void add(McapRecord.Metadata m) throws IOException {
        checkOpen();
        metadataCount++;
        long offset = position;
        record.metadata(m);
        long length = flushRecord();
        if (options.metadataIndexes()) {
            metadataIndexes.add(new McapRecord.MetadataIndex(offset, length, m.name()));
        }
    }

    /** Writes the open chunk, if it holds any record, and its message indexes. */
    private void flushChunk() throws IOException {
        if (chunk.length() == 0) {
            return;
        }
        long chunkOffset = position;
        byte[] data = chunk.array();
        int dataLength = chunk.length();
        if (options.compression() != ChunkCompression.NONE) {
            data = options.compression().compress(chunk.array(), chunk.length());
            dataLength = data.length;
        }
        record.chunk(chunkMessages == 0 ? 0 : chunkStart, chunkMessages == 0 ? 0 : chunkEnd, chunk.length(), chunk.crc(0),
                options.compression().mcapName(), data, dataLength);
        long chunkLength = flushRecord();
        Map<Integer, Long> indexOffsets = new LinkedHashMap<>();
        long indexStart = position;
        for (Map.Entry<Integer, long[][]> e : chunkIndex.entrySet()) {
            indexOffsets.put(e.getKey(), position);
            record.messageIndex(e.getKey(), e.getValue()[0], e.getValue()[1], chunkIndexCount.get(e.getKey()));
            flushRecord();
        }
        chunkCount++;
        if (options.chunkIndexes()) {
            chunkIndexes.add(new McapRecord.ChunkIndex(chunkMessages == 0 ? 0 : chunkStart, chunkMessages == 0 ? 0 : chunkEnd, chunkOffset,
                    chunkLength, indexOffsets, position - indexStart, options.compression().mcapName(), dataLength, chunk.length()));
        }
        chunk.clear();
        chunkIndex.clear();
        chunkIndexCount.clear();
        chunkMessages = 0;
    }

    /** Ends the file: the open chunk, the data end, the summary, the footer, the magic; then closes the stream. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (started) {
                finish();
            }
        } finally {
            closed = true;
            out.close();
        }
    }

    private void finish() throws IOException {
        flushChunk();
        record.dataEnd(dataCrc.getValue());
        flushRecord();

        long summaryStart = position;
        RecordBuffer summary = new RecordBuffer(options.padRecords());
        List<McapRecord.SummaryOffset> groups = new ArrayList<>();
        if (options.repeatSchemas()) {
            schemas.values().forEach(summary::schema);
        }
        group(groups, McapRecord.Opcode.SCHEMA, summaryStart, 0, summary);
        int at = summary.length();
        if (options.repeatChannels()) {
            channels.values().forEach(summary::channel);
        }
        group(groups, McapRecord.Opcode.CHANNEL, summaryStart, at, summary);
        at = summary.length();
        if (options.statistics()) {
            summary.statistics(new McapRecord.Statistics(messageCount, schemas.size(), channels.size(), attachmentCount, metadataCount,
                    chunkCount, messageStartTime, messageEndTime, channelMessageCounts));
        }
        group(groups, McapRecord.Opcode.STATISTICS, summaryStart, at, summary);
        at = summary.length();
        metadataIndexes.forEach(summary::metadataIndex);
        group(groups, McapRecord.Opcode.METADATA_INDEX, summaryStart, at, summary);
        at = summary.length();
        attachmentIndexes.forEach(summary::attachmentIndex);
        group(groups, McapRecord.Opcode.ATTACHMENT_INDEX, summaryStart, at, summary);
        at = summary.length();
        chunkIndexes.forEach(summary::chunkIndex);
        group(groups, McapRecord.Opcode.CHUNK_INDEX, summaryStart, at, summary);
        boolean hasSummary = summary.length() > 0;

        long summaryOffsetStart = 0;
        if (options.summaryOffsets()) {
            summaryOffsetStart = summaryStart + summary.length();
            groups.forEach(summary::summaryOffset);
        }
        summary.footer(hasSummary ? summaryStart : 0, summaryOffsetStart, 0);
        summary.raw(MAGIC, 0, MAGIC.length);
        write(summary.array(), 0, summary.length());
        out.flush();
    }

    /** Notes a summary group that ends here, when it holds any record. */
    private static void group(List<McapRecord.SummaryOffset> groups, int opcode, long summaryStart, int from, RecordBuffer summary) {
        if (summary.length() > from) {
            groups.add(new McapRecord.SummaryOffset(opcode, summaryStart + from, summary.length() - from));
        }
    }

    /** @return the length of the record written */
    private long flushRecord() throws IOException {
        int n = record.length();
        write(record.array(), 0, n);
        record.clear();
        return n;
    }

    private void write(byte[] b, int off, int n) throws IOException {
        out.write(b, off, n);
        dataCrc.update(b, off, n);
        position += n;
    }
}
