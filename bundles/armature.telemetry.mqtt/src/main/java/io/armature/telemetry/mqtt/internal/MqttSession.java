package io.armature.telemetry.mqtt.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.osgi.service.log.Logger;

/**
 * One broker connection with one configuration, replaced whole when the configuration changes:
 * the Paho client (its TLS and credentials are {@link Settings#connectOptions}), connecting and
 * reconnecting with a growing pause (1 to 8 s), the newest {@code bufferSize} messages kept while
 * the broker is away, the bound on messages handed to the client and not yet written, and the
 * periodic publications. What is published, and what an arriving message means, is the
 * {@link PayloadFormat}'s and the {@link CommandIntake}'s.
 *
 * <p>Everything but Paho's callbacks runs on the component's thread. (Paho's own automatic
 * reconnect is not used: in 1.2.5 its reconnect timer outlives disconnect and close, so a stopped
 * or reconfigured component would go on connecting.)
 */
final class MqttSession {

    /**
     * Messages handed to the client and not yet written (QoS 0) or acknowledged (QoS 1) beyond
     * which telemetry is dropped, newest first, and counted. Paho queues QoS 0 messages without
     * any bound, so a rate beyond what the link carries would otherwise grow the heap the control
     * loops share until the JVM fails. 1000 messages are about 50 ms of telemetry at 20,000/s.
     */
    static final int MAX_UNSENT = 1_000;

    /** A message waiting for the broker. */
    private record Kept(String topic, byte[] payload, int qos, boolean retained) {
    }

    private final Settings settings;
    private final MqttAsyncClient client;
    private final ScheduledExecutorService thread;
    private final Logger log;
    private PayloadFormat format;
    private CommandIntake commands;
    private final AtomicLong published = new AtomicLong();
    private volatile boolean closed;
    private volatile boolean everConnected;
    private volatile boolean warnedUnreachable;
    private boolean taskFailed;
    private volatile long retryMillis = 1_000;
    /** Messages kept while not connected, oldest first; only the component's thread touches it. */
    private final ArrayDeque<Kept> buffer = new ArrayDeque<>();
    private volatile int buffered;
    private final AtomicLong overwritten = new AtomicLong();
    /** Handed to the client on this connection and not yet written or acknowledged; reset at each connection. */
    private final AtomicLong unsent = new AtomicLong();
    /** Telemetry dropped because {@link #MAX_UNSENT} were unsent: the link was behind. */
    private final AtomicLong behind = new AtomicLong();

    /** @param thread the component's thread, which outlives the session */
    MqttSession(Settings settings, ScheduledExecutorService thread, Logger log) throws MqttException {
        this.settings = settings;
        this.thread = thread;
        this.log = log;
        this.client = new MqttAsyncClient(settings.brokerUri(), settings.clientId(), new MemoryPersistence());
    }

    Settings settings() {
        return settings;
    }

    /** Starts the periodic publications of {@code format} and connects. */
    void start(PayloadFormat format, CommandIntake commands) {
        this.format = format;
        this.commands = commands;
        client.setCallback(new Events());
        every(Math.round(1e9 / settings.statusRateHz()), format::publishStatus);
        every(Math.round(1e9 / settings.telemetryRateHz()), format::publishTelemetry);
        thread.execute(this::connect);
    }

    /** Paho's callbacks, on Paho's threads. */
    private final class Events implements MqttCallbackExtended {
        @Override
        public void connectComplete(boolean reconnect, String serverUri) {
            thread.execute(() -> connected(reconnect));
        }

        @Override
        public void connectionLost(Throwable cause) {
            if (!closed) {
                String released = commands.linkLost();
                log.warn("MQTT broker {} lost ({}){}; reconnecting, keeping the newest {} messages meanwhile", settings.brokerUri(),
                        cause == null ? "connection closed" : ConnectFailures.describe(cause, settings.trustStore()), released,
                        settings.bufferSize());
                warnedUnreachable = true; // one warning per outage
                schedule(MqttSession.this::connect, retryMillis);
            }
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            commands.arrived(topic, message, format, thread);
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
            unsent.decrementAndGet(); // written (QoS 0) or acknowledged (QoS 1)
        }
    }

