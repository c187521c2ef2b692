package io.armature.recording.read;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Supplier;

import io.armature.control.LoopSample;
import io.armature.mcap.McapFormatException;
import io.armature.mcap.McapReader;
import io.armature.mcap.McapRecord;
import io.armature.motion.CommandSample;
import io.armature.recording.internal.Ros2Messages;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.Sample;

/**
 * An MCAP recording read back as samples: the channels of the messages Armature records
 * ({@code sensor_msgs/msg/Imu}, one joint's {@code sensor_msgs/msg/JointState},
 * {@code armature_msgs/msg/LoopCycle} and {@code armature_msgs/msg/MotionCommand}, in CDR) as
 * {@link ImuSample}, {@link EncoderSample}, {@link LoopSample} and {@link CommandSample} under the
 * stream names they were recorded from. {@link #open} reads the whole file once: every CRC is
 * checked and every message of those channels decoded, so a damaged file is refused, naming the
 * message, before anything is played. Other channels (the safety state, loop owners, odometry, or
 * another tool's) are listed in {@link #otherTopics()}. A sample's time is its message's log time,
 * in nanoseconds since the epoch.
 */
public final class RecordingFile {

    /** Messages are played in log-time order; a message may come up to this much earlier than one already read. */
    static final long REORDER_NANOS = 1_000_000_000L;

    /** One recorded stream: its name, sample type, topic, how many messages, and the rate they came at. */
    public record Stream(String name, Class<? extends Sample<?>> sampleType, String topic, long messages, double rateHz) {
    }

    /** Told each sample in log-time order. The sample is reused for the stream's next one: copy what is kept. */
    @FunctionalInterface
    public interface Visitor {
        void sample(Stream stream, Sample<?> sample) throws IOException;
    }

    private final Path file;
    private final Map<Integer, Stream> streams;
    private final List<String> otherTopics;
    private final Map<String, String> metadata;

    private RecordingFile(Path file, Map<Integer, Stream> streams, List<String> otherTopics, Map<String, String> metadata) {
        this.file = file;
        this.streams = streams;
        this.otherTopics = otherTopics;
        this.metadata = metadata;
    }

