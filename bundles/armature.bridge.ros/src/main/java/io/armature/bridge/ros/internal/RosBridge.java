package io.armature.bridge.ros.internal;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.java_websocket.drafts.Draft;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;
import io.armature.kit.sensor.StreamChoice;
import io.armature.kit.service.DataDirectory;

/**
 * The robot to ROS 2 tools: a rosbridge v2 server and a Foxglove WebSocket server, on their own
 * ports, bound to 127.0.0.1 unless configured otherwise. {@code /cmd_vel}
 * ({@code geometry_msgs/msg/Twist}) goes to the motion-command service
 * ({@link MotionCommands#twist}) as the source {@code rosbridge} or {@code foxglove}, by the server
 * the client is on; {@code /odom}, {@code /imu} and {@code /joint_states} are published from the
 * encoder and IMU streams at {@code publishRateHz}, the pose with the service's
 * {@link DriveGeometry}.
 *
 * <p>Motion is the service's: it decides who drives, refuses commands while the robot is tripped
 * or without a supervisor, and its lease is the deadman (a source that stops sending goes to 0).
 * The bridge checks its input (a Twist that is malformed, not finite or beyond the limits is
 * refused with a status message and moves nothing) and its front doors: the {@link FrontDoor}
 * checks of every handshake, a credential (the robot's {@link RosToken}) for every command, and
 * bounds on what clients can make it hold.
 */
@Component(service = RosBridge.class, immediate = true, configurationPid = RosBridge.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = RosBridge.Config.class)
public final class RosBridge {

    public static final String PID = "armature.bridge.ros";

