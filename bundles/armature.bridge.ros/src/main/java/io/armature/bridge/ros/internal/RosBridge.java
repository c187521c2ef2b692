package io.armature.bridge.ros.internal;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
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
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;
import io.armature.control.ControlLoop;
import io.armature.control.TunableLoop;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;
import io.armature.sensor.StreamChoice;

/**
 * The robot to ROS 2 tools: a rosbridge v2 server and a Foxglove WebSocket server, on their own
 * ports, bound to 127.0.0.1 unless configured otherwise. {@code /cmd_vel}
 * ({@code geometry_msgs/msg/Twist}) sets the two wheel loops' setpoints; {@code /odom},
 * {@code /imu} and {@code /joint_states} are published from the encoder and IMU streams at
 * {@code publishRateHz}.
 *
 * <p>Motion: a Twist that is malformed, not finite or beyond the limits is refused with a status
 * message and moves nothing; so is every Twist while the safety supervisor is tripped or absent.
 * When no Twist came for {@code cmdVelTimeoutMillis}, or the supervisor trips, the wheels the
 * bridge set in motion get setpoint 0, as they do when the bridge stops: its safe state.
 */
@Component(service = RosBridge.class, immediate = true, configurationPid = RosBridge.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = RosBridge.Config.class)
public final class RosBridge {

    public static final String PID = "armature.bridge.ros";

    @ObjectClassDefinition(name = "Armature ROS bridge",
            description = "rosbridge v2 and Foxglove WebSocket servers: /cmd_vel drives the wheels; /odom, /imu and /joint_states are published.")
    public @interface Config {
        @AttributeDefinition(name = "Host", description = "Address to listen on; 127.0.0.1 keeps the bridge to this machine.")
        String host() default "127.0.0.1";

        @AttributeDefinition(name = "rosbridge port", description = "rosbridge v2 WebSocket port (roslib, rosbridge tools), 1..65535; 0 for off.")
        int rosbridgePort() default 9090;

        @AttributeDefinition(name = "Foxglove port", description = "Foxglove WebSocket (foxglove.websocket.v1) port, 1..65535; 0 for off.")
        int foxglovePort() default 8765;

        @AttributeDefinition(name = "Left wheel loop", description = "Name of the left wheel-speed loop (setpoint in rad/s).")
        String leftLoop() default "left";

        @AttributeDefinition(name = "Right wheel loop", description = "Name of the right wheel-speed loop (setpoint in rad/s).")
        String rightLoop() default "right";

        @AttributeDefinition(name = "Left encoder stream", description = "Stream of the left wheel's encoder.")
        String leftEncoderStream() default "encoder.left";

        @AttributeDefinition(name = "Right encoder stream", description = "Stream of the right wheel's encoder.")
        String rightEncoderStream() default "encoder.right";

        @AttributeDefinition(name = "IMU stream", description = "Stream of the IMU published on /imu.")
        String imuStream() default "imu";

        @AttributeDefinition(name = "Wheel radius (m)", description = "0.001..10 m.")
        double wheelRadius() default 0.04;

        @AttributeDefinition(name = "Wheel base (m)", description = "Distance between the wheels' contact points, 0.01..100 m.")
        double wheelBase() default 0.20;

        @AttributeDefinition(name = "Max linear speed (m/s)", description = "A /cmd_vel with a larger |linear.x| is refused, 0..100 m/s.")
        double maxLinearSpeed() default 1.0;

        @AttributeDefinition(name = "Max angular speed (rad/s)", description = "A /cmd_vel with a larger |angular.z| is refused, 0..100 rad/s.")
        double maxAngularSpeed() default 6.0;

        @AttributeDefinition(name = "/cmd_vel timeout (ms)", description = "With no /cmd_vel for this long the wheels are set to 0, 50..10000 ms.")
        int cmdVelTimeoutMillis() default 500;

        @AttributeDefinition(name = "Publish rate (Hz)", description = "/odom, /imu and /joint_states messages per second each, 1..200.")
        double publishRateHz() default 20;

        @AttributeDefinition(name = "Max queued messages", description = "Messages waiting for one client, 1..100000; a client that falls further behind is disconnected.")
        int maxQueuedMessages() default 500;

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

    private final Map<TunableLoop, String> loops = new ConcurrentHashMap<>();
    private final Map<String, StreamChoice<SampleStream<?>>> streams = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor safety;

    private Logger log;
    private String robotName;
    private volatile Running running;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop, Map<String, Object> props) {
        loops.put(loop, String.valueOf(props.get(ControlLoop.PROPERTY_NAME)));
    }

