package io.armature.bridge.ros.internal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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

import io.armature.kit.service.DataDirectory;
import io.armature.kit.service.NamedServices;
import io.armature.motion.DriveGeometry;
import io.armature.motion.MotionCommands;
import io.armature.sensor.SampleStream;

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
 *
 * <p>This component holds the configuration and what the bridge uses; each configuration at work
 * is the {@link BridgeServers} (the transport) and the {@link BaseController} (the robot's
 * topics), with the thread that publishes.
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

    /** The largest frame a client may send, in bytes (see {@link BridgeServers#MAX_FRAME_BYTES}). */
    static final int MAX_FRAME_BYTES = BridgeServers.MAX_FRAME_BYTES;

    /** Of the streams of one name, the highest ranked: a replay under a live stream's name while it plays. */
    private final NamedServices<SampleStream<?>> streams = NamedServices.byNameRanked(SampleStream::name);

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
        streams.add(s, props);
    }

    void removeStream(SampleStream<?> s) {
        streams.remove(s);
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
        return running.servers.droppedClients();
    }

    /** @return handshakes refused, since the configuration in force started */
    long refusedHandshakes() {
        return running.servers.refusedHandshakes();
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

    /** One configuration at work: the servers, the robot's topics, and the thread that publishes. */
    private final class Running {
        final Settings settings;
        final RosToken token;
        final BaseController controller;
        final BridgeServers servers;
        final ScheduledExecutorService thread;

        Running(Settings settings, RosToken token) {
            this.settings = settings;
            this.token = token;
            BridgeSetup setup = new BridgeSetup(settings, token, new TopicGraph(settings.maxLatchedBytesPerTopic(), settings.maxLatchedBytes()), log);
            this.controller = new BaseController(setup, () -> motion, streams::get);
            this.servers = new BridgeServers(setup, "Armature " + robotName, controller::clientLeft);
            this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "armature-ros-bridge");
                t.setDaemon(true);
                t.setUncaughtExceptionHandler((th, e) -> log.error("ROS bridge thread failed: {}", e.toString()));
                return t;
            });
        }

        void start() {
            controller.start();
            servers.start();
            long period = Math.round(1e9 / settings.publishRateHz());
            thread.scheduleAtFixedRate(controller::tick, period, period, TimeUnit.NANOSECONDS);
            log.info("ROS bridge: {}; /cmd_vel commands through the motion-command service (sources {} and {}) with the robot's token "
                    + "(from {}); /odom, /imu, /joint_states at {} Hz; allowed origins: {}", String.join(", ", servers.where()),
                    ClientAccess.ROSBRIDGE_SOURCE, ClientAccess.FOXGLOVE_SOURCE, token.present() ? token.where() : "none: commands are refused",
                    settings.publishRateHz(), settings.allowedOrigins().isEmpty() ? "none" : String.join(", ", settings.allowedOrigins()));
        }

        void stop() {
            thread.shutdownNow();
            try {
                thread.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            servers.stop();
            controller.stop();
        }
    }
}
