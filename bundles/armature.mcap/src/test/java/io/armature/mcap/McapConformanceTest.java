package io.armature.mcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The MCAP format's own conformance files ({@code src/test/resources/mcap-conformance}): every
 * file read gives the records its JSON lists, and every JSON written with the options its
 * variant's name gives makes the file, byte for byte.
 */
class McapConformanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static Stream<Path> variants() throws IOException, URISyntaxException {
        Path root = Path.of(McapConformanceTest.class.getResource("/mcap-conformance").toURI());
        List<Path> all;
        try (Stream<Path> files = Files.walk(root)) {
            all = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        return all.stream();
    }

    @Test
    void theWholeCorpusIsThere() throws Exception {
        assertEquals(262, variants().count(), "the conformance files of NoData, OneAttachment, OneMessage, OneMetadata, OneSchemalessMessage");
        assertTrue(variants().allMatch(json -> Files.isRegularFile(mcapOf(json))), "each JSON beside its file");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void readingGivesTheRecordsOfItsJson(Path json) throws IOException {
        JsonNode expected = JSON.readTree(json.toFile()).get("records");
        List<McapRecord> read = McapReader.readAll(Files.readAllBytes(mcapOf(json)));
        ArrayNode actual = NODES.arrayNode();
        read.stream().filter(r -> !(r instanceof McapRecord.MessageIndex)).forEach(r -> actual.add(toJson(r)));
        assertEquals(expected, actual);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void writingItsJsonWithItsVariantsOptionsGivesTheFileByteForByte(Path json) throws IOException {
        JsonNode doc = JSON.readTree(json.toFile());
        Set<String> features = new java.util.HashSet<>();
        doc.get("meta").get("variant").get("features").forEach(f -> features.add(f.asText()));
        McapWriter.Options options = new McapWriter.Options(features.contains("ch") ? Long.MAX_VALUE : 0, features.contains("mx"),
                features.contains("chx"), features.contains("st"), features.contains("rsh"), features.contains("rch"), features.contains("ax"),
                features.contains("mdx"), features.contains("sum"), features.contains("pad"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        McapWriter w = new McapWriter(out, options);
        for (JsonNode r : doc.get("records")) {
            Map<String, JsonNode> f = fields(r);
            switch (r.get("type").asText()) {
                case "Header" -> w.start(new McapRecord.Header(f.get("profile").asText(), f.get("library").asText()));
                case "Schema" -> w.add(new McapRecord.Schema(num(f, "id").intValue(), f.get("name").asText(), f.get("encoding").asText(), bytes(f.get("data"))));
                case "Channel" -> w.add(new McapRecord.Channel(num(f, "id").intValue(), num(f, "schema_id").intValue(), f.get("topic").asText(),
                        f.get("message_encoding").asText(), stringMap(f.get("metadata"))));
                case "Message" -> w.add(new McapRecord.Message(num(f, "channel_id").intValue(), num(f, "sequence"), num(f, "log_time"),
                        num(f, "publish_time"), bytes(f.get("data"))));
                case "Attachment" -> w.add(new McapRecord.Attachment(num(f, "log_time"), num(f, "create_time"), f.get("name").asText(),
                        f.get("media_type").asText(), bytes(f.get("data"))));
                case "Metadata" -> w.add(new McapRecord.Metadata(f.get("name").asText(), stringMap(f.get("metadata"))));
                default -> { } // the data end, the summary and the footer are the writer's to make
            }
        }
        w.close();
        byte[] expected = Files.readAllBytes(mcapOf(json));
        byte[] actual = out.toByteArray();
        if (!java.util.Arrays.equals(expected, actual)) {
            assertEquals(HexFormat.ofDelimiter(" ").formatHex(expected), HexFormat.ofDelimiter(" ").formatHex(actual), "options " + options);
        }
        assertArrayEquals(expected, actual);
        assertTrue(actual.length > 0);
    }

    private static Path mcapOf(Path json) {
        return json.resolveSibling(json.getFileName().toString().replaceAll("\\.json$", ".mcap"));
    }

    private static Map<String, JsonNode> fields(JsonNode record) {
        Map<String, JsonNode> f = new LinkedHashMap<>();
        record.get("fields").forEach(pair -> f.put(pair.get(0).asText(), pair.get(1)));
        return f;
    }

    private static Long num(Map<String, JsonNode> f, String name) {
        return Long.parseUnsignedLong(f.get(name).asText());
    }

    private static byte[] bytes(JsonNode array) {
        byte[] b = new byte[array.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(array.get(i).asText());
        }
        return b;
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> m = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    /** A record as the corpus lists it: its type, and its fields sorted by name, every number as a string. */
    private static JsonNode toJson(McapRecord r) {
        Map<String, Object> f = new TreeMap<>();
        String type = r.getClass().getSimpleName();
        if (r instanceof McapRecord.Header h) {
            f.put("profile", h.profile());
            f.put("library", h.library());
        } else if (r instanceof McapRecord.Footer h) {
            f.put("summary_start", h.summaryStart());
            f.put("summary_offset_start", h.summaryOffsetStart());
            f.put("summary_crc", h.summaryCrc());
        } else if (r instanceof McapRecord.Schema s) {
            f.put("id", s.id());
            f.put("name", s.name());
            f.put("encoding", s.encoding());
            f.put("data", s.data());
        } else if (r instanceof McapRecord.Channel c) {
            f.put("id", c.id());
            f.put("schema_id", c.schemaId());
            f.put("topic", c.topic());
            f.put("message_encoding", c.messageEncoding());
            f.put("metadata", c.metadata());
        } else if (r instanceof McapRecord.Message m) {
            f.put("channel_id", m.channelId());
            f.put("sequence", m.sequence());
            f.put("log_time", m.logTime());
            f.put("publish_time", m.publishTime());
            f.put("data", m.data());
        } else if (r instanceof McapRecord.ChunkIndex c) {
            f.put("message_start_time", c.messageStartTime());
            f.put("message_end_time", c.messageEndTime());
            f.put("chunk_start_offset", c.chunkStartOffset());
            f.put("chunk_length", c.chunkLength());
            f.put("message_index_offsets", c.messageIndexOffsets());
            f.put("message_index_length", c.messageIndexLength());
            f.put("compression", c.compression());
            f.put("compressed_size", c.compressedSize());
            f.put("uncompressed_size", c.uncompressedSize());
        } else if (r instanceof McapRecord.Attachment a) {
            f.put("log_time", a.logTime());
            f.put("create_time", a.createTime());
            f.put("name", a.name());
            f.put("media_type", a.mediaType());
            f.put("data", a.data());
        } else if (r instanceof McapRecord.AttachmentIndex a) {
            f.put("offset", a.offset());
            f.put("length", a.length());
            f.put("log_time", a.logTime());
            f.put("create_time", a.createTime());
            f.put("data_size", a.dataSize());
            f.put("name", a.name());
            f.put("media_type", a.mediaType());
        } else if (r instanceof McapRecord.Statistics s) {
            f.put("message_count", s.messageCount());
            f.put("schema_count", s.schemaCount());
            f.put("channel_count", s.channelCount());
            f.put("attachment_count", s.attachmentCount());
            f.put("metadata_count", s.metadataCount());
            f.put("chunk_count", s.chunkCount());
            f.put("message_start_time", s.messageStartTime());
            f.put("message_end_time", s.messageEndTime());
            f.put("channel_message_counts", s.channelMessageCounts());
        } else if (r instanceof McapRecord.Metadata m) {
            f.put("name", m.name());
            f.put("metadata", m.metadata());
        } else if (r instanceof McapRecord.MetadataIndex m) {
            f.put("offset", m.offset());
            f.put("length", m.length());
            f.put("name", m.name());
        } else if (r instanceof McapRecord.SummaryOffset s) {
            f.put("group_opcode", s.groupOpcode());
            f.put("group_start", s.groupStart());
            f.put("group_length", s.groupLength());
        } else if (r instanceof McapRecord.DataEnd d) {
            f.put("data_section_crc", d.dataSectionCrc());
        }
        ObjectNode node = NODES.objectNode();
        node.put("type", type);
        ArrayNode fields = node.putArray("fields");
        f.forEach((k, v) -> fields.addArray().add(k).add(value(v)));
        return node;
    }

    private static JsonNode value(Object v) {
        if (v instanceof byte[] b) {
            ArrayNode a = NODES.arrayNode();
            for (byte x : b) {
                a.add(Integer.toString(x & 0xFF));
            }
            return a;
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, x) -> o.put(String.valueOf(k), x instanceof Long l ? Long.toUnsignedString(l) : String.valueOf(x)));
            return o;
        }
        if (v instanceof Long l) {
            return NODES.textNode(Long.toUnsignedString(l));
        }
        return NODES.textNode(String.valueOf(v));
    }
}
