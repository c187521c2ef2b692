package io.armature.bridge.ros.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

import org.osgi.service.log.Logger;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;
import io.armature.kit.motion.Odometry;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.sensor.EncoderSample;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleStream;

/**
 * The robot's side of the topic graph, for one configuration: {@code /cmd_vel} goes to the
 * motion-command service as its client's source (only a client with the robot's token may
 * publish on it); {@code /odom} (from {@link Odometry} and the service's {@link DriveGeometry}),
 * {@code /imu} and {@code /joint_states} are published from the streams at each {@link #tick}.
 * A source whose last commanding client leaves, or whose bridge stops, is released at once.
 */
final class BaseController {

    static final String CMD_VEL = "/cmd_vel";

    private final Settings settings;
    private final RosToken token;
    private final TopicGraph graph;
    private final Supplier<MotionCommands> motion;
    private final Function<String, SampleStream<?>> streams;
    private final Logger log;
    private final Odometry odometry = new Odometry();
    private final List<String> joints;
    private final long wallAtStart = System.currentTimeMillis() * 1_000_000L;
    private final long nanoAtStart = System.nanoTime();
    /** per motion-command source, the client whose command was taken last: its leaving releases the source */
    private final Map<String, ClientAccess> lastCommander = new ConcurrentHashMap<>();
    private final LatestSample<EncoderSample> left = new LatestSample<>(EncoderSample.class, new EncoderSample());
    private final LatestSample<EncoderSample> right = new LatestSample<>(EncoderSample.class, new EncoderSample());
    private final LatestSample<ImuSample> imuReader = new LatestSample<>(ImuSample.class, new ImuSample());
    private Publisher odom;
    private Publisher imu;
    private Publisher jointStates;
    private volatile DriveGeometry geometry;
    private boolean toldNoGeometry;
    private final Object refusals = new Object();
    private String lastRefusal = "";
    private long lastRefusalLogNanos;

    /**
     * @param motion  the motion-command service now, or null
     * @param streams the stream of a name now, or null
     */
    BaseController(BridgeSetup setup, Supplier<MotionCommands> motion, Function<String, SampleStream<?>> streams) {
        this.settings = setup.settings();
        this.token = setup.token();
        this.graph = setup.graph();
        this.log = setup.log();
        this.motion = motion;
        this.streams = streams;
        this.joints = List.of(settings.leftJoint(), settings.rightJoint());
    }

    /** Creates the robot's topics, its publishers and its /cmd_vel subscription. */
    void start() {
        graph.robotTopic("/odom", MessageTypes.ODOMETRY);
        graph.robotTopic("/imu", MessageTypes.IMU);
        graph.robotTopic("/joint_states", MessageTypes.JOINT_STATE);
        graph.commandTopic(CMD_VEL, MessageTypes.TWIST, this::admitCommand);
        odom = graph.advertise("/odom", null, new RobotEnd("/odom publisher"), Qos.DEFAULT);
        imu = graph.advertise("/imu", null, new RobotEnd("/imu publisher"), Qos.SENSOR_DATA);
        jointStates = graph.advertise("/joint_states", null, new RobotEnd("/joint_states publisher"), Qos.DEFAULT);
        graph.subscribe(CMD_VEL, null, new CmdVel());
    }

    /** What the bridge's clients commanded ends with it, before any lease runs out; the readers close. Call after the last tick. */
    void stop() {
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
        MotionCommands m = motion.get();
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

    private long wallNanos(long monotonicNanos) {
        return wallAtStart + (monotonicNanos - nanoAtStart);
    }

    /** @return the drive's kinematics from the motion-command service; the last known while it is away */
    private DriveGeometry geometry() {
        MotionCommands m = motion.get();
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
            boolean l = left.poll(streams.apply(settings.leftEncoder()));
            boolean r = right.poll(streams.apply(settings.rightEncoder()));
            if (l && r) {
                publishDrive(left.sample, right.sample);
            }
            if (imuReader.poll(streams.apply(settings.imuStream())) && graph.hasMatchingSubscriber(imu)) {
                long stamp = wallNanos(imuReader.sample.timestampNanos);
                graph.publish(imu, new Message(RobotMessages.imu(stamp, settings.imuFrame(), imuReader.sample), null, stamp));
            }
        } catch (RuntimeException e) { // a stream going away while read: try again at the next tick
            log.debug("ROS bridge tick: {}", e.toString());
        }
    }

    /** /odom (once the drive's geometry is known) and /joint_states from a pair of wheel samples. */
    private void publishDrive(EncoderSample ls, EncoderSample rs) {
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

    /** The gate of /cmd_vel: only a client with the robot's token publishes on it, for anyone to hear. */
    private void admitCommand(Publisher from) {
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
    private String refused(String why, Publisher from) {
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
        private final String what;

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
                MotionCommands m = motion.get();
                if (m == null) {
                    throw new IllegalStateException("no motion-command service is running (MotionCommands: bundle armature.motion)");
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
