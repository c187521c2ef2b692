package io.armature.recording.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.kit.service.NamedServices;
import io.armature.control.LoopSample;
import io.armature.mcap.ChunkCompression;
import io.armature.mcap.McapRecord;
import io.armature.motion.CommandSample;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.mcap.McapWriter;
import io.armature.recording.Recorder;
import io.armature.recording.RecordingStatus;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.Sample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * Records sensor streams into MCAP, following its ROS 2 profile: each stream a channel of CDR
 * messages with its ros2msg schema ({@code sensor_msgs/msg/Imu} for an IMU, one joint's
 * {@code sensor_msgs/msg/JointState} for an encoder), under the topic its name gives
 * ({@code encoder.left} is {@code /encoder/left}), with the {@code offered_qos_profiles} that
 * {@code ros2 bag} reads. Times are the samples' own, moved onto the wall clock. The recorder
 * reads each stream through a queue of its own on its own thread; what overflows a queue is
 * counted as lost, per stream, and written into the file's metadata when it ends. Beside the
 * streams it records the safety state and the loops' owners ({@link RobotStateChannels}), every
 * motion command as received (the stream {@value CommandSample#STREAM}, as
 * {@code armature_msgs/msg/MotionCommand}), and, when both wheel encoders are recorded and the
 * drive's geometry is known, the odometry on {@code /odom} ({@link OdometryChannel}).
 */
@Component(service = Recorder.class, configurationPid = McapRecorder.PID)
@Designate(ocd = McapRecorder.Config.class)
public final class McapRecorder implements Recorder {

    public static final String PID = "armature.recording";
    /** Under this name a status counts the /odom messages. */
    static final String ODOM = "odom";

    @ObjectClassDefinition(name = "Armature recording", description = "MCAP recordings: chunk compression, and which encoder streams are the wheels for /odom, "
            + "its rate and its frames.")
    public @interface Config {
        @AttributeDefinition(name = "Left wheel encoder", description = "Stream of the left wheel's encoder, for /odom.")
        String leftEncoder() default "encoder.left";

        @AttributeDefinition(name = "Right wheel encoder", description = "Stream of the right wheel's encoder, for /odom.")
        String rightEncoder() default "encoder.right";

        @AttributeDefinition(name = "Odometry rate (Hz)", description = "/odom messages per second at most, 1..1000; the pose is "
                + "integrated at every encoder sample either way.")
        double odomRateHz() default 100;

        @AttributeDefinition(name = "Odometry frame", description = "header.frame_id of /odom.")
        String odomFrame() default "odom";

        @AttributeDefinition(name = "Base frame", description = "child_frame_id of /odom.")
        String baseFrame() default "base_link";

        @AttributeDefinition(name = "Chunk compression", description = "none, lz4 (fast, little CPU) or zstd (smaller, more CPU); "
                + "Foxglove, ros2 bag and PlotJuggler read all three. Applies to the next recording.")
        String compression() default "none";
    }

    /** Samples each stream's queue holds for the recorder at most (a second at 1 kHz); a stream may hold fewer. */
    static final int QUEUE = 1024;
    /** How long the recorder sleeps when its queues were empty: each wake-up is a CPU woken beside the loops, and the queues hold a second. */
    static final long IDLE_NANOS = 5_000_000;

    /** rosbag2's QoS of a reliable, volatile topic kept to the last sample: what a tool replaying the file offers. */
    static final String QOS_RELIABLE = qos(1);
    /** ... and of a best-effort one, as sensor data is published. */
    static final String QOS_SENSOR = qos(2);

    private static String qos(int reliability) {
        String forever = "\n    sec: 2147483647\n    nsec: 4294967295";
        return "- history: 3\n  depth: 0\n  reliability: " + reliability + "\n  durability: 2\n  deadline:" + forever + "\n  lifespan:" + forever
                + "\n  liveliness: 1\n  liveliness_lease_duration:" + forever + "\n  avoid_ros_namespace_conventions: false\n";
    }

    /** Of the streams of one name, the highest ranked: a replay under a live stream's name while it plays. */
    private final NamedServices<SampleStream<?>> streams = NamedServices.byNameRanked(SampleStream::name);
    private final Logger log;
    private volatile Session session;
    /** Its state is recorded beside the streams ({@link RobotStateChannels}). */
    private volatile SafetySupervisor supervisor;
    /** Who owns each loop is recorded, and its drive geometry gives /odom. */
    private volatile MotionCommands commands;
    private volatile RecordingStatus last;

    private final Path directory;
    private volatile Config config;

    @Activate
    public McapRecorder(BundleContext context, Config config, @Reference(service = LoggerFactory.class) Logger log) {
        this(context.getDataFile("recordings").toPath(), config, log);
    }

    /** @param directory where recordings started by name go */
    McapRecorder(Path directory, Config config, Logger log) {
        this.directory = directory;
        this.config = config;
        this.log = log;
        try {
            check(config);
        } catch (IllegalArgumentException e) { // each start says so too, and records nothing until it is mended
            log.error("{} configuration is not usable: {}", PID, e.getMessage());
        }
    }

    /**
     * @return the configuration's chunk compression
     * @throws IllegalArgumentException naming what is wrong: a compression MCAP does not name, an odometry rate out of 1..1000
     */
    static ChunkCompression check(Config c) {
        if (!(c.odomRateHz() >= 1 && c.odomRateHz() <= 1000)) {
            throw new IllegalArgumentException("odomRateHz must be 1..1000, was " + c.odomRateHz());
        }
        return ChunkCompression.of(c.compression());
    }

    /** A change applies to the next recording; a value {@link #check} refuses is refused with one line, and the configuration in force stays. */
    @org.osgi.service.component.annotations.Modified
    void modified(Config c) {
        try {
            check(c);
        } catch (IllegalArgumentException e) {
            log.error("{} configuration refused, the previous one stays: {}", PID, e.getMessage());
            return;
        }
        config = c;
    }

    @Override
    public Path directory() throws IOException {
        return Files.createDirectories(directory);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> stream, Map<String, Object> properties) {
        streams.add(stream, properties);
    }

    void removeStream(SampleStream<?> stream) {
        streams.remove(stream);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setCommands(MotionCommands m) {
        commands = m;
    }

    void unsetCommands(MotionCommands m) {
        if (commands == m) {
            commands = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void setSupervisor(SafetySupervisor s) {
        supervisor = s;
    }

    void unsetSupervisor(SafetySupervisor s) {
        if (supervisor == s) {
            supervisor = null;
        }
    }

    @Override
    public synchronized RecordingStatus start(Path file, List<String> names, double seconds) throws IOException {
        if (session != null && session.thread.isAlive()) {
            throw new IllegalStateException("a recording to " + session.file + " runs; stop it first (robot:record stop)");
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("seconds must be 0 (until stopped) or more, was " + seconds);
        }
        List<SampleStream<?>> chosen = new ArrayList<>();
        Map<String, SampleStream<?>> there = streams.chosen();
        for (String name : names.isEmpty() ? List.copyOf(there.keySet()) : names) {
            SampleStream<?> s = there.get(name);
            if (s == null) {
                throw new IllegalArgumentException("no stream '" + name + "'; streams: " + String.join(", ", there.keySet()));
            }
            if (Track.kindOf(s) != null) {
                chosen.add(s);
            } else if (!names.isEmpty()) {
                throw new IllegalArgumentException("stream '" + name + "' carries " + s.sampleType().getSimpleName()
                        + ", for which there is no ROS 2 message to record it as");
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("no stream to record: none carries IMU, encoder, loop or command samples");
        }
        ChunkCompression compression;
        try {
            compression = check(config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the recorder's configuration (" + PID + "): " + e.getMessage() + "; nothing recorded");
        }
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16);
        List<Track<?>> tracks = new ArrayList<>();
        chosen.forEach(c -> tracks.add(Track.of(c, tracks.size() + 1)));
        Session s = new Session(file, tracks, new McapWriter(out, McapWriter.Options.indexed().compressed(compression)), (long) (seconds * 1e9));
        try {
            s.begin();
        } catch (IOException | RuntimeException e) {
            s.abort();
            Files.deleteIfExists(file);
            throw e;
        }
        session = s;
        s.thread.start();
        log.info("recording {} to {}{}", s.streamNames(), file, seconds > 0 ? String.format(Locale.ROOT, " for %.1f s", seconds) : "");
        return s.status(true, null);
    }

    @Override
    public synchronized Optional<RecordingStatus> stop() throws IOException {
        Session s = session;
        if (s == null) {
            return Optional.empty();
        }
        s.stopping = true;
        LockSupport.unpark(s.thread);
        try {
            s.thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.ofNullable(last);
    }

    @Override
    public Optional<RecordingStatus> status() {
        Session s = session;
        if (s != null && s.thread.isAlive()) {
            return Optional.of(s.status(true, null));
        }
        return Optional.ofNullable(last);
    }

    @Deactivate
    void deactivate() throws IOException {
        stop(); // a recording in progress is finished, its file whole
    }

    /** Encodes a sample as a ROS 2 message. */
    @FunctionalInterface
    private interface Encoder<S> {
        void encode(S sample, long epochNanos, byte[] name, CdrWriter cdr);
    }

    /** What samples of one type are recorded as: the ROS 2 message, its definition, the QoS offered. */
    private record Kind<S extends Sample<S>>(Class<S> sampleType, Supplier<S> sample, String type, String definition, String qos, Encoder<S> encoder) {
    }

    private static final List<Kind<?>> KINDS = List.of(
            new Kind<>(ImuSample.class, ImuSample::new, Ros2Messages.IMU_TYPE, Ros2Messages.IMU_DEFINITION, QOS_SENSOR, Ros2Messages::imu),
            new Kind<>(EncoderSample.class, EncoderSample::new, Ros2Messages.JOINT_STATE_TYPE, Ros2Messages.JOINT_STATE_DEFINITION, QOS_RELIABLE,
                    Ros2Messages::jointState),
            new Kind<>(LoopSample.class, LoopSample::new, Ros2Messages.LOOP_CYCLE_TYPE, Ros2Messages.LOOP_CYCLE_DEFINITION, QOS_RELIABLE,
                    Ros2Messages::loopCycle),
            new Kind<>(CommandSample.class, CommandSample::new, Ros2Messages.MOTION_COMMAND_TYPE, Ros2Messages.MOTION_COMMAND_DEFINITION,
                    QOS_RELIABLE, Ros2Messages::motionCommand));

    /** One stream being recorded: its reader, a sample to poll into, and how it becomes a message. */
    private static final class Track<S extends Sample<S>> {
        final SampleStream<S> stream;
        final Kind<S> kind;
        final SampleReader<S> reader;
        final S sample;
        final int channel;
        final byte[] name; // encoded once
        volatile long written; // the recorder's thread writes, a status reads
        long invalid;

        private Track(SampleStream<S> stream, Kind<S> kind, int channel) {
            this.stream = stream;
            this.kind = kind;
            this.sample = kind.sample().get();
            this.channel = channel;
            // what the message names: the joint (the encoder stream's name), the loop (its cycle stream's, less "loop.")
            String label = kind.sampleType() == LoopSample.class && stream.name().startsWith(LoopSample.STREAM_PREFIX)
                    ? stream.name().substring(LoopSample.STREAM_PREFIX.length()) : stream.name();
            this.name = Ros2Messages.utf8(label);
            this.reader = stream.openQueue(Math.min(QUEUE, stream.capacity()));
        }

        /** @return what samples of this stream are recorded as; null when there is no ROS 2 message for them */
        static Kind<?> kindOf(SampleStream<?> s) {
            return KINDS.stream().filter(k -> k.sampleType() == s.sampleType()).findFirst().orElse(null);
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        static Track<?> of(SampleStream<?> s, int channel) {
            return new Track((SampleStream) s, kindOf(s), channel);
        }

        String topic() {
            return Ros2Messages.topic(stream.name());
        }

        /** Encodes the polled sample. */
        void encode(long epochNanos, CdrWriter cdr) {
            kind.encoder().encode(sample, epochNanos, name, cdr);
        }
    }

    /** One recording: its file, its tracks, and the thread that writes them. */
    private final class Session {
        final Path file;
        final List<Track<?>> tracks;
        final McapWriter writer;
        final long durationNanos;
        final Thread thread;
        final CdrWriter cdr = new CdrWriter();
        final RobotStateChannels state;
        /** null when the recording has no /odom: not both wheel encoders, or no drive geometry */
        final OdometryChannel odometry;
        final long startNanos = System.nanoTime();
        final long wallOffset = System.currentTimeMillis() * 1_000_000L - System.nanoTime(); // monotonic to epoch
        volatile boolean stopping;
        volatile long endNanos;

        Session(Path file, List<Track<?>> tracks, McapWriter writer, long durationNanos) {
            this.file = file;
            this.tracks = tracks;
            this.writer = writer;
            this.durationNanos = durationNanos;
            List<String> loops = streams.chosen().keySet().stream().filter(n -> n.startsWith(LoopSample.STREAM_PREFIX))
                    .map(n -> n.substring(LoopSample.STREAM_PREFIX.length())).toList();
            this.state = new RobotStateChannels(() -> supervisor, () -> commands, loops, tracks.size() + 1);
            this.odometry = odometry(tracks, tracks.size() + 3);
            this.thread = new Thread(this::run, "armature-recorder");
            thread.setDaemon(true);
        }

        /** @return /odom from the two wheel encoders among the tracks, with the drive's geometry; null without them */
        @SuppressWarnings("unchecked")
        private OdometryChannel odometry(List<Track<?>> tracks, int channel) {
            Config c = config;
            SampleStream<?> l = null;
            SampleStream<?> r = null;
            for (Track<?> t : tracks) {
                if (t.kind.sampleType() == EncoderSample.class) {
                    l = t.stream.name().equals(c.leftEncoder()) ? t.stream : l;
                    r = t.stream.name().equals(c.rightEncoder()) ? t.stream : r;
                }
            }
            MotionCommands m = commands;
            if (l == null || r == null || m == null) {
                return null;
            }
            DriveGeometry drive;
            try {
                drive = m.geometry();
            } catch (RuntimeException e) { // the motion service going away
                log.warn("recording without /odom: the drive's geometry is not known ({})", e.toString());
                return null;
            }
            return new OdometryChannel(drive, (SampleStream<EncoderSample>) l, (SampleStream<EncoderSample>) r, QUEUE, c.odomFrame(), c.baseFrame(),
                    channel, c.odomRateHz());
        }

        List<String> streamNames() {
            return tracks.stream().map(t -> t.stream.name()).toList();
        }

        void begin() throws IOException {
            writer.start(new McapRecord.Header("ros2", "armature"));
            Map<String, Integer> schemas = new LinkedHashMap<>();
            for (Track<?> t : tracks) {
                Integer schema = schemas.get(t.kind.type());
                if (schema == null) {
                    schema = schemas.size() + 1;
                    schemas.put(t.kind.type(), schema);
                    writer.add(new McapRecord.Schema(schema, t.kind.type(), "ros2msg", Ros2Messages.utf8(t.kind.definition())));
                }
                writer.add(new McapRecord.Channel(t.channel, schema, t.topic(), "cdr", Map.of("offered_qos_profiles", t.kind.qos())));
            }
            state.begin(writer, schemas.size() + 1);
            if (odometry != null) {
                odometry.begin(writer, schemas.size() + 3);
            }
        }

        /** Closes every reader. */
        void closeReaders() {
            tracks.forEach(t -> t.reader.close());
            if (odometry != null) {
                odometry.close();
            }
        }

        void abort() {
            closeReaders();
            try {
                writer.close();
            } catch (IOException e) {
                // the start failed already: that is what the caller hears
            }
        }

        private void run() {
            String error = null;
            try {
                state.look(writer, System.nanoTime(), wallOffset, true); // the state as the recording starts
                while (!stopping && (durationNanos == 0 || System.nanoTime() - startNanos < durationNanos)) {
                    boolean any = false;
                    for (Track<?> t : tracks) {
                        any |= drain(t);
                    }
                    any |= odometry != null && odometry.drain(writer, wallOffset);
                    state.look(writer, System.nanoTime(), wallOffset, false);
                    if (!any) {
                        LockSupport.parkNanos(IDLE_NANOS);
                    }
                }
                for (Track<?> t : tracks) {
                    drain(t); // what came until the end
                }
                if (odometry != null) {
                    odometry.drain(writer, wallOffset);
                }
                state.look(writer, System.nanoTime(), wallOffset, false);
            } catch (IOException | RuntimeException e) {
                error = "the recording stopped early: " + e.getMessage();
                log.error("recording to {}: {}", file, error);
            }
            endNanos = System.nanoTime();
            try {
                Map<String, String> counts = new LinkedHashMap<>();
                for (Track<?> t : tracks) {
                    counts.put(t.stream.name() + ".written", Long.toString(t.written));
                    counts.put(t.stream.name() + ".lost", Long.toString(t.reader.lost()));
                    counts.put(t.stream.name() + ".invalid", Long.toString(t.invalid));
                }
                counts.put("safety.written", Long.toString(state.safetyWritten()));
                counts.put("commands.written", Long.toString(state.commandsWritten()));
                if (odometry != null) {
                    counts.put("odom.written", Long.toString(odometry.written()));
                    counts.put("odom.lost", Long.toString(odometry.lost()));
                    counts.put("odom.invalid", Long.toString(odometry.invalid()));
                }
                writer.add(new McapRecord.Metadata("armature.recording", counts));
                writer.close();
            } catch (IOException | RuntimeException e) {
                error = error != null ? error : "the file could not be finished: " + e.getMessage();
                log.error("recording to {}: {}", file, error);
            } finally {
                closeReaders();
            }
            last = status(false, error);
            log.info("recorded {} to {}: {} messages, {} lost", streamNames(), file, last.messages().values().stream().mapToLong(Long::longValue).sum(),
                    last.lost().values().stream().mapToLong(Long::longValue).sum());
        }

        /** @return true when it wrote anything */
        private <S extends Sample<S>> boolean drain(Track<S> t) throws IOException {
            boolean any = false;
            while (t.reader.poll(t.sample)) {
                any = true;
                if (!t.sample.valid()) {
                    t.invalid++; // no ROS 2 message says "not valid": left out, and counted
                    continue;
                }
                long at = t.sample.timestampNanos() + wallOffset;
                t.encode(at, cdr);
                writer.addMessage(t.channel, t.written, at, at, cdr.array(), 0, cdr.length());
                t.written++;
            }
            return any;
        }

        RecordingStatus status(boolean running, String error) {
            Map<String, Long> messages = new LinkedHashMap<>();
            Map<String, Long> lost = new LinkedHashMap<>();
            for (Track<?> t : tracks) {
                messages.put(t.stream.name(), t.written);
                lost.put(t.stream.name(), t.reader.lost());
            }
            if (odometry != null) {
                messages.put(ODOM, odometry.written());
                lost.put(ODOM, odometry.lost());
            }
            long end = running ? System.nanoTime() : endNanos;
            return new RecordingStatus(file, running, (end - startNanos) / 1e9, messages, lost, writer.position(), error);
        }
    }
}
