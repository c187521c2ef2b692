package io.armature.mcap;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The records of an MCAP file, as the specification defines them. Unsigned fields are held in the
 * next wider Java type (a uint32 in a {@code long}, a uint16 in an {@code int}); timestamps are
 * nanoseconds. Maps keep their order, which is the order they are written in.
 */
public sealed interface McapRecord {

    /** @return the record's opcode */
    int opcode();

    /** Opcodes of the specification's records. */
    final class Opcode {
        public static final int HEADER = 0x01;
        public static final int FOOTER = 0x02;
        public static final int SCHEMA = 0x03;
        public static final int CHANNEL = 0x04;
        public static final int MESSAGE = 0x05;
        public static final int CHUNK = 0x06;
        public static final int MESSAGE_INDEX = 0x07;
        public static final int CHUNK_INDEX = 0x08;
        public static final int ATTACHMENT = 0x09;
        public static final int ATTACHMENT_INDEX = 0x0A;
        public static final int STATISTICS = 0x0B;
        public static final int METADATA = 0x0C;
        public static final int METADATA_INDEX = 0x0D;
        public static final int SUMMARY_OFFSET = 0x0E;
        public static final int DATA_END = 0x0F;

        private Opcode() {
        }
    }

    private static <K, V> Map<K, V> ordered(Map<K, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }

    /** The first record: the profile the file follows ({@code ros2}, or empty) and the library that wrote it. */
    record Header(String profile, String library) implements McapRecord {
        public Header {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(library, "library");
        }

        @Override
        public int opcode() {
            return Opcode.HEADER;
        }
    }

    /** The last record: where the summary and the summary offsets start (0: none), and the summary's CRC-32 (0: none). */
    record Footer(long summaryStart, long summaryOffsetStart, long summaryCrc) implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.FOOTER;
        }
    }

    /** How the messages of channels are defined: for example a ROS 2 message definition ({@code ros2msg}). */
    record Schema(int id, String name, String encoding, byte[] data) implements McapRecord {
        public Schema {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(encoding, "encoding");
            Objects.requireNonNull(data, "data");
        }

        @Override
        public int opcode() {
            return Opcode.SCHEMA;
        }
    }

    /** A stream of messages on a topic; schema 0 means none. */
    record Channel(int id, int schemaId, String topic, String messageEncoding, Map<String, String> metadata) implements McapRecord {
        public Channel {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(messageEncoding, "messageEncoding");
            metadata = ordered(metadata);
        }

        @Override
        public int opcode() {
            return Opcode.CHANNEL;
        }
    }

    /** One timestamped message of a channel. */
    record Message(int channelId, long sequence, long logTime, long publishTime, byte[] data) implements McapRecord {
        public Message {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public int opcode() {
            return Opcode.MESSAGE;
        }
    }

    /** A batch of schema, channel and message records; {@link McapReader} reads the records inside it. */
    record Chunk(long messageStartTime, long messageEndTime, long uncompressedSize, long uncompressedCrc, String compression, byte[] records)
            implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.CHUNK;
        }
    }

    /** Where each message of one channel is in the chunk before it: log times and offsets into its records. */
    record MessageIndex(int channelId, long[] logTimes, long[] offsets) implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.MESSAGE_INDEX;
        }
    }

    /** Where a chunk and its message indexes are. */
    record ChunkIndex(long messageStartTime, long messageEndTime, long chunkStartOffset, long chunkLength, Map<Integer, Long> messageIndexOffsets,
            long messageIndexLength, String compression, long compressedSize, long uncompressedSize) implements McapRecord {
        public ChunkIndex {
            messageIndexOffsets = ordered(messageIndexOffsets);
        }

        @Override
        public int opcode() {
            return Opcode.CHUNK_INDEX;
        }
    }

    /** A file kept with the recording (a calibration, a configuration). */
    record Attachment(long logTime, long createTime, String name, String mediaType, byte[] data) implements McapRecord {
        public Attachment {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(mediaType, "mediaType");
            Objects.requireNonNull(data, "data");
        }

        @Override
        public int opcode() {
            return Opcode.ATTACHMENT;
        }
    }

    /** Where an attachment is. */
    record AttachmentIndex(long offset, long length, long logTime, long createTime, long dataSize, String name, String mediaType)
            implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.ATTACHMENT_INDEX;
        }
    }

    /** Counts and the time span of the whole file. */
    record Statistics(long messageCount, int schemaCount, long channelCount, long attachmentCount, long metadataCount, long chunkCount,
            long messageStartTime, long messageEndTime, Map<Integer, Long> channelMessageCounts) implements McapRecord {
        public Statistics {
            channelMessageCounts = ordered(channelMessageCounts);
        }

        @Override
        public int opcode() {
            return Opcode.STATISTICS;
        }
    }

    /** Named key-value pairs about the recording. */
    record Metadata(String name, Map<String, String> metadata) implements McapRecord {
        public Metadata {
            Objects.requireNonNull(name, "name");
            metadata = ordered(metadata);
        }

        @Override
        public int opcode() {
            return Opcode.METADATA;
        }
    }

    /** Where a metadata record is. */
    record MetadataIndex(long offset, long length, String name) implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.METADATA_INDEX;
        }
    }

    /** Where the summary's records of one opcode are. */
    record SummaryOffset(int groupOpcode, long groupStart, long groupLength) implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.SUMMARY_OFFSET;
        }
    }

    /** The end of the data section, with the CRC-32 of everything before it (0: none). */
    record DataEnd(long dataSectionCrc) implements McapRecord {
        @Override
        public int opcode() {
            return Opcode.DATA_END;
        }
    }
}