    /**
     * Reads a recording through once.
     *
     * @throws McapFormatException when it is not a whole MCAP file or a CRC does not match
     * @throws IOException         also when a message of a stream cannot be decoded, naming its
     *                             topic, sequence and log time
     */
    public static RecordingFile open(Path file) throws IOException {
        Map<Integer, String> schemaTypes = new HashMap<>();
        Map<Integer, McapRecord.Channel> channels = new LinkedHashMap<>();
        Map<Integer, long[]> seen = new HashMap<>(); // per channel: messages, first and last log time
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<Integer, Sample<?>> scratch = new HashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16); McapReader reader = new McapReader(in)) {
            for (McapRecord r = reader.next(); r != null; r = reader.next()) {
                if (r instanceof McapRecord.Schema s) {
                    schemaTypes.put(s.id(), s.name());
                } else if (r instanceof McapRecord.Channel c) {
                    channels.putIfAbsent(c.id(), c);
                } else if (r instanceof McapRecord.Metadata m && m.name().equals("armature.recording")) {
                    metadata.putAll(m.metadata());
                } else if (r instanceof McapRecord.Message m) {
                    McapRecord.Channel c = channels.get(m.channelId());
                    if (c == null) {
                        throw new IOException(file + ": a message on channel " + m.channelId() + " before its channel record");
                    }
                    Kind kind = Kind.of(schemaTypes.get(c.schemaId()), c.messageEncoding());
                    if (kind != null) {
                        decode(kind, c, m, scratch.computeIfAbsent(c.id(), id -> kind.sample.get()), file);
                    }
                    long[] s = seen.computeIfAbsent(c.id(), id -> new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE});
                    s[0]++;
                    s[1] = Math.min(s[1], m.logTime());
                    s[2] = Math.max(s[2], m.logTime());
                }
            }
        }
        Map<Integer, Stream> streams = new LinkedHashMap<>();
        List<String> others = new ArrayList<>();
        for (McapRecord.Channel c : channels.values()) {
            Kind kind = Kind.of(schemaTypes.get(c.schemaId()), c.messageEncoding());
            long[] s = seen.getOrDefault(c.id(), new long[] {0, 0, 0});
            if (kind == null) {
                others.add(c.topic());
            } else {
                double span = (s[2] - s[1]) / 1e9;
                double rate = s[0] > 1 && span > 0 ? (s[0] - 1) / span : 0;
                streams.put(c.id(), new Stream(Ros2Messages.stream(c.topic()), kind.type, c.topic(), s[0], rate));
            }
        }
        return new RecordingFile(file, Map.copyOf(streams), List.copyOf(others), Map.copyOf(metadata));
    }

    /** @return the streams recorded, in the order of their channels */
    public List<Stream> streams() {
        return streams.values().stream().sorted(Comparator.comparing(Stream::topic)).toList();
    }

    /** @return the topics of channels that are not streams of samples */
    public List<String> otherTopics() {
        return otherTopics;
    }

    /** @return what the recorder wrote when it ended (messages written, lost and invalid per stream); empty for a file it did not finish */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** @return samples of a stream lost while recording (its queue overflowed), or -1 when the file does not say */
    public long lost(String stream) {
        String n = metadata.get(stream + ".lost");
        return n == null ? -1 : Long.parseLong(n);
    }

    /**
     * Reads the recording again and tells each sample of the streams, in log-time order (messages
     * on different channels are written as they are drained, a little out of order; they are put
     * back in order within {@value #REORDER_NANOS} ns).
     */
    public void play(Visitor visitor) throws IOException {
        record Pending(long logTime, long order, int channel, byte[] data, long sequence) {
        }
        PriorityQueue<Pending> pending = new PriorityQueue<>(Comparator.comparingLong(Pending::logTime).thenComparingLong(Pending::order));
        Map<Integer, Sample<?>> samples = new HashMap<>();
        Map<Integer, McapRecord.Channel> channels = new HashMap<>();
        long order = 0;
        long newest = Long.MIN_VALUE;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16); McapReader reader = new McapReader(in)) {
            for (McapRecord r = reader.next(); r != null; r = reader.next()) {
                if (r instanceof McapRecord.Channel c) {
                    channels.putIfAbsent(c.id(), c);
                } else if (r instanceof McapRecord.Message m && streams.containsKey(m.channelId())) {
                    pending.add(new Pending(m.logTime(), order++, m.channelId(), m.data(), m.sequence()));
                    newest = Math.max(newest, m.logTime());
                    while (!pending.isEmpty() && newest - pending.peek().logTime() > REORDER_NANOS) {
                        Pending p = pending.poll();
                        tell(visitor, channels.get(p.channel()), new McapRecord.Message(p.channel(), p.sequence(), p.logTime(), p.logTime(), p.data()),
                                samples);
                    }
                }
            }
        }
        while (!pending.isEmpty()) {
            Pending p = pending.poll();
            tell(visitor, channels.get(p.channel()), new McapRecord.Message(p.channel(), p.sequence(), p.logTime(), p.logTime(), p.data()), samples);
        }
    }

    private void tell(Visitor visitor, McapRecord.Channel c, McapRecord.Message m, Map<Integer, Sample<?>> samples) throws IOException {
        Stream stream = streams.get(c.id());
        Kind kind = Kind.of(stream.sampleType());
        Sample<?> s = samples.computeIfAbsent(c.id(), id -> kind.sample.get());
        decode(kind, c, m, s, file);
        visitor.sample(stream, s);
    }

    /**
     * @return every cycle of a loop, in time order, each its own sample
     * @throws IllegalArgumentException when the recording has no cycles of that loop, naming the loops it has
     */
    public List<LoopSample> loopCycles(String loop) throws IOException {
        String name = LoopSample.STREAM_PREFIX + loop;
        if (streams.values().stream().noneMatch(s -> s.name().equals(name))) {
            throw new IllegalArgumentException(file.getFileName() + " has no cycles of loop '" + loop + "'; it has loops "
                    + streams.values().stream().filter(s -> s.sampleType() == LoopSample.class)
                            .map(s -> s.name().substring(LoopSample.STREAM_PREFIX.length())).sorted().toList());
        }
        List<LoopSample> cycles = new ArrayList<>();
        play((stream, sample) -> {
            if (stream.name().equals(name)) {
                LoopSample copy = new LoopSample();
                copy.copyFrom((LoopSample) sample);
                cycles.add(copy);
            }
        });
        return cycles;
    }

    /** What a schema's messages decode into. */
    private enum Kind {
        IMU(Ros2Messages.IMU_TYPE, ImuSample.class, ImuSample::new),
        JOINT_STATE(Ros2Messages.JOINT_STATE_TYPE, EncoderSample.class, EncoderSample::new),
        LOOP_CYCLE(Ros2Messages.LOOP_CYCLE_TYPE, LoopSample.class, LoopSample::new),
        MOTION_COMMAND(Ros2Messages.MOTION_COMMAND_TYPE, CommandSample.class, CommandSample::new);

        final String schema;
        final Class<? extends Sample<?>> type;
        final Supplier<Sample<?>> sample;

        Kind(String schema, Class<? extends Sample<?>> type, Supplier<Sample<?>> sample) {
            this.schema = schema;
            this.type = type;
            this.sample = sample;
        }

        static Kind of(String schema, String messageEncoding) {
            if (!"cdr".equals(messageEncoding)) {
                return null;
            }
            for (Kind k : values()) {
                if (k.schema.equals(schema)) {
                    return k;
                }
            }
            return null;
        }

        static Kind of(Class<?> type) {
            for (Kind k : values()) {
                if (k.type == type) {
                    return k;
                }
            }
            throw new IllegalStateException("no kind for " + type);
        }
    }

    private static void decode(Kind kind, McapRecord.Channel c, McapRecord.Message m, Sample<?> into, Path file) throws IOException {
        try {
            CdrReader cdr = new CdrReader(m.data());
            switch (kind) {
                case IMU -> imu(cdr, (ImuSample) into).timestampNanos = m.logTime();
                case JOINT_STATE -> jointState(cdr, (EncoderSample) into).timestampNanos = m.logTime();
                case LOOP_CYCLE -> loopCycle(cdr, (LoopSample) into).timestampNanos = m.logTime();
                case MOTION_COMMAND -> motionCommand(cdr, (CommandSample) into).timestampNanos = m.logTime();
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file.getFileName() + ": message " + m.sequence() + " on " + c.topic() + " (log time " + m.logTime()
                    + ") is not a " + kind.schema + ": " + e.getMessage());
        }
    }

    private static void header(CdrReader cdr) {
        cdr.time();
        cdr.string();
    }

    private static void skip(CdrReader cdr, int doubles) {
        for (int i = 0; i < doubles; i++) {
            cdr.float64();
        }
    }

    private static ImuSample imu(CdrReader cdr, ImuSample s) {
        header(cdr);
        skip(cdr, 4 + 9); // orientation and its covariance: Armature records none
        s.gyroX = cdr.float64();
        s.gyroY = cdr.float64();
        s.gyroZ = cdr.float64();
        skip(cdr, 9);
        s.accelX = cdr.float64();
        s.accelY = cdr.float64();
        s.accelZ = cdr.float64();
        skip(cdr, 9);
        s.valid = true;
        return s;
    }

    /** The first joint's angle and speed; a message without them is an invalid sample. */
    private static EncoderSample jointState(CdrReader cdr, EncoderSample s) {
        header(cdr);
        int names = cdr.sequence(5);
        for (int i = 0; i < names; i++) {
            cdr.string();
        }
        int positions = cdr.sequence(8);
        double position = Double.NaN;
        for (int i = 0; i < positions; i++) {
            double v = cdr.float64();
            position = i == 0 ? v : position;
        }
        int velocities = cdr.sequence(8);
        double velocity = Double.NaN;
        for (int i = 0; i < velocities; i++) {
            double v = cdr.float64();
            velocity = i == 0 ? v : velocity;
        }
        s.counts = 0; // not recorded
        s.positionRadians = position;
        s.velocityRadiansPerSecond = velocity;
        s.valid = Double.isFinite(position) && Double.isFinite(velocity);
        return s;
    }

    private static LoopSample loopCycle(CdrReader cdr, LoopSample s) {
        header(cdr);
        cdr.string(); // the loop: its stream names it
        s.controller = cdr.string();
        s.setpoint = cdr.float64();
        s.profiledSetpoint = cdr.float64();
        s.measurement = cdr.float64();
        s.output = cdr.float64();
        s.kp = cdr.float64();
        s.ki = cdr.float64();
        s.kd = cdr.float64();
        s.ks = cdr.float64();
        s.kv = cdr.float64();
        s.latenessNanos = cdr.int64();
        return s;
    }

    private static CommandSample motionCommand(CdrReader cdr, CommandSample s) {
        header(cdr);
        String kind = cdr.string();
        try {
            s.kind = CommandSample.Kind.valueOf(kind);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown command kind '" + kind + "'");
        }
        s.source = cdr.string();
        s.loop = cdr.string();
        s.value = cdr.float64();
        s.angular = cdr.float64();
        s.accepted = cdr.bool();
        s.inForce = cdr.bool();
        s.detail = cdr.string();
        return s;
    }
}
