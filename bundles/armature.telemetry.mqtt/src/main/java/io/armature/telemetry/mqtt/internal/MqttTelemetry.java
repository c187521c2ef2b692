package io.armature.telemetry.mqtt.internal;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttException;
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
import org.osgi.service.metatype.annotations.Option;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.kit.motion.DirectStop;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;

/**
 * Publishes the robot to an MQTT broker and, when enabled, takes commands from it. Topics, under
 * {@code armature/<robotId>}:
 * <ul>
 * <li>{@code online}: retained {@code true} on connect; the Last Will sets it to {@code false}
 * when the connection drops, and an orderly stop publishes {@code false} too;</li>
 * <li>{@code status}: retained JSON at {@code statusRateHz}: safety state, trip reason, boards,
 * command counters;</li>
 * <li>{@code loops/<name>}, {@code streams/<name>}: JSON at
 * {@code telemetryRateHz};</li>
 * <li>{@code cmd/setpoint/<loop>} (a number), {@code cmd/estop} (a reason), {@code cmd/reset}:
 * only with {@code commandsEnabled}; a refused command changes nothing and is answered on
 * {@code cmd/error} with JSON {@code {topic, error}}; any other {@code cmd/} topic is ignored and
 * counted.</li>
 * </ul>
 * Every command goes through {@link MotionCommands} as the source {@value CommandRouter#SOURCE}
 * ({@link CommandRouter}): its priority, its lease (a setpoint not renewed within it lapses and
 * the wheel goes to 0) and its reset rights are configured there ({@code armature.motion}), not
 * here. When the broker connection is lost, or the component stops, every MQTT command is
 * withdrawn at once.
 * With {@code payloadFormat=sparkplugb} the same robot is a Sparkplug B edge node instead (Eclipse
 * Tahu encodes the payloads), topics {@code spBv1.0/<sparkplugGroupId>/<type>/<robotId>[/<device>]}:
 * <ul>
 * <li>NBIRTH on every connect and rebirth, NDATA at {@code statusRateHz}: {@code bdSeq}, the node
 * controls {@code Node Control/Rebirth}, {@code Node Control/E-Stop} and {@code Node Control/Reset}
 * (Boolean), the safety state, the boards and the command counters; NDEATH with the same
 * {@code bdSeq} is the Last Will and is also sent on an orderly stop;</li>
 * <li>one device per loop ({@code loop-<name>}) and stream ({@code stream-<name>}): DBIRTH, then
 * DDATA at {@code telemetryRateHz}, DDEATH when it goes; the metrics are the fields of the JSON messages, under the same names;</li>
 * <li>NCMD {@code Node Control/Rebirth = true} sends the births again, always; with
 * {@code commandsEnabled}, NCMD {@code Node Control/E-Stop = true} or {@code Node Control/Reset =
 * true}, and DCMD {@code setpoint} (Double) to a loop device. A command with any bad metric is
 * refused whole, changes nothing (except that an e-stop in it is done), and its reason is the
 * node metric {@code commands/lastError}, sent at once in an NDATA.</li>
 * </ul>
 * Sparkplug B keeps nothing while the broker is away: the births after a reconnect carry the
 * current values.
 * <p>Everything is read and published from the component's own thread, never from a control loop.
 * While the broker is away the component reconnects with a growing pause (1 to 8 s) and keeps the
 * newest {@code bufferSize} JSON messages, sent when it is back.
 *
 * <p>This class is the component: its configuration, the services it tracks, and a
 * {@link MqttSession} per configuration with its {@link PayloadFormat} ({@link JsonFormat} or
 * {@link SparkplugFormat}) and its {@link CommandIntake}.
 */
@Component(service = MqttTelemetry.class, immediate = true, configurationPid = MqttTelemetry.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = MqttTelemetry.Config.class)
public final class MqttTelemetry {

    public static final String PID = "armature.telemetry.mqtt";

    @ObjectClassDefinition(name = "Armature MQTT telemetry",
            description = "Publishes safety state, loops and sensor streams to an MQTT broker; optionally takes setpoint, e-stop and reset commands, as the motion source 'mqtt' (priority, lease and reset rights: armature.motion).")
    public @interface Config {
        @AttributeDefinition(name = "Broker URI", description = "tcp://host:port, or ssl://host:port for TLS.")
        String brokerUri() default "tcp://127.0.0.1:1883";

        @AttributeDefinition(name = "Robot id", description = "Topic level armature/<robotId>; empty: the framework property armature.robot.")
        String robotId() default "";

        @AttributeDefinition(name = "Client id", description = "MQTT client id; empty: armature-<robotId>. Two clients with one id knock each other off.")
        String clientId() default "";

        @AttributeDefinition(name = "User name", description = "Broker user name; empty for anonymous.")
        String username() default "";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD, description = "Broker password; prefer passwordFile.")
        String password() default "";

        @AttributeDefinition(name = "Password file", description = "A file holding the broker password (surrounding white space ignored), so that it is not in the configuration.")
        String passwordFile() default "";

        @AttributeDefinition(name = "Trust store", description = "For ssl://: a trust store of the CA that signed the broker's certificate; empty: the JVM's default trust. The certificate must also name the broker's host (or IP address).")
        String trustStore() default "";

        @AttributeDefinition(name = "Trust store password", type = AttributeType.PASSWORD, description = "Password of the trust store; empty for none.")
        String trustStorePassword() default "";