    /**
     * Runs {@code task} every {@code periodNanos} on the component's thread until the session
     * closes. A run that comes late skips the periods it missed instead of catching up in a burst,
     * so that a rate beyond what the machine can publish never starves the connect and command
     * work queued meanwhile (a fixed-rate executor task that is behind always comes first). A task
     * that throws (a service going away while it is read) runs again at the next period; the
     * first failure of a session is logged.
     */
    private void every(long periodNanos, Runnable task) {
        long[] next = {System.nanoTime() + periodNanos};
        Runnable[] self = new Runnable[1];
        self[0] = () -> {
            if (closed) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                if (!taskFailed) {
                    taskFailed = true;
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
    private void connect() {
        if (closed) {
            return;
        }
        try {
            PayloadFormat.LastWord will = format.will();
            client.connect(settings.connectOptions(will.topic(), will.payload(), will.retained()), null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    // connectComplete does the rest
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    retry(e);
                }
            });
        } catch (MqttException e) {
            retry(e);
        }
    }

    private void retry(Throwable e) {
        if (closed) {
            return;
        }
        if (!warnedUnreachable) {
            warnedUnreachable = true;
            log.warn("MQTT broker {} not reachable ({}); retrying until it is, keeping the newest {} messages meanwhile",
                    settings.brokerUri(), ConnectFailures.describe(e, settings.trustStore()), settings.bufferSize());
        }
        retryMillis = Math.min(8_000, retryMillis * 2);
        schedule(this::connect, retryMillis);
    }

    private void schedule(Runnable task, long delayMillis) {
        scheduleNanos(task, TimeUnit.MILLISECONDS.toNanos(delayMillis));
    }

    private void scheduleNanos(Runnable task, long delayNanos) {
        try {
            thread.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopped) {
            // deactivated meanwhile
        }
    }

    private void connected(boolean reconnect) {
        if (closed) {
            return;
        }
        everConnected = true;
        unsent.set(0); // the client dropped what the last connection had not written
        warnedUnreachable = false;
        retryMillis = 500;
        format.connected(reconnect);
    }

    /** Ends the session: the periodic tasks end at their next run, the commands are withdrawn, the format says goodbye. */
    void stop() {
        closed = true;
        commands.stop();
        try {
            if (client.isConnected()) {
                PayloadFormat.LastWord bye = format.farewell();
                client.publish(bye.topic(), bye.payload(), 1, bye.retained()).waitForCompletion(1_000);
                client.disconnect(500).waitForCompletion(1_500);
            } else {
                client.disconnectForcibly(0, 500);
            }
        } catch (MqttException e) {
            try {
                client.disconnectForcibly(0, 500);
            } catch (MqttException ignored) {
                // already down
            }
        }
        try {
            client.close();
        } catch (MqttException e) {
            log.debug("closing the MQTT client: {}", e.getMessage());
        }
    }

    boolean closed() {
        return closed;
    }

    boolean connected() {
        return client.isConnected();
    }

    void subscribe(String topicFilter) throws MqttException {
        client.subscribe(topicFilter, 1);
    }

    /**
     * @return true, counting it, when {@link #MAX_UNSENT} messages are handed to the client and
     *         not yet written: the link is behind, and a telemetry message is better dropped (the
     *         next period brings newer values)
     */
    boolean behind() {
        if (unsent.get() >= MAX_UNSENT) {
            behind.incrementAndGet();
            return true;
        }
        return false;
    }

    /** Sends before what was kept meanwhile (that follows), or keeps it when the connection is lost again. */
    void sendAhead(String topic, byte[] payload, int qos, boolean retained) {
        try {
            client.publish(topic, payload, qos, retained);
            unsent.incrementAndGet();
        } catch (MqttException lostAgain) {
            send(topic, payload, qos, retained);
        }
        flush();
    }

    /** Sends now, or keeps the message while the broker is away (the oldest go first). */
    void publish(String topic, String payload, int qos, boolean retained) {
        send(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retained);
    }

    void send(String topic, byte[] payload, int qos, boolean retained) {
        if (buffer.isEmpty() && client.isConnected()) {
            if (behind()) {
                return;
            }
            try {
                client.publish(topic, payload, qos, retained);
                unsent.incrementAndGet();
                published.incrementAndGet();
                return;
            } catch (MqttException lostJustNow) {
                // kept below for after the reconnect
            }
        }
        buffer.addLast(new Kept(topic, payload, qos, retained));
        if (buffer.size() > settings.bufferSize()) {
            buffer.pollFirst();
            overwritten.incrementAndGet();
        }
        flush();
    }

    /** Sends what is kept, oldest first, while connected; what the client refuses stays for the next try. */
    private void flush() {
        while (client.isConnected() && !buffer.isEmpty()) {
            Kept m = buffer.peekFirst();
            try {
                client.publish(m.topic(), m.payload(), m.qos(), m.retained());
                unsent.incrementAndGet();
            } catch (MqttException lostJustNow) {
                break;
            }
            buffer.pollFirst();
            published.incrementAndGet();
        }
        buffered = buffer.size();
    }

    /** Sends now at QoS 0, not retained, never kept for later (Sparkplug B: the births after a reconnect carry the current values). */
    void sendNow(String topic, byte[] payload) {
        try {
            client.publish(topic, payload, 0, false);
            unsent.incrementAndGet();
            published.incrementAndGet();
        } catch (MqttException lostJustNow) {
            // connectionLost follows
        }
    }

    /** @return the connection, the format's topics, the counters and the commands, for {@code mqtt:status} */
    String status() {
        String state = client.isConnected() ? "connected" : everConnected ? "reconnecting" : "connecting";
        return String.format(Locale.ROOT,
                "broker %s (%s) as %s, topics %s/#%n"
                        + "published %d, buffered %d of %d while offline (%d older ones dropped), %d dropped while the link was behind%n",
                settings.brokerUri(), state, settings.clientId(), format.topics(), published.get(),
                buffered, settings.bufferSize(), overwritten.get(), behind.get()) + commands.status();
    }
}
