package io.armature.itest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.osgi.framework.ServiceRegistration;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleStream;
import io.armature.kit.stream.BroadcastStream;

/**
 * MQTT telemetry of the real sim-rover runtime to a real mosquitto on 127.0.0.1.
 * <ol>
 * <li>Throughput at QoS 0 and QoS 1: {@code streams} IMU sample streams registered in the robot
 * as a sensor bundle registers its streams ({@link BroadcastStream} services of {@link ImuSample},
 * fed by one producer thread at {@value #FEED_HZ} Hz each, so that the values published change),
 * published by the armature.telemetry.mqtt component as it publishes any stream, one message a
 * stream at {@code rate} Hz, so {@code streams x rate} messages a second, counted as the broker receives them (its own count, {@code $SYS}; the
 * target, >= 20,000/s at QoS 0, is throughput to the broker), once with a subscriber (Paho, same
 * QoS) of every telemetry topic, which the single-threaded broker must also serve, and once
 * without; and the bytes the component's thread allocates per message. The reference, measured in the same run: a
 * bare Paho client of the same settings offering the same load (as many messages of the same
 * size, in a burst every period) from a plain thread, with and without the subscriber.</li>
 * <li>The control loop's lateness with that telemetry on against off, and against bare Paho
 * offering the same traffic instead: an empty 1 kHz loop in the loop engine, rounds of
 * interleaved slices (off, on, bare), 1 us lateness histograms (HdrHistogram): p99 and p99.9 of
 * each kind's pooled slices and their ratios, and the p99 ratios of each round, whose on/off
 * median is held to the target (<= 1.1).</li>
 * </ol>
 * Prints figures; asserts nothing.
 *
 * <p>Arguments: [rounds (10)] [slice seconds (3)] [streams (60)] [rate Hz per stream (500)].
 */
public final class MqttBenchmark {

