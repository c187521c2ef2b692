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
import io.armature.telemetry.TelemetrySource;

/**
 * MQTT telemetry of the real sim-rover runtime to a real mosquitto on 127.0.0.1.
 * <ol>
 * <li>Throughput at QoS 0 and QoS 1: {@code sources} telemetry sources (eight values each, like a
 * loop's) registered in the robot, published by the armature.telemetry.mqtt component at
 * {@code rate} Hz each, counted as the broker receives them (its own count, {@code $SYS}; the
 * target, >= 20,000/s at QoS 0, is throughput to the broker) and as a subscriber (Paho, same QoS)
 * receives them; and the bytes the component's thread allocates per message. The reference, measured in the same run: a
 * bare Paho client of the same settings offering the same load (as many messages of the same
 * size, in a burst every period) from a plain thread.</li>
 * <li>The control loop's lateness with that telemetry on against off: an empty 1 kHz loop in the
 * loop engine, interleaved slices (off, on, off, on...), 1 us lateness histograms (HdrHistogram):
 * p99 and p99.9 of each side's pooled slices and their ratio, and the p99 ratio on/off of each
 * pair, whose median is held to the target (<= 1.1).</li>
 * </ol>
 * Prints figures; asserts nothing.
 *
 * <p>Arguments: [pairs (10)] [slice seconds (3)] [sources (60)] [rate Hz per source (500)].
 */
public final class MqttBenchmark {