    void removeLoop(TunableLoop loop) {
        loops.remove(loop);
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
        running = start(Settings.of(config));
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
            running = start(s);
        } catch (IllegalStateException e) {
            log.error("ROS bridge configuration refused: {}; the previous configuration stays", e.getMessage());
            running = start(old.settings);
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

    private Running start(Settings s) {
        Running r = new Running(s);
        try {
            r.start();
        } catch (RuntimeException e) {
            r.stop();
            throw e;
        }
        return r;
    }

    /** @return per loop name, the instance that drives (during a side-by-side update one of two stands by) */
    private TunableLoop drivingLoop(String name) {
        TunableLoop found = null;
        for (Map.Entry<TunableLoop, String> e : loops.entrySet()) {
            if (e.getValue().equals(name) && (found == null || !e.getKey().isStandby())) {
                found = e.getKey();
            }
        }
        return found;
    }

    private SampleStream<?> stream(String name) {
        StreamChoice<SampleStream<?>> c = streams.get(name);
        return c == null ? null : c.chosen();
    }

    /** One configuration at work: the servers, the topics, and the thread that publishes and watches /cmd_vel. */
    private final class Running {
        final Settings settings;
        final TopicGraph graph = new TopicGraph();
        final List<WsServer> servers = new ArrayList<>();
        final ScheduledExecutorService thread;
        final DiffDrive drive;
        final List<String> joints;
        final long wallAtStart = System.currentTimeMillis() * 1_000_000L;
        final long nanoAtStart = System.nanoTime();
        final List<FoxgloveSession> foxgloveSessions = new java.util.concurrent.CopyOnWriteArrayList<>();
        Publisher odom;
        Publisher imu;
        Publisher jointStates;
        final Reader<EncoderSample> left = new Reader<>(EncoderSample.class, new EncoderSample());
        final Reader<EncoderSample> right = new Reader<>(EncoderSample.class, new EncoderSample());
        final Reader<ImuSample> imuReader = new Reader<>(ImuSample.class, new ImuSample());
        final Object motion = new Object();
        /** guarded by motion: the bridge set the wheels moving and has not stopped them since */
        boolean commanded;
        long lastTwistNanos;
        String lastRefusal = "";
        long lastRefusalLogNanos;

        Running(Settings settings) {
            this.settings = settings;
            this.drive = new DiffDrive(settings.wheelRadius(), settings.wheelBase());
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
            graph.robotTopic(CMD_VEL, MessageTypes.TWIST);
            odom = graph.advertise("/odom", null, new RobotEnd("/odom publisher"), Qos.DEFAULT);
            imu = graph.advertise("/imu", null, new RobotEnd("/imu publisher"), Qos.SENSOR_DATA);
            jointStates = graph.advertise("/joint_states", null, new RobotEnd("/joint_states publisher"), Qos.DEFAULT);
            graph.subscribe(CMD_VEL, null, new CmdVel());
            graph.onChange(g -> foxgloveSessions.forEach(FoxgloveSession::topicsChanged));

            String host = settings.host();
            if (settings.rosbridgePort() != 0) {
                List<Draft> drafts = List.of(new Draft_6455(List.of(), List.<IProtocol>of(new Protocol("")), MAX_FRAME_BYTES));
                servers.add(new WsServer("rosbridge", new InetSocketAddress(host, settings.rosbridgePort()), drafts,
                        out -> new RosbridgeSession(graph, out), settings.maxQueuedMessages(), log));
            }
            if (settings.foxglovePort() != 0) {
                List<IProtocol> protocols = List.of(new Protocol(FoxgloveSession.SUBPROTOCOL));
                List<Draft> drafts = List.of(new Draft_6455(List.of(), protocols, MAX_FRAME_BYTES));
                servers.add(new WsServer("Foxglove", new InetSocketAddress(host, settings.foxglovePort()), drafts, out -> {
                    FoxgloveSession f = new FoxgloveSession(graph, out, "Armature " + robotName);
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
                        }
                    };
                }, settings.maxQueuedMessages(), log));
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
            log.info("ROS bridge: {}; /cmd_vel drives loops {} and {}; /odom, /imu, /joint_states at {} Hz", String.join(", ", where),
                    settings.leftLoop(), settings.rightLoop(), settings.publishRateHz());
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
            synchronized (motion) {
                if (commanded) {
                    stopWheels("the ROS bridge stopped");
                }
            }
            left.close();
            right.close();
            imuReader.close();
        }

        long wallNanos(long monotonicNanos) {
            return wallAtStart + (monotonicNanos - nanoAtStart);
        }

        /** On the bridge's thread, at publishRateHz: publishes what the streams brought, and watches /cmd_vel. */
        void tick() {
            try {
                watchCmdVel();
                boolean l = left.poll(stream(settings.leftEncoder()));
                boolean r = right.poll(stream(settings.rightEncoder()));
                if (l && r) {
                    EncoderSample ls = left.sample;
                    EncoderSample rs = right.sample;
                    drive.integrate(ls.positionRadians, rs.positionRadians);
                    long stamp = wallNanos(Math.max(ls.timestampNanos, rs.timestampNanos));
                    if (graph.hasMatchingSubscriber(odom)) {
                        graph.publish(odom, new Message(RobotMessages.odometry(stamp, settings.odomFrame(), settings.baseFrame(), drive.x(),
                                drive.y(), drive.heading(), drive.linear(ls.velocityRadiansPerSecond, rs.velocityRadiansPerSecond),
                                drive.angular(ls.velocityRadiansPerSecond, rs.velocityRadiansPerSecond)), null, stamp));
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
            } catch (RuntimeException e) { // a stream or loop going away while read: try again at the next tick
                log.debug("ROS bridge tick: {}", e.toString());
            }
        }

        /** Stops the wheels when /cmd_vel went stale or the supervisor tripped, so nothing resumes by itself after a reset. */
        void watchCmdVel() {
            synchronized (motion) {
                if (!commanded) {
                    return;
                }
                long silentMillis = (System.nanoTime() - lastTwistNanos) / 1_000_000;
                SafetySupervisor s = safety;
                if (silentMillis >= settings.cmdVelTimeoutMillis()) {
                    stopWheels("no /cmd_vel for " + silentMillis + " ms (timeout " + settings.cmdVelTimeoutMillis() + " ms)");
                } else if (s == null || !s.mayMove()) {
                    stopWheels("the safety supervisor " + (s == null ? "went away" : "tripped"));
                }
            }
        }

        /** Called holding motion. */
        void stopWheels(String why) {
            commanded = false;
            for (String name : List.of(settings.leftLoop(), settings.rightLoop())) {
                TunableLoop loop = drivingLoop(name);
                if (loop != null) {
                    loop.setSetpoint(0.0);
                }
            }
            log.info("ROS bridge: wheels set to 0: {}", why);
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

        /** The robot's subscription to /cmd_vel: each Twist sets both wheel setpoints, or is refused and moves nothing. */
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
                try {
                    drive(Twist.parse(message.parsed(), settings.maxLinearSpeed(), settings.maxAngularSpeed()));
                } catch (IllegalArgumentException | IllegalStateException e) {
                    String why = CMD_VEL + " refused, no motion: " + e.getMessage();
                    from.end.error(why);
                    long now = System.nanoTime();
                    if (!why.equals(lastRefusal) || now - lastRefusalLogNanos > 5_000_000_000L) { // a client repeating it does not flood the log
                        lastRefusal = why;
                        lastRefusalLogNanos = now;
                        log.warn("ROS bridge: {} (from {})", why, from.end.who());
                    }
                }
            }

            private void drive(Twist twist) {
                SafetySupervisor s = safety;
                if (s == null) {
                    throw new IllegalStateException("no safety supervisor is installed (bundle armature.safety)");
                }
                if (!s.mayMove()) {
                    throw new IllegalStateException("the robot is tripped (" + s.tripReason().map(r -> r.source() + ": " + r.message())
                            .orElse("no reason given") + "); reset it first");
                }
                TunableLoop l = drivingLoop(settings.leftLoop());
                TunableLoop r = drivingLoop(settings.rightLoop());
                if (l == null || r == null) {
                    throw new IllegalStateException("wheel loop '" + (l == null ? settings.leftLoop() : settings.rightLoop()) + "' is not running");
                }
                double leftSpeed = drive.leftWheel(twist.linear(), twist.angular());
                double rightSpeed = drive.rightWheel(twist.linear(), twist.angular());
                synchronized (motion) {
                    try {
                        l.setSetpoint(leftSpeed);
                        r.setSetpoint(rightSpeed);
                    } catch (IllegalArgumentException beyondLoopLimit) {
                        stopWheels("a wheel loop refused the setpoint");
                        throw new IllegalArgumentException("wheel speeds " + String.format(java.util.Locale.ROOT, "%.3g and %.3g", leftSpeed,
                                rightSpeed) + " rad/s refused by the wheel loops: " + beyondLoopLimit.getMessage());
                    }
                    lastTwistNanos = System.nanoTime();
                    commanded = true;
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