    private static final String CFG = "armature.telemetry.mqtt.cfg";
    private static final int BUCKETS = 20_000; // 1 us lateness buckets up to 20 ms; the last holds the rest
    /** Samples a second the producer puts on each benchmark stream: enough for changing values, little next to the MQTT load. */
    private static final int FEED_HZ = 100;

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double sliceSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 500;
        Path dir = Files.createTempDirectory("mqtt-benchmark");
        try (Mosquitto broker = new Mosquitto(dir, "allow_anonymous true", "max_queued_messages 100000", "sys_interval 1");
                FeatureRuntime robot = FeatureRuntime.startReady("sim-rover");
                BenchStreams bench = new BenchStreams(robot, streams)) {
            System.out.printf(Locale.ROOT, "MQTT benchmark: mosquitto on 127.0.0.1, %d IMU streams published at %d Hz each (+ the rover's own loops "
                    + "and streams), %d rounds of interleaved %.1f s slices, GC %s%n", streams, rate, rounds, sliceSeconds, LoopBenchmark.gcNames());

            System.out.printf(Locale.ROOT, "%n[throughput: messages handed to the client, counted by the broker ($SYS), and received by a subscriber"
                    + " of every telemetry topic when there is one]%n");
            System.out.printf(Locale.ROOT, "%-12s %-10s %10s %12s %12s %12s %14s %s%n", "QoS", "subscriber", "offered/s", "published/s", "at broker/s",
                    "received/s", "bytes/s", "target");
            double[] qos0 = null;
            for (int qos = 0; qos <= 1; qos++) {
                // with a subscriber first: it measures the message size the reference then offers
                double[] ours = throughput(robot, broker, qos, streams, rate, true);
                qos0 = qos == 0 ? ours : qos0;
                double[] reference = reference(broker, qos, (int) Math.round(ours[1]), (int) ours[2], rate, true);
                double[] alone = throughput(robot, broker, qos, streams, rate, false);
                double[] referenceAlone = reference(broker, qos, (int) Math.round(ours[1]), (int) ours[2], rate, false);
                System.out.printf(Locale.ROOT, "%-12s ratio component/bare Paho at the broker: %.2f with the subscriber, %.2f without%n", "",
                        ours[3] / reference[1], alone[3] / referenceAlone[1]);
            }

            System.out.printf(Locale.ROOT, "%n[control loop lateness: telemetry off, on at QoS 0, and bare Paho offering the same instead]%n");
            lateness(robot, broker, rounds, sliceSeconds, rate, (int) Math.round(qos0[1]), (int) qos0[2]);
        }
    }

    /**
     * The benchmark's load: IMU streams registered as SampleStream services under
     * {@code bench<i>}, as a sensor bundle registers its own, and one producer thread that puts a
     * sample on every stream {@value #FEED_HZ} times a second. The MQTT component finds them as it
     * finds any stream and publishes each at its telemetry rate.
     */
    private static final class BenchStreams implements AutoCloseable {
        private final List<BroadcastStream<ImuSample>> streams = new ArrayList<>();
        private final List<ServiceRegistration<?>> registered = new ArrayList<>();
        private final Thread producer;
        private volatile boolean running = true;

        BenchStreams(FeatureRuntime robot, int count) {
            for (int i = 0; i < count; i++) {
                BroadcastStream<ImuSample> s = new BroadcastStream<>("bench" + i, FEED_HZ, 64, ImuSample::new);
                Dictionary<String, Object> props = new Hashtable<>();
                props.put(SampleStream.PROPERTY_STREAM, s.name());
                registered.add(robot.context().registerService(SampleStream.class, s, props));
                streams.add(s);
            }
            producer = new Thread(this::feed, "bench-imu-producer");
            producer.setDaemon(true);
            producer.start();
        }

        private void feed() {
            long period = 1_000_000_000L / FEED_HZ;
            long next = System.nanoTime();
            for (long k = 0; running; k++) {
                for (BroadcastStream<ImuSample> s : streams) {
                    ImuSample sample = s.claim();
                    sample.timestampNanos = System.nanoTime();
                    sample.valid = true;
                    sample.accelZ = 9.81 + (k % 7) * 1e-3;
                    sample.gyroZ = 0.25;
                    s.publish();
                }
                next = Math.max(next + period, System.nanoTime());
                LockSupport.parkNanos(next - System.nanoTime());
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            producer.join(2_000);
            registered.forEach(ServiceRegistration::unregister);
            streams.forEach(BroadcastStream::close);
        }
    }

    private static void enable(FeatureRuntime robot, Mosquitto broker, int qos, int rate) throws Exception {
        Path cfg = robot.configDir().resolve(CFG);
        Path tmp = robot.configDir().resolve(CFG + ".tmp");
        Files.copy(robot.configDir().resolve(CFG + ".example"), tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FeatureRuntime.setConfig(tmp, "brokerUri", broker.uri());
        FeatureRuntime.setConfig(tmp, "telemetryRateHz", Integer.toString(rate));
        FeatureRuntime.setConfig(tmp, "telemetryQos", Integer.toString(qos));
        FeatureRuntime.setConfig(tmp, "bufferSize", "100000");
        Files.move(tmp, cfg, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        if (!Poll.until(20_000, () -> robot.gogo("mqtt:status").contains("(connected)"))) {
            throw new IllegalStateException("MQTT did not connect: " + robot.gogo("mqtt:status") + "\n" + robot.console());
        }
    }

    private static void disable(FeatureRuntime robot) throws Exception {
        Files.deleteIfExists(robot.configDir().resolve(CFG));
        if (!Poll.until(20_000, () -> robot.gogo("mqtt:status").startsWith("MQTT telemetry is off"))) {
            throw new IllegalStateException("MQTT did not stop: " + robot.gogo("mqtt:status"));
        }
    }

    /**
     * A subscriber counting the messages and bytes it receives, and following the broker's own
     * count of the PUBLISH packets it has received from clients ({@value #BROKER_RECEIVED},
     * published every second with {@code sys_interval 1}).
     */
    private static final class Counter implements AutoCloseable {
        static final String BROKER_RECEIVED = "$SYS/broker/publish/messages/received";
        final AtomicLong messages = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        /** The broker's last count and when it arrived (System.nanoTime), updated together. */
        volatile long[] brokerReceived = {-1, 0};
        final MqttAsyncClient client;

        /** @param telemetry whether to subscribe to every telemetry topic, or only to the broker's count */
        Counter(Mosquitto broker, int qos, boolean telemetry) throws Exception {
            client = new MqttAsyncClient(broker.uri(), "bench-subscriber-" + System.nanoTime(), new MemoryPersistence());
            client.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                    System.out.println("subscriber lost its connection: " + cause);
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) {
                    if (topic.equals(BROKER_RECEIVED)) {
                        brokerReceived = new long[] {Long.parseLong(new String(message.getPayload(), java.nio.charset.StandardCharsets.US_ASCII)),
                                System.nanoTime()};
                        return;
                    }
                    messages.incrementAndGet();
                    bytes.addAndGet(message.getPayload().length);
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {
                }
            });
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setMaxInflight(65_535);
            client.connect(o).waitForCompletion(10_000);
            if (telemetry) {
                client.subscribe("armature/sim-rover/#", qos).waitForCompletion(10_000);
            }
            client.subscribe(BROKER_RECEIVED, 0).waitForCompletion(10_000);
        }

        /** @return the broker's next count of received PUBLISH packets and when it came: waits for it (3 s at most) */
        long[] nextBrokerCount() throws InterruptedException {
            long[] last = brokerReceived;
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (brokerReceived == last) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the broker published no " + BROKER_RECEIVED + " for 3 s");
                }
                Thread.sleep(1);
            }
            return brokerReceived;
        }

        /** @return PUBLISH packets a second the broker received between two of its counts */
        static double brokerRate(long[] from, long[] to) {
            return (to[0] - from[0]) / ((to[1] - from[1]) / 1e9);
        }

        @Override
        public void close() throws Exception {
            // unsubscribed first: Paho 1.2.5 fails on a message that arrives while it closes
            client.unsubscribe(new String[] {"armature/sim-rover/#", BROKER_RECEIVED}).waitForCompletion(5_000);
            client.disconnect(1_000).waitForCompletion(2_000);
            client.close();
        }
    }

    /**
     * @return messages per second the subscriber received from the component, their mean size in
     *         bytes, the number of loops and streams published, and messages per second the broker received
     */
    private static double[] throughput(FeatureRuntime robot, Mosquitto broker, int qos, int streams, int rate, boolean subscriber) throws Exception {
        try (Counter counter = new Counter(broker, qos, subscriber)) {
            enable(robot, broker, qos, rate);
            Thread.sleep(3_000); // warm-up: JIT, the socket buffers
            long m0 = counter.messages.get();
            long b0 = counter.bytes.get();
            long p0 = published(robot);
            long a0 = allocated("armature-mqtt");
            long t0 = System.nanoTime();
            long[] broker0 = counter.nextBrokerCount();
            Thread.sleep(5_000);
            double atBroker = Counter.brokerRate(broker0, counter.nextBrokerCount());
            long t1 = System.nanoTime();
            long allocatedBytes = allocated("armature-mqtt") - a0;
            double seconds = (t1 - t0) / 1e9;
            double received = (counter.messages.get() - m0) / seconds;
            double published = (published(robot) - p0) / seconds;
            String status = robot.gogo("mqtt:status");
            disable(robot);
            // the rover's own loops and streams are published too; the benchmark's streams are among the SampleStream services
            int others = robot.context().getServiceReferences(LoopStatistics.class, null).size()
                    + robot.context().getServiceReferences(SampleStream.class, null).size() - streams;
            System.out.printf(Locale.ROOT, "%-12s %-10s %10d %12.0f %12.0f %12s %14s %s%n", qos + " component", subscriber ? "all" : "none",
                    (long) (streams + others) * rate, published, atBroker, subscriber ? String.format(Locale.ROOT, "%.0f", received) : "-",
                    subscriber ? String.format(Locale.ROOT, "%.0f", (counter.bytes.get() - b0) / seconds) : "-",
                    qos == 0 ? ">= 20000 at the broker/s" : "-");
            String buffer = status.lines().filter(l -> l.startsWith("published")).findFirst().orElse("");
            System.out.printf(Locale.ROOT, "%-12s %s; the component's thread allocated %.0f bytes per message%n", "", buffer,
                    allocatedBytes / Math.max(1.0, published * seconds));
            return new double[] {received, (counter.bytes.get() - b0) / Math.max(1.0, counter.messages.get() - m0), streams + others, atBroker};
        }
    }

    /** @return the bytes allocated so far by the thread of this name in this JVM (the robot runs in it) */
    private static long allocated(String threadName) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(threadName)) {
                return mx.getThreadAllocatedBytes(t.getId());
            }
        }
        throw new IllegalStateException("no thread " + threadName);
    }

    /**
     * The reference: a bare Paho client with the component's settings (clean session, memory
     * persistence, 1000 in flight) on its own thread, publishing {@code perPeriod} messages of
     * {@code bytes} bytes at {@code rate} Hz, as the component is offered. A period that comes late
     * is skipped, as the component does; at QoS 1 a full window waits a little.
     */
    private static final class BarePublisher implements AutoCloseable {
        final AtomicLong published = new AtomicLong();
        private final MqttAsyncClient client;
        private final Thread thread;
        private volatile boolean running = true;

        BarePublisher(Mosquitto broker, int qos, int bytes, int perPeriod, int rate) throws Exception {
            byte[] payload = new byte[bytes];
            java.util.Arrays.fill(payload, (byte) 'x');
            client = new MqttAsyncClient(broker.uri(), "bench-reference-" + System.nanoTime(), new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setMaxInflight(1_000);
            client.connect(o).waitForCompletion(10_000);
            String[] topics = new String[perPeriod];
            for (int i = 0; i < perPeriod; i++) {
                topics[i] = "armature/sim-rover/streams/reference" + i;
            }
            long period = 1_000_000_000L / rate;
            thread = new Thread(() -> {
                long next = System.nanoTime();
                while (running) {
                    long now = System.nanoTime();
                    if (now < next) {
                        java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                        continue;
                    }
                    for (int i = 0; i < perPeriod && running; i++) {
                        try {
                            client.publish(topics[i], payload, qos, false);
                            published.incrementAndGet();
                        } catch (org.eclipse.paho.client.mqttv3.MqttException full) {
                            java.util.concurrent.locks.LockSupport.parkNanos(100_000); // QoS 1: the in-flight window is full
                        }
                    }
                    next = Math.max(next + period, System.nanoTime());
                }
            }, "bench-reference");
            thread.start();
        }

        @Override
        public void close() throws Exception {
            running = false;
            thread.join(5_000);
            client.disconnect(1_000).waitForCompletion(2_000);
            client.close();
        }
    }

    /**
     * The bare Paho reference of {@link BarePublisher} for 5 s after 3 s of warm-up, on the
     * robot's broker while the robot runs without MQTT.
     *
     * @return messages per second the subscriber received, and that the broker received
     */
    private static double[] reference(Mosquitto broker, int qos, int bytes, int perPeriod, int rate, boolean subscriber) throws Exception {
        try (Counter counter = new Counter(broker, qos, subscriber); BarePublisher publisher = new BarePublisher(broker, qos, bytes, perPeriod, rate)) {
            Thread.sleep(3_000);
            long m0 = counter.messages.get();
            long p0 = publisher.published.get();
            long t0 = System.nanoTime();
            long[] broker0 = counter.nextBrokerCount();
            Thread.sleep(5_000);
            double atBroker = Counter.brokerRate(broker0, counter.nextBrokerCount());
            double seconds = (System.nanoTime() - t0) / 1e9;
            double received = (counter.messages.get() - m0) / seconds;
            System.out.printf(Locale.ROOT, "%-12s %-10s %10s %12.0f %12.0f %12s %14s%n", qos + " bare Paho", subscriber ? "all" : "none", "-",
                    (publisher.published.get() - p0) / seconds, atBroker, subscriber ? String.format(Locale.ROOT, "%.0f", received) : "-",
                    subscriber ? String.format(Locale.ROOT, "%.0f", received * bytes) : "-");
            return new double[] {received, atBroker};
        }
    }

    /** @return the component's count of messages handed to the client, from mqtt:status */
    private static long published(FeatureRuntime robot) throws Exception {
        String s = robot.gogo("mqtt:status");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("published (\\d+),").matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /**
     * Rounds of three slices, each after 2 s for the previous one's traffic to drain: telemetry
     * off; the component publishing at QoS 0 to the broker with a subscriber of everything; and,
     * instead of it, bare Paho offering the same messages from a plain thread of this JVM. The
     * last tells what the traffic itself costs the loop on this machine (the broker and the
     * subscriber share its cores) from what the component adds.
     */
    private static void lateness(FeatureRuntime robot, Mosquitto broker, int rounds, double seconds, int rate, int bytes, int perPeriod)
            throws Exception {
        ServiceRegistration<ControlLoop> loop = LoopBenchmark.registerEmptyLoop(robot, "bench", 1000);
        Histogram off = new Histogram(1, 1_000_000_000L, 3);
        Histogram on = new Histogram(1, 1_000_000_000L, 3);
        Histogram bare = new Histogram(1, 1_000_000_000L, 3);
        long received = 0;
        long receivedBare = 0;
        double[] onOff = new double[rounds];
        double[] onBare = new double[rounds];
        try {
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=bench)", 5_000);
            for (int i = 0; i < rounds; i++) {
                Histogram offRound = new Histogram(1, 1_000_000_000L, 3);
                Histogram onRound = new Histogram(1, 1_000_000_000L, 3);
                Histogram bareRound = new Histogram(1, 1_000_000_000L, 3);
                Thread.sleep(2_000);
                slice(stats, seconds, offRound);
                try (Counter counter = new Counter(broker, 0, true)) {
                    enable(robot, broker, 0, rate);
                    Thread.sleep(500); // flowing
                    long m0 = counter.messages.get();
                    slice(stats, seconds, onRound);
                    received += counter.messages.get() - m0;
                    disable(robot);
                }
                Thread.sleep(2_000);
                try (Counter counter = new Counter(broker, 0, true); BarePublisher publisher = new BarePublisher(broker, 0, bytes, perPeriod, rate)) {
                    Thread.sleep(500);
                    long m0 = counter.messages.get();
                    slice(stats, seconds, bareRound);
                    receivedBare += counter.messages.get() - m0;
                }
                off.add(offRound);
                on.add(onRound);
                bare.add(bareRound);
                onOff[i] = (double) onRound.getValueAtPercentile(99) / offRound.getValueAtPercentile(99);
                onBare[i] = (double) onRound.getValueAtPercentile(99) / bareRound.getValueAtPercentile(99);
            }
        } finally {
            loop.unregister();
        }
        System.out.printf(Locale.ROOT, "%-22s %10s %8s %9s %14s%n", "", "cycles", "p99 us", "p99.9 us", ">500 us");
        row("telemetry off", off, "");
        row("telemetry on", on, String.format(Locale.ROOT, "(%.0f messages/s received meanwhile)", received / (rounds * seconds)));
        row("bare Paho instead", bare, String.format(Locale.ROOT, "(%.0f messages/s received meanwhile)", receivedBare / (rounds * seconds)));
        System.out.printf(Locale.ROOT, "pooled slices: p99 on/off %.2f, on/bare Paho %.2f; p99.9 on/off %.2f, on/bare Paho %.2f%n",
                (double) on.getValueAtPercentile(99) / off.getValueAtPercentile(99), (double) on.getValueAtPercentile(99) / bare.getValueAtPercentile(99),
                (double) on.getValueAtPercentile(99.9) / off.getValueAtPercentile(99.9),
                (double) on.getValueAtPercentile(99.9) / bare.getValueAtPercentile(99.9));
        // each round's slices are seconds apart, so a burst of load from outside the benchmark that
        // lands in one slice moves one round's ratio, where it would move the pooled tail
        System.out.printf(Locale.ROOT, "p99 per round: on/off median %s (target <= 1.1); on/bare Paho median %s%n", spread(onOff), spread(onBare));
    }

    private static void row(String label, Histogram h, String note) {
        System.out.printf(Locale.ROOT, "%-22s %10d %8.1f %9.1f %14d   %s%n", label, h.getTotalCount(), h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, above(h, 500), note);
    }

    /** @return the median (the upper one of an even count) and the range */
    private static String spread(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return String.format(Locale.ROOT, "%.2f (from %.2f to %.2f)", sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
    }

    /** Adds one slice's lateness (1 us buckets, the first 100 ms left out) to {@code into}. */
    private static void slice(LoopStatistics stats, double seconds, Histogram into) throws InterruptedException {
        Thread.sleep(100);
        long[] start = stats.latenessCounts(1000, BUCKETS);
        Thread.sleep((long) (seconds * 1000));
        long[] end = stats.latenessCounts(1000, BUCKETS);
        for (int i = 0; i < BUCKETS; i++) {
            long n = end[i] - start[i];
            if (n > 0) {
                into.recordValueWithCount((i + 1) * 1000L, n); // the upper edge of the bucket, in ns
            }
        }
    }

    private static long above(Histogram h, long micros) {
        return h.getTotalCount() - h.getCountBetweenValues(0, micros * 1000);
    }
}