    private static final String CFG = "armature.telemetry.mqtt.cfg";
    private static final int BUCKETS = 20_000; // 1 us lateness buckets up to 20 ms; the last holds the rest

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double sliceSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int sources = args.length > 2 ? Integer.parseInt(args[2]) : 60;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 500;
        Path dir = Files.createTempDirectory("mqtt-benchmark");
        try (Mosquitto broker = new Mosquitto(dir, "allow_anonymous true", "max_queued_messages 100000", "sys_interval 1");
                FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            List<ServiceRegistration<TelemetrySource>> registered = new ArrayList<>();
            for (int i = 0; i < sources; i++) {
                registered.add(registerSource(robot, "bench" + i));
            }
            System.out.printf(Locale.ROOT, "MQTT benchmark: mosquitto on 127.0.0.1, %d telemetry sources at %d Hz each (+ the rover's own loops "
                    + "and streams), %d interleaved pairs of %.1f s slices, GC %s%n", sources, rate, pairs, sliceSeconds, LoopBenchmark.gcNames());

            System.out.printf(Locale.ROOT, "%n[throughput: messages handed to the client, counted by the broker ($SYS), and received by a subscriber]%n");
            System.out.printf(Locale.ROOT, "%-12s %12s %12s %12s %12s %14s %s%n", "QoS", "offered/s", "published/s", "at broker/s", "received/s",
                    "bytes/s", "target");
            for (int qos = 0; qos <= 1; qos++) {
                double[] ours = throughput(robot, broker, qos, sources, rate);
                double[] reference = reference(broker, qos, (int) Math.round(ours[1]), (int) ours[2], rate);
                System.out.printf(Locale.ROOT, "%-12s ratio component/bare Paho: %.2f at the broker, %.2f received%n", "", ours[3] / reference[1],
                        ours[0] / reference[0]);
            }

            System.out.printf(Locale.ROOT, "%n[control loop lateness, telemetry off vs on at QoS 0]%n");
            lateness(robot, broker, pairs, sliceSeconds, rate);
            registered.forEach(ServiceRegistration::unregister);
        }
    }

    private static ServiceRegistration<TelemetrySource> registerSource(FeatureRuntime robot, String name) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(TelemetrySource.PROPERTY_NAME, name);
        AtomicLong n = new AtomicLong();
        return robot.context().registerService(TelemetrySource.class, into -> {
            long k = n.incrementAndGet();
            into.put("setpoint", 1.5);
            into.put("measurement", 1.5 + (k % 7) * 1e-3);
            into.put("output", 0.25);
            into.put("unit", "rad/s");
            into.put("cycles", k);
            into.put("overruns", 0L);
            into.put("latenessP99Micros", 12.5);
            into.put("ok", true);
        }, props);
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

        Counter(Mosquitto broker, int qos) throws Exception {
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
            client.subscribe("armature/sim-rover/#", qos).waitForCompletion(10_000);
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
     *         bytes, the number of sources, and messages per second the broker received
     */
    private static double[] throughput(FeatureRuntime robot, Mosquitto broker, int qos, int sources, int rate) throws Exception {
        try (Counter counter = new Counter(broker, qos)) {
            enable(robot, broker, qos, rate);
            Thread.sleep(2_000); // warm-up: JIT, the broker's buffers
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
            int others = robot.context().getServiceReferences(LoopStatistics.class, null).size()
                    + robot.context().getServiceReferences(io.armature.sensor.SampleStream.class, null).size();
            System.out.printf(Locale.ROOT, "%-12s %12d %12.0f %12.0f %12.0f %14.0f %s%n", qos + " component", (long) (sources + others) * rate, published,
                    atBroker, received, (counter.bytes.get() - b0) / seconds, qos == 0 ? ">= 20000 at the broker/s" : "-");
            String buffer = status.lines().filter(l -> l.startsWith("published")).findFirst().orElse("");
            System.out.printf(Locale.ROOT, "%-12s %s; the component's thread allocated %.0f bytes per message%n", "", buffer,
                    allocatedBytes / Math.max(1.0, published * seconds));
            return new double[] {received, (counter.bytes.get() - b0) / Math.max(1.0, counter.messages.get() - m0), sources + others, atBroker};
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
     * persistence, 1000 in flight) publishing {@code perPeriod} messages of {@code bytes} bytes at
     * {@code rate} Hz for 5 s after 2 s of warm-up, as the component is offered, on the robot's
     * broker while the robot runs without MQTT. A period that comes late is skipped, as the
     * component does; at QoS 1 a full window waits a little.
     *
     * @return messages per second the subscriber received, and that the broker received
     */
    private static double[] reference(Mosquitto broker, int qos, int bytes, int perPeriod, int rate) throws Exception {
        byte[] payload = new byte[bytes];
        java.util.Arrays.fill(payload, (byte) 'x');
        MqttAsyncClient publisher = new MqttAsyncClient(broker.uri(), "bench-reference-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(1_000);
        publisher.connect(o).waitForCompletion(10_000);
        try (Counter counter = new Counter(broker, qos)) {
            long published = 0;
            long m0 = 0;
            long t0 = 0;
            long[] broker0 = null;
            long warmUpEnd = System.nanoTime() + 2_000_000_000L;
            long end = warmUpEnd + 5_000_000_000L;
            long period = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                if (t0 == 0 && now >= warmUpEnd) {
                    t0 = now;
                    m0 = counter.messages.get();
                    published = 0;
                    broker0 = counter.brokerReceived; // the count that came last, and when
                }
                if (now < next) {
                    java.util.concurrent.locks.LockSupport.parkNanos(next - now);
                    continue;
                }
                for (int i = 0; i < perPeriod; i++) {
                    try {
                        publisher.publish("armature/sim-rover/telemetry/reference" + i, payload, qos, false);
                        published++;
                    } catch (org.eclipse.paho.client.mqttv3.MqttException full) {
                        Thread.sleep(0, 100_000); // the in-flight window is full: QoS 1 waits for acknowledgements
                    }
                }
                next = Math.max(next + period, System.nanoTime());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long[] broker1 = counter.brokerReceived; // the last count while publishing
            Thread.sleep(200); // the last ones in transit
            double received = (counter.messages.get() - m0) / seconds;
            System.out.printf(Locale.ROOT, "%-12s %12s %12.0f %12.0f %12.0f %14.0f%n", qos + " bare Paho", "-", published / seconds,
                    Counter.brokerRate(broker0, broker1), received, received * bytes);
            return new double[] {received, Counter.brokerRate(broker0, broker1)};
        } finally {
            publisher.disconnect(1_000).waitForCompletion(2_000);
            publisher.close();
        }
    }

    /** @return the component's count of messages handed to the client, from mqtt:status */
    private static long published(FeatureRuntime robot) throws Exception {
        String s = robot.gogo("mqtt:status");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("published (\\d+),").matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void lateness(FeatureRuntime robot, Mosquitto broker, int pairs, double seconds, int rate) throws Exception {
        ServiceRegistration<ControlLoop> loop = LoopBenchmark.registerEmptyLoop(robot, "bench", 1000);
        Histogram off = new Histogram(1, 1_000_000_000L, 3);
        Histogram on = new Histogram(1, 1_000_000_000L, 3);
        long received = 0;
        double onSeconds = 0;
        double[] pairRatios = new double[pairs];
        try {
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=bench)", 5_000);
            Thread.sleep(500);
            for (int i = 0; i < pairs; i++) {
                Histogram offPair = new Histogram(1, 1_000_000_000L, 3);
                Histogram onPair = new Histogram(1, 1_000_000_000L, 3);
                slice(stats, seconds, offPair);
                try (Counter counter = new Counter(broker, 0)) {
                    enable(robot, broker, 0, rate);
                    Thread.sleep(500); // flowing
                    long m0 = counter.messages.get();
                    slice(stats, seconds, onPair);
                    received += counter.messages.get() - m0;
                    onSeconds += seconds;
                    disable(robot);
                }
                off.add(offPair);
                on.add(onPair);
                pairRatios[i] = (double) onPair.getValueAtPercentile(99) / offPair.getValueAtPercentile(99);
            }
        } finally {
            loop.unregister();
        }
        double off99 = off.getValueAtPercentile(99) / 1e3;
        double on99 = on.getValueAtPercentile(99) / 1e3;
        double off999 = off.getValueAtPercentile(99.9) / 1e3;
        double on999 = on.getValueAtPercentile(99.9) / 1e3;
        System.out.printf(Locale.ROOT, "%-16s %10s %8s %9s %14s%n", "", "cycles", "p99 us", "p99.9 us", ">500 us");
        System.out.printf(Locale.ROOT, "%-16s %10d %8.1f %9.1f %14d%n", "telemetry off", off.getTotalCount(), off99, off999, above(off, 500));
        System.out.printf(Locale.ROOT, "%-16s %10d %8.1f %9.1f %14d   (%.0f messages/s received meanwhile)%n", "telemetry on",
                on.getTotalCount(), on99, on999, above(on, 500), received / onSeconds);
        System.out.printf(Locale.ROOT, "ratio on/off of the pooled slices: p99 %.2f, p99.9 %.2f%n", on99 / off99, on999 / off999);
        double[] sorted = pairRatios.clone();
        java.util.Arrays.sort(sorted);
        // each pair's two slices are 4 s apart, so a burst of load from outside the benchmark that
        // lands in one slice moves one pair's ratio, where it would move the pooled tail
        System.out.printf(Locale.ROOT, "p99 ratio on/off per pair: median %.2f (target <= 1.1), from %.2f to %.2f%n",
                sorted[pairs / 2], sorted[0], sorted[pairs - 1]);
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