    @ObjectClassDefinition(name = "Armature ROS bridge",
            description = "rosbridge v2 and Foxglove WebSocket servers: /cmd_vel goes to the motion-command service; /odom, /imu and "
                    + "/joint_states are published.")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on; 127.0.0.1 keeps the bridge to this machine.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "rosbridge port", description = "rosbridge v2 WebSocket port (roslib, rosbridge tools), 1..65535; 0 for off.")
        int rosbridgePort() default 9090;

        @AttributeDefinition(name = "Foxglove port", description = "Foxglove WebSocket (foxglove.websocket.v1) port, 1..65535; 0 for off.")
        int foxglovePort() default 8765;

        @AttributeDefinition(name = "Left encoder stream", description = "Stream of the left wheel's encoder.")
        String leftEncoderStream() default "encoder.left";

        @AttributeDefinition(name = "Right encoder stream", description = "Stream of the right wheel's encoder.")
        String rightEncoderStream() default "encoder.right";

        @AttributeDefinition(name = "IMU stream", description = "Stream of the IMU published on /imu.")
        String imuStream() default "imu";

        @AttributeDefinition(name = "Max linear speed (m/s)", description = "A /cmd_vel with a larger |linear.x| is refused, 0..100 m/s.")
        double maxLinearSpeed() default 1.0;

        @AttributeDefinition(name = "Max angular speed (rad/s)", description = "A /cmd_vel with a larger |angular.z| is refused, 0..100 rad/s.")
        double maxAngularSpeed() default 6.0;

        @AttributeDefinition(name = "Publish rate (Hz)", description = "/odom, /imu and /joint_states messages per second each, 1..200.")
        double publishRateHz() default 20;

        @AttributeDefinition(name = "Max queued messages", description = "Messages waiting for one client, 1..100000; a client that falls further behind is disconnected.")
        int maxQueuedMessages() default 500;

        @AttributeDefinition(name = "Max queued bytes", description = "Bytes waiting for one client, 4096..1073741824; a client that falls further behind is disconnected.")
        int maxQueuedBytes() default 4 << 20;

        @AttributeDefinition(name = "Max clients", description = "Clients of both servers together, 1..1000; a handshake beyond is refused (503).")
        int maxClients() default 16;

        @AttributeDefinition(name = "Max topics per client", description = "Topics one client may advertise, and subscriptions it may hold, 1..10000.")
        int maxTopicsPerClient() default 64;

        @AttributeDefinition(name = "Max latched bytes per topic", description = "Transient-local (latched) messages kept on one topic, in bytes of JSON, 1024..1073741824.")
        int maxLatchedBytesPerTopic() default 1 << 20;

        @AttributeDefinition(name = "Max latched bytes", description = "Transient-local messages kept on all topics together, in bytes of JSON; at least the per-topic bound.")
        int maxLatchedBytes() default 16 << 20;

        @AttributeDefinition(name = "Allowed origins", description = "Origins of web pages that may connect, such as https://app.foxglove.dev "
                + "(comma-separated); a handshake with any other Origin header is refused (403). Clients that send none (roslib under node, "
                + "Python, ROS tools) are not affected.")
        String[] allowedOrigins() default {};

        @AttributeDefinition(name = "Allowed hosts", description = "Further Host header values taken, such as rover.local:9090 "
                + "(comma-separated); the bound address and port (and localhost when bound to loopback) always are.")
        String[] allowedHosts() default {};

        @AttributeDefinition(name = "Token", type = AttributeType.PASSWORD, description = "The credential to command (/cmd_vel), at least 16 "
                + "characters; empty for the one generated at first start and kept in the data directory (armature-data/ros-token).")
        String token() default "";

        @AttributeDefinition(name = "Odometry frame", description = "header.frame_id of /odom.")
        String odomFrame() default "odom";

        @AttributeDefinition(name = "Base frame", description = "child_frame_id of /odom.")
        String baseFrame() default "base_link";

        @AttributeDefinition(name = "IMU frame", description = "header.frame_id of /imu.")
        String imuFrame() default "imu_link";

        @AttributeDefinition(name = "Left wheel joint", description = "Joint name of the left wheel in /joint_states.")
        String leftJoint() default "left_wheel_joint";

        @AttributeDefinition(name = "Right wheel joint", description = "Joint name of the right wheel in /joint_states.")
        String rightJoint() default "right_wheel_joint";
    }

    static final String CMD_VEL = "/cmd_vel";

    /**
     * The largest frame a client may send, in bytes: the longest JSON text taken, in UTF-8, and a
     * Foxglove frame header. A larger one closes the connection (1009, too big) before it is kept.
     */
    static final int MAX_FRAME_BYTES = 4 * JsonTree.MAX_CHARS + 64;

    private final Map<String, StreamChoice<SampleStream<?>>> streams = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands motion;

    private Logger log;
    private String robotName;
    private Path dataDir;
    /** where a generated token is printed once */
    PrintStream console = System.out;
    private volatile Running running;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s, Map<String, Object> props) {
        streams.computeIfAbsent(s.name(), n -> new StreamChoice<>()).add(s, props);
    }

    void removeStream(SampleStream<?> s) {
        StreamChoice<SampleStream<?>> c = streams.get(s.name());
        if (c != null) {
            c.remove(s);
        }
    }

    @Activate
    void activate(BundleContext context, Config config) {
        String robot = context.getProperty("armature.robot");
        robotName = robot == null ? "armature" : robot;
        dataDir = DataDirectory.of(context);
        Settings s = Settings.of(config);
        running = start(s, token(s));
    }

    @Modified
    void modified(Config config) {
        Settings s;
        try {
            s = Settings.of(config);
        } catch (IllegalArgumentException e) {
            log.error("ROS bridge configuration refused: {}; the previous configuration stays", e.getMessage());
            return;
        }
        Running old = running;
        old.stop();
        try {
            running = start(s, token(s));
        } catch (IllegalStateException e) {
            log.error("ROS bridge configuration refused: {}; the previous configuration stays", e.getMessage());
            running = start(old.settings, old.token);
        }
    }

    @Deactivate
    void deactivate() {
        Running r = running;
        if (r != null) {
            r.stop();
        }
    }

    /** @return clients dropped for reading too slowly, since the configuration in force started */
    long droppedClients() {
        long n = 0;
        for (WsServer s : running.servers) {
            n += s.droppedClients();
        }
        return n;
    }

    /** @return handshakes refused, since the configuration in force started */
    long refusedHandshakes() {
        long n = 0;
        for (WsServer s : running.servers) {
            n += s.refusedHandshakes();
        }
        return n;
    }

    private RosToken token(Settings s) {
        return RosToken.resolve(s.token(), dataDir, log, console);
    }

    private Running start(Settings s, RosToken token) {
        Running r = new Running(s, token);
        try {
            r.start();
        } catch (RuntimeException e) {
            r.stop();
            throw e;
        }
        return r;
    }

    private SampleStream<?> stream(String name) {
        StreamChoice<SampleStream<?>> c = streams.get(name);
        return c == null ? null : c.chosen();
    }

    /** One configuration at work: the servers, the topics, and the thread that publishes. */
    private final class Running {
        final Settings settings;
        final RosToken token;
        final TopicGraph graph;
        final WsServer.Slots slots;
        final List<WsServer> servers = new ArrayList<>();
        final ScheduledExecutorService thread;
        final Odometry odometry = new Odometry();
        final List<String> joints;
        final long wallAtStart = System.currentTimeMillis() * 1_000_000L;
        final long nanoAtStart = System.nanoTime();
        final List<FoxgloveSession> foxgloveSessions = new CopyOnWriteArrayList<>();
        /** per motion-command source, the client whose command was taken last: its leaving releases the source */
        final Map<String, ClientAccess> lastCommander = new ConcurrentHashMap<>();
        Publisher odom;
        Publisher imu;
        Publisher jointStates;
        final Reader<EncoderSample> left = new Reader<>(EncoderSample.class, new EncoderSample());
        final Reader<ImuSample> imuReader = new Reader<>(ImuSample.class, new ImuSample());
        final Reader<EncoderSample> right = new Reader<>(EncoderSample.class, new EncoderSample());
        volatile DriveGeometry geometry;
        boolean toldNoGeometry;
        final Object refusals = new Object();
        String lastRefusal = "";
        long lastRefusalLogNanos;

        Running(Settings settings, RosToken token) {
            this.settings = settings;
            this.token = token;
            this.graph = new TopicGraph(settings.maxLatchedBytesPerTopic(), settings.maxLatchedBytes());
            this.slots = new WsServer.Slots(settings.maxClients());
            this.joints = List.of(settings.leftJoint(), settings.rightJoint());
            this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "armature-ros-bridge");
                t.setDaemon(true);
                t.setUncaughtExceptionHandler((th, e) -> log.error("ROS bridge thread failed: {}", e.toString()));
                return t;
            });
        }

        void start() {
            graph.robotTopic("/odom", MessageTypes.ODOMETRY);
            graph.robotTopic("/imu", MessageTypes.IMU);
            graph.robotTopic("/joint_states", MessageTypes.JOINT_STATE);
            graph.commandTopic(CMD_VEL, MessageTypes.TWIST, this::admitCommand);
            odom = graph.advertise("/odom", null, new RobotEnd("/odom publisher"), Qos.DEFAULT);
            imu = graph.advertise("/imu", null, new RobotEnd("/imu publisher"), Qos.SENSOR_DATA);
            jointStates = graph.advertise("/joint_states", null, new RobotEnd("/joint_states publisher"), Qos.DEFAULT);
            graph.subscribe(CMD_VEL, null, new CmdVel());
            graph.onChange(g -> foxgloveSessions.forEach(FoxgloveSession::topicsChanged));

            String host = settings.host();
            if (settings.rosbridgePort() != 0) {
                InetSocketAddress at = address(host, settings.rosbridgePort());
                List<Draft> drafts = List.of(new ServerDraft(List.of(), List.<IProtocol>of(new Protocol("")), MAX_FRAME_BYTES));
                FrontDoor door = new FrontDoor("rosbridge", ClientAccess.ROSBRIDGE_SOURCE, true, host, at.getAddress(), at.getPort(),
                        settings.allowedOrigins(), settings.allowedHosts(), () -> token);
                servers.add(new WsServer("rosbridge", at, drafts, door, slots, (out, access) -> {
                    RosbridgeSession session = new RosbridgeSession(graph, out, access, token::matches, settings.maxTopicsPerClient());
                    return new WsServer.Session() {
                        @Override
                        public void onText(String text) {
                            session.onText(text);
                        }

                        @Override
                        public void onBinary(java.nio.ByteBuffer frame) {
                            session.onBinary(frame);
                        }

                        @Override
                        public void closed() {
                            session.closed();
                            clientLeft(access);
                        }
                    };
                }, settings.maxQueuedMessages(), settings.maxQueuedBytes(), log));
            }
            if (settings.foxglovePort() != 0) {
                InetSocketAddress at = address(host, settings.foxglovePort());
                List<IProtocol> protocols = List.of(new Protocol(FoxgloveSession.SUBPROTOCOL));
                List<Draft> drafts = List.of(new ServerDraft(List.of(), protocols, MAX_FRAME_BYTES));
                FrontDoor door = new FrontDoor("Foxglove", ClientAccess.FOXGLOVE_SOURCE, false, host, at.getAddress(), at.getPort(),
                        settings.allowedOrigins(), settings.allowedHosts(), () -> token);
                servers.add(new WsServer("Foxglove", at, drafts, door, slots, (out, access) -> {
                    FoxgloveSession f = new FoxgloveSession(graph, out, "Armature " + robotName, access, settings.maxTopicsPerClient());
                    foxgloveSessions.add(f);
                    f.opened();
                    return new WsServer.Session() {
                        @Override
                        public void onText(String text) {
                            f.onText(text);
                        }

                        @Override
                        public void onBinary(java.nio.ByteBuffer frame) {
                            f.onBinary(frame);
                        }

                        @Override
                        public void closed() {
                            foxgloveSessions.remove(f);
                            f.closed();
                            clientLeft(access);
                        }
                    };
                }, settings.maxQueuedMessages(), settings.maxQueuedBytes(), log));
            }
            for (WsServer s : servers) {
                s.startListening();
            }
            long period = Math.round(1e9 / settings.publishRateHz());
            thread.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
            List<String> where = new ArrayList<>();
            for (WsServer s : servers) {
                where.add(s.label() + " on ws://" + s.where());
            }
            log.info("ROS bridge: {}; /cmd_vel commands through the motion-command service (sources {} and {}) with the robot's token "
                    + "(from {}); /odom, /imu, /joint_states at {} Hz; allowed origins: {}", String.join(", ", where),
                    ClientAccess.ROSBRIDGE_SOURCE, ClientAccess.FOXGLOVE_SOURCE, token.present() ? token.where() : "none: commands are refused",
                    settings.publishRateHz(), settings.allowedOrigins().isEmpty() ? "none" : String.join(", ", settings.allowedOrigins()));
        }

        private InetSocketAddress address(String host, int port) {
            InetSocketAddress a = new InetSocketAddress(host, port);
            if (a.isUnresolved()) {
                throw new IllegalStateException("host '" + host + "' is not an address of this machine nor a name that resolves");
            }
            return a;
        }

        void stop() {
            thread.shutdownNow();
            try {
                thread.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (WsServer s : servers) {
                try {
                    s.stop(1_000, "the robot's ROS bridge is stopping");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            // what the bridge's clients commanded ends with it, before any lease runs out
            for (String source : List.of(ClientAccess.ROSBRIDGE_SOURCE, ClientAccess.FOXGLOVE_SOURCE)) {
                if (lastCommander.remove(source) != null) {
                    release(source, "the ROS bridge stopped");
                }
            }
            left.close();
            right.close();
            imuReader.close();
        }

        /** A client went: when its command was the last its source gave, the source's command ends now. */
        void clientLeft(ClientAccess access) {
            if (lastCommander.remove(access.source(), access)) {
                release(access.source(), "its client disconnected");
            }
        }

        private void release(String source, String why) {
            MotionCommands m = motion;
            if (m == null) {
                return;
            }
            try {
                m.release(source);
                log.info("ROS bridge: commands of source {} released: {}", source, why);
            } catch (RuntimeException e) {
                log.warn("ROS bridge: releasing source {} failed: {}", source, e.getMessage());
            }
        }

        long wallNanos(long monotonicNanos) {
            return wallAtStart + (monotonicNanos - nanoAtStart);
        }

        /** @return the drive's kinematics from the motion-command service; the last known while it is away */
        DriveGeometry geometry() {
            MotionCommands m = motion;
            if (m != null) {
                try {
                    geometry = m.geometry();
                } catch (RuntimeException e) { // going away while called: keep the last
                    log.debug("ROS bridge: no drive geometry: {}", e.toString());
                }
            }
            return geometry;
        }

        /** On the bridge's thread, at publishRateHz: publishes what the streams brought. */
        void tick() {
            try {
                boolean l = left.poll(stream(settings.leftEncoder()));
                boolean r = right.poll(stream(settings.rightEncoder()));
                if (l && r) {
                    EncoderSample ls = left.sample;
                    EncoderSample rs = right.sample;
                    long stamp = wallNanos(Math.max(ls.timestampNanos, rs.timestampNanos));
                    DriveGeometry drive = geometry();
                    if (drive != null) {
                        odometry.integrate(drive, ls.positionRadians, rs.positionRadians);
                        if (graph.hasMatchingSubscriber(odom)) {
                            graph.publish(odom, new Message(RobotMessages.odometry(stamp, settings.odomFrame(), settings.baseFrame(),
                                    odometry.x(), odometry.y(), odometry.heading(),
                                    drive.linear(ls.velocityRadiansPerSecond, rs.velocityRadiansPerSecond),
                                    drive.angular(ls.velocityRadiansPerSecond, rs.velocityRadiansPerSecond)), null, stamp));
                        }
                    } else if (!toldNoGeometry && System.nanoTime() - nanoAtStart > 5_000_000_000L) {
                        toldNoGeometry = true;
                        log.warn("ROS bridge: no motion-command service (armature.control, PID armature.motion) gives the drive's geometry: "
                                + "/odom waits for it");
                    }
                    if (graph.hasMatchingSubscriber(jointStates)) {
                        graph.publish(jointStates, new Message(RobotMessages.jointStates(stamp, joints, ls.positionRadians, rs.positionRadians,
                                ls.velocityRadiansPerSecond, rs.velocityRadiansPerSecond), null, stamp));
                    }
                }
                if (imuReader.poll(stream(settings.imuStream())) && graph.hasMatchingSubscriber(imu)) {
                    long stamp = wallNanos(imuReader.sample.timestampNanos);
                    graph.publish(imu, new Message(RobotMessages.imu(stamp, settings.imuFrame(), imuReader.sample), null, stamp));
                }
            } catch (RuntimeException e) { // a stream going away while read: try again at the next tick
                log.debug("ROS bridge tick: {}", e.toString());
            }
        }

        /** The gate of /cmd_vel: only a client with the robot's token publishes on it, for anyone to hear. */
        void admitCommand(Publisher from) {
            ClientAccess a = from.end.access();
            if (a != null && a.mayCommand()) {
                return;
            }
            String why;
            if (!token.present()) {
                why = "the bridge has no token to check credentials against (see the robot's log), so it takes no commands";
            } else if (a != null && ClientAccess.ROSBRIDGE_SOURCE.equals(a.source())) {
                why = "this client has no credential: send {\"op\": \"auth\", \"mac\": \"<the robot's token>\"} or connect with "
                        + "?token=<the robot's token> (its operator has it: armature-data/ros-token)";
            } else {
                why = "this client has no credential: connect with ?token=<the robot's token> (its operator has it: armature-data/ros-token)";
            }
            throw new IllegalArgumentException(refused(CMD_VEL + " refused, no motion: " + why, from));
        }

        /** Logs a refusal, once per reason in 5 s (a client repeating it does not flood the log). @return the refusal */
        String refused(String why, Publisher from) {
            synchronized (refusals) {
                long now = System.nanoTime();
                if (!why.equals(lastRefusal) || now - lastRefusalLogNanos > 5_000_000_000L) {
                    lastRefusal = why;
                    lastRefusalLogNanos = now;
                    log.warn("ROS bridge: {} (from {})", why, from.end.who());
                }
            }
            return why;
        }

        /** One of the robot's own publishers or subscriptions: what it hears goes to the log. */
        private final class RobotEnd implements TopicGraph.End {
            final String what;

            RobotEnd(String what) {
                this.what = what;
            }

            @Override
            public void warn(String message) {
                log.warn("ROS bridge, {}: {}", who(), message);
            }

            @Override
            public void error(String message) {
                log.warn("ROS bridge, {}: {}", who(), message);
            }

            @Override
            public String who() {
                return "the robot's " + what;
            }
        }

        /**
         * The robot's subscription to /cmd_vel: each Twist goes to the motion-command service as its
         * client's source, or is refused, with one line to the client, and moves nothing.
         */
        private final class CmdVel extends TopicGraph.OwnedSubscriber {

            CmdVel() {
                super(new RobotEnd(CMD_VEL + " subscription"));
            }

            @Override
            public Qos requested() {
                return Qos.DEFAULT;
            }

            @Override
            public int depth() {
                return Qos.DEFAULT.depth();
            }

            @Override
            public void deliver(Topic t, Message message, Publisher from) {
                ClientAccess a = from.end.access();
                if (a == null || !a.mayCommand()) {
                    return; // the gate lets none through; a kept message replayed to a late joiner is not a command
                }
                try {
                    Twist twist = Twist.parse(message.parsed(), settings.maxLinearSpeed(), settings.maxAngularSpeed());
                    MotionCommands m = motion;
                    if (m == null) {
                        throw new IllegalStateException("no motion-command service is running (MotionCommands: bundle armature.control, "
                                + "PID armature.motion)");
                    }
                    boolean inForce = m.twist(a.source(), twist.linear(), twist.angular());
                    lastCommander.put(a.source(), a);
                    if (inForce) {
                        a.toldNotInForce = false;
                    } else if (!a.toldNotInForce) {
                        a.toldNotInForce = true;
                        String owner = m.owner(m.geometry().leftLoop()).orElse("another source");
                        from.end.warn(CMD_VEL + " taken but not in force: source '" + owner + "' of higher priority drives; "
                                + "it takes effect when that one's command ends");
                    }
                } catch (RuntimeException e) {
                    String why = e instanceof IllegalArgumentException || e instanceof IllegalStateException ? e.getMessage() : e.toString();
                    from.end.error(refused(CMD_VEL + " refused, no motion: " + why, from));
                }
            }
        }
    }

    /** A latest-value reader of a stream chosen by name, reopened when the chosen stream changes. */
    private static final class Reader<S extends io.armature.sensor.Sample<S>> {
        final Class<S> type;
        final S sample;
        SampleStream<?> stream;
        SampleReader<S> reader;

        Reader(Class<S> type, S sample) {
            this.type = type;
            this.sample = sample;
        }

        /** @return true when a new valid sample is in {@link #sample} */
        @SuppressWarnings("unchecked")
        boolean poll(SampleStream<?> chosen) {
            if (chosen != stream) {
                close();
                stream = chosen;
                if (chosen != null && chosen.sampleType() == type) {
                    reader = ((SampleStream<S>) chosen).openLatest();
                }
            }
            return reader != null && reader.poll(sample) && sample.valid();
        }

        void close() {
            if (reader != null) {
                reader.close();
                reader = null;
            }
            stream = null;
        }
    }
}
