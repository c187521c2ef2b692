package io.armature.telemetry.mqtt.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
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

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.motion.CommandSource;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;
import io.armature.sensor.SampleStream;
import io.armature.telemetry.TelemetrySource;
import io.armature.kit.motion.DirectStop;

/**
 * Publishes the robot to an MQTT broker and, when enabled, takes commands from it. Topics, under
 * {@code armature/<robotId>}:
 * <ul>
 * <li>{@code online}: retained {@code true} on connect; the Last Will sets it to {@code false}
 * when the connection drops, and an orderly stop publishes {@code false} too;</li>
 * <li>{@code status}: retained JSON at {@code statusRateHz}: safety state, trip reason, boards,
 * command counters;</li>
 * <li>{@code loops/<name>}, {@code streams/<name>}, {@code telemetry/<name>}: JSON at
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
 * <li>one device per loop ({@code loop-<name>}), stream ({@code stream-<name>}) and telemetry
 * source ({@code source-<name>}): DBIRTH, then DDATA at {@code telemetryRateHz}, DDEATH when it
 * goes; the metrics are the fields of the JSON messages, under the same names;</li>
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
 * newest {@code bufferSize} JSON messages, sent when it is back. (Paho's own automatic reconnect is not
 * used: in 1.2.5 its reconnect timer outlives disconnect and close, so a stopped or reconfigured
 * component would go on connecting.)
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

        @AttributeDefinition(name = "Telemetry rate (Hz)", description = "Loop, stream and telemetry-source messages per second each, 0.1..1000.")
        double telemetryRateHz() default 2.0;

        @AttributeDefinition(name = "Telemetry QoS", description = "MQTT QoS of JSON loop, stream and telemetry-source messages: 0 (at most once) or 1 (at least once). Sparkplug B data is QoS 0, as its specification says.")
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

    private static final java.util.regex.Pattern NOT_IN_A_TOPIC_LEVEL = java.util.regex.Pattern.compile("[^A-Za-z0-9_.-]");

    /** Sparkplug B device ids of loops: this and the loop's name. */
    static final String LOOP_DEVICE = "loop-";

    /**
     * Commands waiting for the component's thread beyond this are ignored (and counted): a flood
     * cannot queue without bound. Messages on the topics that can carry an e-stop ({@code cmd/estop},
     * NCMD) have a bound of their own, so that a flood of setpoints never crowds an e-stop out.
     */
    private static final int MAX_PENDING_COMMANDS = 64;

    /** A refusal with the same reason as the one logged last is not logged again within this (renewals come every half lease). */
    private static final long REFUSAL_LOG_QUIET_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * Messages handed to the client and not yet written (QoS 0) or acknowledged (QoS 1) beyond
     * which telemetry is dropped, newest first, and counted. Paho queues QoS 0 messages without
     * any bound, so a rate beyond what the link carries would otherwise grow the heap the control
     * loops share until the JVM fails. 1000 messages are about 50 ms of telemetry at 20,000/s.
     */
    static final int MAX_UNSENT = 1_000;

    private final Map<TunableLoop, String> loops = new ConcurrentHashMap<>();
    private final List<Map.Entry<String, LoopStatistics>> statistics = new CopyOnWriteArrayList<>();
    private final List<SampleStream<?>> streams = new CopyOnWriteArrayList<>();
    private final List<Board> boards = new CopyOnWriteArrayList<>();
    private final Map<TelemetrySource, String> sources = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor safety;

    /** The one path of motion commands: every MQTT command goes through it. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands motion;

    private final CommandRouter router = new CommandRouter(() -> motion, this::loopNames, reason -> DirectStop.estop(CommandRouter.SOURCE, reason, safety, boards),
            line -> this.log.info(line));

    private Logger log;
    private String frameworkRobot;
    private ScheduledExecutorService thread;
    private volatile Session session;

    /** One connection with one configuration; replaced whole when the configuration changes. */
    private final class Session {
        final Settings settings;
        final MqttAsyncClient client;
        final String base;
        final AtomicLong published = new AtomicLong();
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong ignored = new AtomicLong();
        final AtomicInteger pendingCommands = new AtomicInteger();
        final AtomicInteger pendingStops = new AtomicInteger();
        /** The last refusal logged and when; only the component's thread touches them. */
        String refusalLogged;
        long refusalLoggedNanos;
        /** The Sparkplug B edge node; null for JSON. */
        final Sparkplug sparkplug;
        /** Sparkplug B: connected and its NBIRTH sent; only the component's thread touches it. */
        boolean born;
        volatile String lastCommandError;
        /**
         * Per loop, stream and source name, its message; the messages of one period; the snapshot
         * map a source fills; the text of a JSON payload. Only the component's thread touches them.
         */
        final Map<String, Telemetry> loopMessages = new java.util.HashMap<>();
        final Map<String, Telemetry> streamMessages = new java.util.HashMap<>();
        final Map<String, Telemetry> sourceMessages = new java.util.HashMap<>();
        final List<Telemetry> collected = new ArrayList<>();
        final Map<String, Object> snapshot = new LinkedHashMap<>();
        final StringBuilder json = new StringBuilder(256);
        volatile boolean closed;
        volatile boolean everConnected;
        volatile boolean warnedUnreachable;
        boolean taskFailed;
        volatile long retryMillis = 1_000;
        /** Messages kept while not connected, oldest first; only the component's thread touches it. */
        final ArrayDeque<MqttMessageTo> buffer = new ArrayDeque<>();
        volatile int buffered;
        final AtomicLong overwritten = new AtomicLong();
        /** Handed to the client on this connection and not yet written or acknowledged; reset at each connection. */
        final AtomicLong unsent = new AtomicLong();
        /** Telemetry dropped because {@link #MAX_UNSENT} were unsent: the link was behind. */
        final AtomicLong behind = new AtomicLong();

        Session(Settings settings) throws MqttException {
            this.settings = settings;
            this.base = settings.base();
            this.sparkplug = settings.sparkplug() ? new Sparkplug(settings.sparkplugGroupId(), settings.robotId()) : null;
            this.client = new MqttAsyncClient(settings.brokerUri(), settings.clientId(), new MemoryPersistence());
        }
    }

    /** A message waiting for the broker. */
    private record MqttMessageTo(String topic, byte[] payload, int qos, boolean retained) {
    }

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
    void addStatistics(LoopStatistics s, Map<String, Object> props) {
        statistics.add(Map.entry(String.valueOf(props.get(ControlLoop.PROPERTY_NAME)), s));
    }

    void removeStatistics(LoopStatistics s) {
        statistics.removeIf(e -> e.getValue() == s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s) {
        streams.add(s);
    }

    void removeStream(SampleStream<?> s) {
        streams.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        boards.add(b);
    }

    void removeBoard(Board b) {
        boards.remove(b);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addSource(TelemetrySource s, Map<String, Object> props) {
        sources.put(s, String.valueOf(props.get(TelemetrySource.PROPERTY_NAME)));
    }

    void removeSource(TelemetrySource s) {
        sources.remove(s);
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
        stop(session);
        start(s);
    }

    @Deactivate
    void deactivate() {
        stop(session);
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start(Settings s) throws MqttException {
        Session ss = new Session(s);
        ss.client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                thread.execute(() -> connected(ss, reconnect));
            }

            @Override
            public void connectionLost(Throwable cause) {
                if (!ss.closed) {
                    // here, at once (the component's thread may be busy): the wheels stop now, not at the end of the lease
                    String released = s.commandsEnabled() ? "; " + release() : "";
                    log.warn("MQTT broker {} lost ({}){}; reconnecting, keeping the newest {} messages meanwhile", s.brokerUri(),
                            cause == null ? "connection closed" : ConnectFailures.describe(cause, s.trustStore()), released, s.bufferSize());
                    ss.warnedUnreachable = true; // one warning per outage
                    schedule(ss, () -> connect(ss), ss.retryMillis);
                }
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                long stamp = router.link(); // a command that arrived before a connection loss is stale
                AtomicInteger pending = mayStop(ss, topic) ? ss.pendingStops : ss.pendingCommands;
                if (pending.incrementAndGet() > MAX_PENDING_COMMANDS) {
                    pending.decrementAndGet();
                    ss.ignored.incrementAndGet();
                    return;
                }
                boolean retained = message.isRetained();
                byte[] payload = message.getPayload();
                try {
                    thread.execute(() -> {
                        pending.decrementAndGet();
                        command(ss, stamp, topic, payload, retained);
                    });
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    pending.decrementAndGet(); // deactivated meanwhile
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
                ss.unsent.decrementAndGet(); // written (QoS 0) or acknowledged (QoS 1)
            }
        });
        session = ss;
        long statusPeriod = Math.round(1e9 / s.statusRateHz());
        long telemetryPeriod = Math.round(1e9 / s.telemetryRateHz());
        every(ss, statusPeriod, () -> publishStatus(ss));
        every(ss, telemetryPeriod, () -> publishTelemetry(ss));
        thread.execute(() -> connect(ss));
    }

    /**
     * Runs {@code task} every {@code periodNanos} on the component's thread until the session
     * closes. A run that comes late skips the periods it missed instead of catching up in a burst,
     * so that a rate beyond what the machine can publish never starves the connect and command
     * work queued meanwhile (a fixed-rate executor task that is behind always comes first). A task
     * that throws (a service going away while it is read) runs again at the next period; the
     * first failure of a session is logged.
     */
    private void every(Session ss, long periodNanos, Runnable task) {
        long[] next = {System.nanoTime() + periodNanos};
        Runnable[] self = new Runnable[1];
        self[0] = () -> {
            if (ss.closed) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!ss.taskFailed) {
                    ss.taskFailed = true;
                    log.warn("MQTT telemetry: a publication failed and is retried at the next period: {}", e.toString());
                }
            }
            long now = System.nanoTime();
            next[0] = Math.max(next[0] + periodNanos, now);
            scheduleNanos(self[0], next[0] - now);
        };
        scheduleNanos(self[0], periodNanos);
    }

    /** Connects, and on failure tries again with a growing pause up to 8 s. */
    private void connect(Session ss) {
        if (ss.closed) {
            return;
        }
        try {
            Sparkplug sp = ss.sparkplug;
            ss.born = false; // until connected() sends the NBIRTH of this connection
            ss.client.connect(sp == null ? ss.settings.connectOptions() : ss.settings.connectOptions(sp.topic("NDEATH"), sp.nextDeath(), false),
                    null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    // connectComplete does the rest
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    retry(ss, e);
                }
            });
        } catch (MqttException e) {
            retry(ss, e);
        }
    }

    private void retry(Session ss, Throwable e) {
        if (ss.closed) {
            return;
        }
        if (!ss.warnedUnreachable) {
            ss.warnedUnreachable = true;
            log.warn("MQTT broker {} not reachable ({}); retrying until it is, keeping the newest {} messages meanwhile",
                    ss.settings.brokerUri(), ConnectFailures.describe(e, ss.settings.trustStore()), ss.settings.bufferSize());
        }
        ss.retryMillis = Math.min(8_000, ss.retryMillis * 2);
        schedule(ss, () -> connect(ss), ss.retryMillis);
    }

    private void schedule(Session ss, Runnable task, long delayMillis) {
        scheduleNanos(task, TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }

    private void scheduleNanos(Runnable task, long delayNanos) {
        try {
            thread.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // deactivated meanwhile
        }
    }

    private void connected(Session ss, boolean reconnect) {
        if (ss.closed) {
            return;
        }
        ss.everConnected = true;
        ss.unsent.set(0); // the client dropped what the last connection had not written
        ss.warnedUnreachable = false;
        ss.retryMillis = 500;
        if (ss.sparkplug != null) {
            sparkplugConnected(ss, reconnect);
            return;
        }
        try {
            ss.client.publish(ss.base + "/online", "true".getBytes(StandardCharsets.UTF_8), 1, true); // before the backlog
            ss.unsent.incrementAndGet();
        } catch (MqttException lostAgain) {
            publish(ss, ss.base + "/online", "true", 1, true);
        }
        flush(ss);
        publishStatus(ss);
        if (ss.settings.commandsEnabled()) {
            try {
                ss.client.subscribe(ss.base + "/cmd/#", 1);
            } catch (MqttException e) {
                log.error("MQTT commands not available: subscribing to {}/cmd/# failed: {}", ss.base, e.getMessage());
            }
        }
        log.info("MQTT {} {} as {}: topics {}/#, commands {}", reconnect ? "reconnected to" : "connected to", ss.settings.brokerUri(),
                ss.settings.clientId(), ss.base, ss.settings.commandsEnabled() ? "enabled" : "disabled");
    }

    private void stop(Session ss) {
        if (ss == null) {
            return;
        }
        ss.closed = true; // the periodic tasks end at their next run
        if (ss.settings.commandsEnabled()) {
            log.info("MQTT commands stop (the component stops or its configuration changes): {}", release());
        }
        MqttAsyncClient c = ss.client;
        try {
            if (c.isConnected()) {
                if (ss.sparkplug != null) {
                    c.publish(ss.sparkplug.topic("NDEATH"), ss.sparkplug.death(), 1, false).waitForCompletion(1_000);
                } else {
                    c.publish(ss.base + "/online", "false".getBytes(StandardCharsets.UTF_8), 1, true).waitForCompletion(1_000);
                }
                c.disconnect(500).waitForCompletion(1_500);
            } else {
                c.disconnectForcibly(0, 500);
            }
        } catch (MqttException e) {
            try {
                c.disconnectForcibly(0, 500);
            } catch (MqttException ignored) {
                // already down
            }
        }
        try {
            c.close();
        } catch (MqttException e) {
            log.debug("closing the MQTT client: {}", e.getMessage());
        }
    }

    /** On the component's thread: sends now, or keeps the message while the broker is away (the oldest go first). */
    private void publish(Session ss, String topic, String payload, int qos, boolean retained) {
        send(ss, topic, payload.getBytes(StandardCharsets.UTF_8), qos, retained);
    }

    private void send(Session ss, String topic, byte[] payload, int qos, boolean retained) {
        if (ss.buffer.isEmpty() && ss.client.isConnected()) {
            if (ss.unsent.get() >= MAX_UNSENT) {
                ss.behind.incrementAndGet(); // the next period brings newer values
                return;
            }
            try {
                ss.client.publish(topic, payload, qos, retained);
                ss.unsent.incrementAndGet();
                ss.published.incrementAndGet();
                return;
            } catch (MqttException lostJustNow) {
                // kept below for after the reconnect
            }
        }
        ss.buffer.addLast(new MqttMessageTo(topic, payload, qos, retained));
        if (ss.buffer.size() > ss.settings.bufferSize()) {
            ss.buffer.pollFirst();
            ss.overwritten.incrementAndGet();
        }
        flush(ss);
    }

    /** Sends what is kept, oldest first, while connected; what the client refuses stays for the next try. */
    private void flush(Session ss) {
        while (ss.client.isConnected() && !ss.buffer.isEmpty()) {
            MqttMessageTo m = ss.buffer.peekFirst();
            try {
                ss.client.publish(m.topic(), m.payload(), m.qos(), m.retained());
                ss.unsent.incrementAndGet();
            } catch (MqttException lostJustNow) {
                break;
            }
            ss.buffer.pollFirst();
            ss.published.incrementAndGet();
        }
        ss.buffered = ss.buffer.size();
    }

    private void publishStatus(Session ss) {
        if (ss.closed) {
            return;
        }
        if (ss.sparkplug != null) {
            publishNode(ss, false);
            return;
        }
        Json j = new Json().field("robot", ss.settings.robotId());
        SafetySupervisor s = safety;
        if (s == null) {
            j.field("safety", "UNSUPERVISED");
        } else {
            j.field("safety", s.state().name());
            TripReason r = s.tripReason().orElse(null);
            j.raw("trip", r == null ? "null" : new Json().field("source", r.source()).field("message", r.message())
                    .field("ageSeconds", (System.nanoTime() - r.monotonicNanos()) / 1e9).toString());
        }
        List<String> b = new ArrayList<>();
        for (Board board : boards) {
            BoardInfo info = board.info();
            b.add(new Json().field("id", info.id()).field("model", info.model()).field("backend", info.backend())
                    .field("motionPermitted", board.motionPermitted()).field("refusedWrites", board.refusedWrites()).toString());
        }
        j.raw("boards", Json.array(b));
        j.field("commandsEnabled", ss.settings.commandsEnabled()).field("commandsAccepted", ss.accepted.get())
                .field("commandsRefused", ss.refused.get()).field("commandsIgnored", ss.ignored.get());
        publish(ss, ss.base + "/status", j.toString(), 0, true);
    }

    /**
     * One loop's, stream's or source's telemetry message: its full JSON topic, its Sparkplug B
     * device, and its values, refilled for every message.
     */
    private static final class Telemetry {
        final String topic;
        final String device;
        final Fields fields = new Fields();

        Telemetry(String topic, String device) {
            this.topic = topic;
            this.device = device;
        }
    }

    /**
     * @return the message of {@code name}, made once per session and emptied for new values
     *         (only the component's thread calls it)
     */
    private static Telemetry telemetry(Session ss, Map<String, Telemetry> cache, String topicLevel, String devicePrefix, String name) {
        Telemetry t = cache.get(name);
        if (t == null) {
            t = new Telemetry(ss.base + "/" + topicLevel + "/" + name, device(devicePrefix, name));
            cache.put(name, t);
        }
        t.fields.clear();
        return t;
    }

    private void publishTelemetry(Session ss) {
        if (ss.closed) {
            return;
        }
        List<Telemetry> all = collectTelemetry(ss);
        if (ss.sparkplug != null) {
            publishDevices(ss, all);
            return;
        }
        for (Telemetry t : all) {
            send(ss, t.topic, t.fields.json(ss.json), ss.settings.telemetryQos(), false);
        }
    }

    /** @return the loops, streams and telemetry sources as they are now, each loop once (the one that drives) */
    private List<Telemetry> collectTelemetry(Session ss) {
        List<Telemetry> out = ss.collected;
        out.clear();
        Map<String, LoopStatistics> stats = new TreeMap<>();
        for (Map.Entry<String, LoopStatistics> e : statistics) {
            stats.put(e.getKey(), e.getValue()); // the newest instance of a name wins
        }
        Map<String, TunableLoop> driving = drivingLoops();
        java.util.Set<String> names = new java.util.TreeSet<>(stats.keySet());
        names.addAll(driving.keySet());
        for (String name : names) {
            Telemetry t = telemetry(ss, ss.loopMessages, "loops", LOOP_DEVICE, name);
            Fields f = t.fields;
            TunableLoop l = driving.get(name);
            if (l != null) {
                f.add(Sparkplug.SETPOINT, l.setpoint()).add("measurement", l.measurement()).add("output", l.output())
                        .add("unit", l.unit()).add("controller", l.controller()).add("fault", l.fault().orElse(null));
            }
            LoopStatistics st = stats.get(name);
            if (st != null) {
                f.add("rateHz", st.rateHz()).add("cycles", st.cycles()).add("overruns", st.overruns())
                        .add("latenessP99Micros", st.latenessNanos(99.0) / 1e3).add("latenessMaxMicros", st.maxLatenessNanos() / 1e3)
                        .add("failure", st.failure().orElse(null));
            }
            out.add(t);
        }
        for (SampleStream<?> s : streams) {
            Telemetry t = telemetry(ss, ss.streamMessages, "streams", "stream-", s.name());
            out.add(t);
            t.fields.add("rateHz", s.rateHz())
                    .add("published", s.published()).add("lost", s.lostCount()).add("invalid", s.invalidCount()).add("readers", (long) s.readers());
        }
        for (Map.Entry<TelemetrySource, String> e : sources.entrySet()) {
            Map<String, Object> values = ss.snapshot;
            values.clear();
            try {
                e.getKey().snapshot(values);
            } catch (RuntimeException failed) {
                log.warn("telemetry source {} failed: {}", e.getValue(), failed.toString());
                continue;
            }
            Telemetry t = telemetry(ss, ss.sourceMessages, "telemetry", "source-", e.getValue());
            values.forEach(t.fields::value);
            out.add(t);
        }
        return out;
    }

    /** @return per loop name, the instance that drives (during a side-by-side update one of two stands by) */
    private Map<String, TunableLoop> drivingLoops() {
        Map<String, TunableLoop> out = new TreeMap<>();
        loops.forEach((loop, name) -> {
            if (!out.containsKey(name) || !loop.isStandby()) {
                out.put(name, loop);
            }
        });
        return out;
    }

    /** @return true for a topic whose message can carry an e-stop: {@code cmd/estop}, or the Sparkplug B NCMD */
    private static boolean mayStop(Session ss, String topic) {
        return ss.sparkplug == null ? topic.equals(ss.base + "/cmd/estop") : topic.equals(ss.sparkplug.topic("NCMD"));
    }

    /** On the component's thread: one command, through {@link #router}; a refusal is answered where the command came from. */
    private void command(Session ss, long stamp, String topic, byte[] payload, boolean retained) {
        if (ss.closed) {
            return;
        }
        if (ss.sparkplug != null) {
            sparkplugCommand(ss, stamp, topic, payload, retained);
            return;
        }
        String prefix = ss.base + "/cmd/";
        String what = topic.startsWith(prefix) ? topic.substring(prefix.length()) : "";
        if (what.equals("error")) {
            return; // our own replies
        }
        try {
            if (router.json(stamp, what, payload, retained) == CommandRouter.Outcome.IGNORED) {
                ss.ignored.incrementAndGet();
                return;
            }
            if (retained && what.equals("estop")) {
                log.warn("MQTT: the e-stop on {} was retained: the broker replays it at every reconnect, which stops the robot again; "
                        + "clear it there with an empty retained message", topic);
            }
            ss.accepted.incrementAndGet();
        } catch (RuntimeException e) { // IllegalArgumentException, IllegalStateException, SecurityException, or a service going away
            String reason = refused(ss, topic, e);
            publish(ss, ss.base + "/cmd/error", new Json().field("topic", topic).field("error", reason).toString(), 1, false);
        }
    }

    /** Counts and logs a refusal (the same reason again within {@link #REFUSAL_LOG_QUIET_NANOS} only at debug). @return its reason, one line */
    private String refused(Session ss, String topic, RuntimeException e) {
        String reason = CommandRouter.oneLine(e);
        ss.refused.incrementAndGet();
        ss.lastCommandError = reason;
        long now = System.nanoTime();
        if (reason.equals(ss.refusalLogged) && now - ss.refusalLoggedNanos < REFUSAL_LOG_QUIET_NANOS) {
            log.debug("MQTT command on {} refused: {}", topic, reason);
        } else {
            ss.refusalLogged = reason;
            ss.refusalLoggedNanos = now;
            log.warn("MQTT command on {} refused: {}", topic, reason);
        }
        return reason;
    }

    /**
     * Withdraws every MQTT command: the wheels they drive go to 0 now, not at the end of the lease.
     *
     * @return what was done, for the log
     */
    private String release() {
        String failed = router.linkLost();
        return failed == null ? "every command of source '" + CommandRouter.SOURCE + "' withdrawn"
                : "the commands of source '" + CommandRouter.SOURCE + "' could not be withdrawn (" + failed + "); they lapse with their lease";
    }

    /** @return the names of the loops known now (to find a loop from its Sparkplug B device id) */
    private java.util.Collection<String> loopNames() {
        java.util.Set<String> names = new java.util.TreeSet<>(loops.values());
        statistics.forEach(e -> names.add(e.getKey()));
        return names;
    }

    // ---- Sparkplug B

    /** @return a Sparkplug B device id: {@code prefix} and the name, anything that may not stand in a topic level as '_' */
    static String device(String prefix, String name) {
        return prefix + NOT_IN_A_TOPIC_LEVEL.matcher(name).replaceAll("_");
    }

    /** Subscribes to the commands before the births, as Sparkplug B asks, then sends the births. */
    private void sparkplugConnected(Session ss, boolean reconnect) {
        Sparkplug sp = ss.sparkplug;
        try {
            ss.client.subscribe(sp.topic("NCMD"), 1);
            if (ss.settings.commandsEnabled()) {
                ss.client.subscribe(sp.topic("DCMD") + "/+", 1);
            }
        } catch (MqttException e) {
            log.error("MQTT Sparkplug B commands not available: subscribing to {} failed: {}", sp.topic("NCMD"), e.getMessage());
        }
        publishNode(ss, true);
        log.info("MQTT {} {} as {}: Sparkplug B edge node {} (bdSeq {}), commands {}", reconnect ? "reconnected to" : "connected to",
                ss.settings.brokerUri(),
                ss.settings.clientId(), sp.topic("NBIRTH"), sp.bdSeq(), ss.settings.commandsEnabled() ? "enabled" : "disabled");
    }

    /** NDATA, or NBIRTH and every DBIRTH when asked to or when the node's metrics changed. */
    private void publishNode(Session ss, boolean rebirth) {
        Sparkplug sp = ss.sparkplug;
        if (!ss.client.isConnected() || !(ss.born || rebirth)) {
            return; // Sparkplug B keeps nothing: the births after the (re)connect carry the current values
        }
        ss.born = true;
        Fields f = nodeMetrics(ss);
        if (rebirth || sp.nodeNeedsBirth(f)) {
            sendNow(ss, sp.topic("NBIRTH"), sp.nodeBirth(f));
            publishDevices(ss, collectTelemetry(ss));
        } else {
            sendNow(ss, sp.topic("NDATA"), sp.nodeData(f));
        }
    }

    private Fields nodeMetrics(Session ss) {
        Fields f = new Fields();
        SafetySupervisor s = safety;
        TripReason r = s == null ? null : s.tripReason().orElse(null);
        f.add("safety", s == null ? "UNSUPERVISED" : s.state().name()).add("trip/source", r == null ? null : r.source())
                .add("trip/message", r == null ? null : r.message());
        for (Board board : boards) {
            BoardInfo info = board.info();
            String b = "boards/" + info.id() + "/";
            f.add(b + "model", info.model()).add(b + "backend", info.backend()).add(b + "motionPermitted", board.motionPermitted())
                    .add(b + "refusedWrites", board.refusedWrites());
        }
        return f.add("commands/enabled", ss.settings.commandsEnabled()).add("commands/accepted", ss.accepted.get())
                .add("commands/refused", ss.refused.get()).add("commands/ignored", ss.ignored.get())
                .add("commands/lastError", ss.lastCommandError);
    }

    /** DBIRTH for a new device or one whose metrics changed, DDATA for the others, DDEATH for those gone. */
    private void publishDevices(Session ss, List<Telemetry> all) {
        Sparkplug sp = ss.sparkplug;
        if (!ss.client.isConnected() || !ss.born) {
            return;
        }
        java.util.Set<String> gone = new java.util.HashSet<>(sp.devicesBorn());
        for (Telemetry t : all) {
            gone.remove(t.device);
            if (sp.deviceNeedsBirth(t.device, t.fields)) {
                sendNow(ss, sp.topic("DBIRTH", t.device), sp.deviceBirth(t.device, t.fields));
            } else if (ss.unsent.get() >= MAX_UNSENT) {
                ss.behind.incrementAndGet(); // before its seq is taken: a host sees no gap
            } else {
                sendNow(ss, sp.topic("DDATA", t.device), sp.deviceData(t.fields));
            }
        }
        for (String d : gone) {
            sendNow(ss, sp.topic("DDEATH", d), sp.deviceDeath(d));
        }
    }

    /** Sparkplug B: QoS 0, never retained, never kept for later. */
    private void sendNow(Session ss, String topic, byte[] payload) {
        try {
            ss.client.publish(topic, payload, 0, false);
            ss.unsent.incrementAndGet();
            ss.published.incrementAndGet();
        } catch (MqttException lostJustNow) {
            // connectionLost follows; the births after the reconnect carry the current values
        }
    }

    /**
     * NCMD (Rebirth always; E-Stop and Reset with commandsEnabled) and DCMD (setpoint of a loop
     * device), through {@link #router}. Every metric is checked before any is applied: one bad
     * metric refuses the command (an e-stop in it is done all the same).
     */
    private void sparkplugCommand(Session ss, long stamp, String topic, byte[] payload, boolean retained) {
        Sparkplug sp = ss.sparkplug;
        boolean node = topic.equals(sp.topic("NCMD"));
        String devicePrefix = sp.topic("DCMD") + "/";
        if (!node && !(topic.startsWith(devicePrefix) && ss.settings.commandsEnabled())) {
            ss.ignored.incrementAndGet();
            return;
        }
        try {
            if (node) {
                router.node(stamp, payload, retained, ss.settings.commandsEnabled(), () -> publishNode(ss, true));
            } else {
                router.device(stamp, topic.substring(devicePrefix.length()), payload, retained);
            }
            ss.accepted.incrementAndGet();
        } catch (RuntimeException e) {
            refused(ss, topic, e);
        }
        publishNode(ss, false); // the counters and the last error at once
    }

    /** @return the connection and its counters, for {@code mqtt:status} */
    String status() {
        Session ss = session;
        String state = ss.client.isConnected() ? "connected" : ss.everConnected ? "reconnecting" : "connecting";
        return String.format(Locale.ROOT,
                "broker %s (%s) as %s, topics %s/#%n"
                        + "published %d, buffered %d of %d while offline (%d older ones dropped), %d dropped while the link was behind%n"
                        + "%scommands %s: accepted %d, refused %d, ignored %d",
                ss.settings.brokerUri(), state, ss.settings.clientId(),
                ss.sparkplug == null ? ss.base : Sparkplug.NAMESPACE + "/" + ss.settings.sparkplugGroupId() + "/+/" + ss.settings.robotId(),
                ss.published.get(),
                ss.buffered, ss.settings.bufferSize(), ss.overwritten.get(), ss.behind.get(),
                ss.settings.commandsEnabled() ? source() + System.lineSeparator() : "",
                ss.settings.commandsEnabled() ? "enabled" : "disabled",
                ss.accepted.get(), ss.refused.get(), ss.ignored.get());
    }

    /** @return how the motion-command service takes MQTT commands: the source's priority, lease and reset rights */
    private String source() {
        MotionCommands m = motion;
        if (m == null) {
            return "motion source " + CommandRouter.SOURCE + ": no motion-command service is running (bundle armature.control): "
                    + "setpoints and resets are refused, an e-stop trips the supervisor and revokes the boards' permits directly";
        }
        try {
            for (CommandSource c : m.sources()) {
                if (c.name().equals(CommandRouter.SOURCE)) {
                    return String.format(Locale.ROOT, "motion source %s: priority %d, %s, %s", c.name(), c.priority(),
                            c.leased() ? "a command lapses " + c.leaseMillis() + " ms after it arrived unless renewed" : "no lease",
                            c.mayReset() ? "may reset" : "may not reset (armature.motion)");
                }
            }
            return "motion source " + CommandRouter.SOURCE + ": not configured in armature.motion: every command but an e-stop is refused";
        } catch (RuntimeException e) {
            return "motion source " + CommandRouter.SOURCE + ": " + CommandRouter.oneLine(e);
        }
    }
}