        @AttributeDefinition(name = "Trust store type", description = "PKCS12 or JKS.")
        String trustStoreType() default "PKCS12";

        @AttributeDefinition(name = "Key store", description = "For ssl:// with client-certificate authentication: a key store holding the robot's private key and certificate; empty: no client certificate.")
        String keyStore() default "";

        @AttributeDefinition(name = "Key store password", type = AttributeType.PASSWORD, description = "Password of the key store and of its key.")
        String keyStorePassword() default "";

        @AttributeDefinition(name = "Key store type", description = "PKCS12 or JKS.")
        String keyStoreType() default "PKCS12";

        @AttributeDefinition(name = "Payload format", description = "json: plain JSON under armature/<robotId>; sparkplugb: Sparkplug B (protobuf) under spBv1.0/<sparkplugGroupId>, the robot being an edge node.",
                options = {@Option(label = "JSON", value = "json"), @Option(label = "Sparkplug B", value = "sparkplugb")})
        String payloadFormat() default "json";

        @AttributeDefinition(name = "Sparkplug group id", description = "For sparkplugb: the group of edge nodes, 1..64 letters, digits, '.', '_' or '-'.")
        String sparkplugGroupId() default "armature";

        @AttributeDefinition(name = "Telemetry rate (Hz)", description = "Loop and stream messages per second each, 0.1..1000.")
        double telemetryRateHz() default 2.0;

        @AttributeDefinition(name = "Telemetry QoS", description = "MQTT QoS of JSON loop and stream messages: 0 (at most once) or 1 (at least once). Sparkplug B data is QoS 0, as its specification says.")
        int telemetryQos() default 0;

        @AttributeDefinition(name = "Status rate (Hz)", description = "Status messages per second, 0.1..50.")
        double statusRateHz() default 1.0;

        @AttributeDefinition(name = "Commands enabled", description = "Take setpoint, e-stop and reset commands from armature/<robotId>/cmd/ (Sparkplug B: NCMD, DCMD), as the motion source 'mqtt': a setpoint lapses after the source's lease unless renewed, and a reset needs reset rights for mqtt in armature.motion.")
        boolean commandsEnabled() default false;

        @AttributeDefinition(name = "Offline buffer (messages)", description = "Messages kept while the broker is away, 1..100000; the oldest go first.")
        int bufferSize() default 1000;

        @AttributeDefinition(name = "Keep-alive (s)", description = "MQTT keep-alive interval, 2..600 s: the broker publishes the Last Will about 1.5 times this after the robot goes silent.")
        int keepAliveSeconds() default 10;

        @AttributeDefinition(name = "Connect timeout (s)", description = "1..60 s.")
        int connectTimeoutSeconds() default 5;

        @AttributeDefinition(name = "Flush delay (us)", description = "tcp:// only: MQTT packets written within this many microseconds go out in one system call, 0..10000; 0 writes each packet on its own, as Paho does. ssl:// always writes each packet on its own.")
        int flushDelayMicros() default 500;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor safety;

    /** The one path of motion commands: every MQTT command goes through it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands motion;

    private final RobotServices robot = new RobotServices(() -> safety);

    private final CommandRouter router = new CommandRouter(() -> motion, robot::loopNames,
            reason -> DirectStop.estop(CommandRouter.SOURCE, reason, safety, robot.boards()), line -> this.log.info(line));

    private Logger log;
    private String frameworkRobot;
    private ScheduledExecutorService thread;
    private volatile MqttSession session;

    @Reference(service = LoggerFactory.class)
    void setLogger(Logger logger) {
        this.log = logger;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop, Map<String, Object> props) {
        robot.add(robot.loops, loop, props);
    }

    void removeLoop(TunableLoop loop) {
        robot.remove(robot.loops, loop);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStatistics(LoopStatistics s, Map<String, Object> props) {
        robot.add(robot.statistics, s, props);
    }

    void removeStatistics(LoopStatistics s) {
        robot.remove(robot.statistics, s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s) {
        robot.add(robot.streams, s, null);
    }

    void removeStream(SampleStream<?> s) {
        robot.remove(robot.streams, s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        robot.boards.add(b);
    }

    void removeBoard(Board b) {
        robot.boards.remove(b);
    }

    @Activate
    void activate(BundleContext context, Config config) throws MqttException {
        frameworkRobot = context.getProperty("armature.robot");
        Settings s = Settings.of(config, frameworkRobot);
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "armature-mqtt");
            t.setDaemon(true);
            return t;
        });
        start(s);
    }

    @Modified
    void modified(Config config) throws MqttException {
        Settings s;
        try {
            s = Settings.of(config, frameworkRobot);
        } catch (IllegalArgumentException e) {
            log.error("MQTT telemetry configuration refused: {}; the previous configuration stays", e.getMessage());
            return;
        }
        stop();
        start(s);
    }

    @Deactivate
    void deactivate() {
        stop();
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start(Settings s) throws MqttException {
        MqttSession ss = new MqttSession(s, thread, log);
        CommandIntake commands = new CommandIntake(router, s.commandsEnabled(), log);
        PayloadFormat format = s.sparkplug() ? new SparkplugFormat(ss, robot, commands, log) : new JsonFormat(ss, robot, commands, log);
        session = ss;
        ss.start(format, commands);
    }

    private void stop() {
        MqttSession ss = session;
        if (ss != null) {
            ss.stop();
        }
    }

    /** @return the connection and its counters, for {@code mqtt:status} */
    String status() {
        return session.status();
    }
}
