package io.armature.itest;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.jctools.queues.SpscArrayQueue;

import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;
import io.armature.kit.stream.BroadcastStream;

/**
 * The sample stream against JCTools' {@link SpscArrayQueue} and the JDK's
 * {@link ArrayBlockingQueue}, one producer thread and one consumer thread, in one JVM, in
 * interleaved rounds (the order of the three rotates each round). Prints per-round figures, the
 * median of the per-round ratios against JCTools and ArrayBlockingQueue, and bytes allocated per
 * sample on both threads. Asserts nothing.
 *
 * <ul>
 * <li>Handoff latency: the producer publishes an IMU sample every 100 us (10 kHz) stamped with
 * {@link System#nanoTime()} just before it hands it over; the consumer spins on its reader and
 * records now minus the stamp.</li>
 * <li>Throughput: the producer hands samples over as fast as it can; samples the consumer
 * received per second. The stream's producer never waits, so a consumer that cannot keep up
 * loses samples (printed); the queues' producer spins while the queue is full.</li>
 * </ul>
 *
 * <p>Every side moves the same preallocated {@link ImuSample}s: the queues carry references
 * into a pool that the producer fills in place and the consumer copies out of, as the stream's
 * reader does. Arguments: [rounds (9)] [latency seconds per slice (2)] [throughput samples per
 * slice (5000000)].
 */
public final class StreamBenchmark {

    private static final int CAPACITY = 1024;
    private static final long PERIOD_NANOS = 100_000; // 10 kHz

    /** One way to hand samples from one thread to another. */
    private interface Channel {
        String name();

        /** Fills the next sample with {@code stamp} and hands it over; false when it could not (full). */
        boolean offer(long stamp);

        /** Copies the next sample into {@code into}; false when there is none. */
        boolean poll(ImuSample into);

        /** Samples the consumer lost (the stream's drop-oldest); 0 for the queues. */
        long lost();

        void close();
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        double latencySeconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        long throughputSamples = args.length > 2 ? Long.parseLong(args[2]) : 5_000_000;
        System.out.printf(Locale.ROOT, "stream benchmark: %d rounds; latency at %.0f Hz for %.1f s per slice; throughput over %d samples per slice; "
                + "capacity %d; %d CPUs%n", rounds, 1e9 / PERIOD_NANOS, latencySeconds, throughputSamples, CAPACITY,
                Runtime.getRuntime().availableProcessors());

        String[] names = {"stream", "jctools", "abq"};
        // warm up every path before anything counts
        for (int k = 0; k < names.length; k++) {
            latency(channel(names[k]), 0.5);
            throughput(channel(names[k]), throughputSamples / 5);
        }

        List<Histogram> pooled = List.of(histogram(), histogram(), histogram());
        double[][] p50 = new double[3][rounds];
        double[][] p99 = new double[3][rounds];
        double[][] rate = new double[3][rounds];
        double[] bytesPerSample = new double[3];
        long[] lostTotal = new long[3];
        long[] receivedTotal = new long[3];
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < names.length; j++) {
                int k = (r + j) % names.length; // rotate who goes first
                LatencySlice l = latency(channel(names[k]), latencySeconds);
                pooled.get(k).add(l.histogram);
                p50[k][r] = l.histogram.getValueAtPercentile(50);
                p99[k][r] = l.histogram.getValueAtPercentile(99);
                bytesPerSample[k] = Math.max(bytesPerSample[k], l.bytesPerSample);
                ThroughputSlice t = throughput(channel(names[k]), throughputSamples);
                rate[k][r] = t.perSecond;
                lostTotal[k] += t.lost;
                receivedTotal[k] += t.received;
                bytesPerSample[k] = Math.max(bytesPerSample[k], t.bytesPerSample);
            }
            System.out.printf(Locale.ROOT, "round %d: p50 us %s; p99 us %s; Msamples/s %s%n", r + 1,
                    triple(p50, r, 1e-3), triple(p99, r, 1e-3), triple(rate, r, 1e-6));
        }

        System.out.printf(Locale.ROOT, "%nhandoff latency at 10 kHz, pooled over %d rounds (us):%n", rounds);
        for (int k = 0; k < names.length; k++) {
            Histogram h = pooled.get(k);
            System.out.printf(Locale.ROOT, "  %-8s p50 %7.2f  p99 %7.2f  p99.9 %8.2f  samples %d%n", names[k], h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getTotalCount());
        }
        System.out.printf(Locale.ROOT, "throughput, median of rounds (million samples/s received):%n");
        for (int k = 0; k < names.length; k++) {
            System.out.printf(Locale.ROOT, "  %-8s %7.2f  lost %.2f%%%n", names[k], median(rate[k]) / 1e6,
                    100.0 * lostTotal[k] / Math.max(1, lostTotal[k] + receivedTotal[k]));
        }
        double latency50 = medianRatio(p50[0], p50[1]);
        double latency99 = medianRatio(p99[0], p99[1]);
        double vsJctools = medianRatio(rate[0], rate[1]);
        double vsAbq = medianRatio(rate[0], rate[2]);
        System.out.printf(Locale.ROOT, "%nmedian per-round ratios, stream over reference:%n");
        System.out.printf(Locale.ROOT, "  latency p50 / JCTools      %.2f  (target <= 1.15) %s%n", latency50, verdict(latency50 <= 1.15));
        System.out.printf(Locale.ROOT, "  latency p99 / JCTools      %.2f  (target <= 1.10) %s%n", latency99, verdict(latency99 <= 1.10));
        System.out.printf(Locale.ROOT, "  throughput / JCTools       %.2f  (target >= 0.5, aim 1.0) %s%n", vsJctools, verdict(vsJctools >= 0.5));
        System.out.printf(Locale.ROOT, "  throughput / ABQ           %.2f  (target >= 10) %s%n", vsAbq, verdict(vsAbq >= 10));
        System.out.printf(Locale.ROOT, "bytes allocated per sample (producer + consumer threads, worst slice): stream %.3f, jctools %.3f, abq %.3f%n",
                bytesPerSample[0], bytesPerSample[1], bytesPerSample[2]);
    }

    private static String verdict(boolean met) {
        return met ? "met" : "NOT MET";
    }

    private static String triple(double[][] values, int round, double scale) {
        return String.format(Locale.ROOT, "stream %.2f jctools %.2f abq %.2f", values[0][round] * scale, values[1][round] * scale,
                values[2][round] * scale);
    }

    private static Channel channel(String name) {
        return switch (name) {
            case "stream" -> new StreamChannel();
            case "jctools" -> new QueueChannel("jctools", new SpscArrayQueue<>(CAPACITY));
            case "abq" -> new QueueChannel("abq", new ArrayBlockingQueue<>(CAPACITY));
            default -> throw new IllegalArgumentException(name);
        };
    }

    private record LatencySlice(Histogram histogram, double bytesPerSample) {
    }

    private record ThroughputSlice(double perSecond, long received, long lost, double bytesPerSample) {
    }

    private static LatencySlice latency(Channel channel, double seconds) throws InterruptedException {
        long samples = (long) (seconds * 1e9 / PERIOD_NANOS);
        Histogram histogram = histogram();
        long[] allocated = new long[2];
        Thread consumer = new Thread(() -> {
            long before = allocatedBytes();
            ImuSample into = new ImuSample();
            long got = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9) + 1_000_000_000L;
            while (got < samples && System.nanoTime() < end) {
                if (channel.poll(into)) {
                    histogram.recordValue(System.nanoTime() - into.timestampNanos);
                    got++;
                }
            }
            allocated[1] = allocatedBytes() - before;
        }, "bench-consumer");
        consumer.start();
        Thread.sleep(20); // the consumer is spinning before the first sample
        long before = allocatedBytes();
        long next = System.nanoTime() + PERIOD_NANOS;
        for (long i = 0; i < samples; i++) {
            long sleep = next - System.nanoTime() - 50_000;
            if (sleep > 0) {
                LockSupport.parkNanos(sleep);
            }
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            channel.offer(System.nanoTime());
            next += PERIOD_NANOS;
        }
        allocated[0] = allocatedBytes() - before;
        consumer.join();
        channel.close();
        return new LatencySlice(histogram, (double) (allocated[0] + allocated[1]) / samples);
    }

    private static ThroughputSlice throughput(Channel channel, long samples) throws InterruptedException {
        long[] received = new long[1];
        long[] allocated = new long[2];
        long[] finished = new long[1];
        Thread consumer = new Thread(() -> {
            long before = allocatedBytes();
            ImuSample into = new ImuSample();
            long got = 0;
            while (true) {
                if (channel.poll(into)) {
                    got++;
                    if (into.timestampNanos == samples - 1) {
                        break; // the last one
                    }
                }
            }
            finished[0] = System.nanoTime();
            received[0] = got;
            allocated[1] = allocatedBytes() - before;
        }, "bench-consumer");
        consumer.start();
        Thread.sleep(20);
        long before = allocatedBytes();
        long start = System.nanoTime();
        for (long i = 0; i < samples; i++) {
            while (!channel.offer(i)) {
                Thread.onSpinWait();
            }
        }
        allocated[0] = allocatedBytes() - before;
        consumer.join();
        double seconds = (finished[0] - start) / 1e9;
        long lost = channel.lost();
        channel.close();
        return new ThroughputSlice(received[0] / seconds, received[0], lost, (double) (allocated[0] + allocated[1]) / samples);
    }

    private static final class StreamChannel implements Channel {
        private final BroadcastStream<ImuSample> stream = new BroadcastStream<>("bench", 10_000, CAPACITY, ImuSample::new);
        private final SampleReader<ImuSample> reader = stream.openQueue(CAPACITY);

        @Override
        public String name() {
            return "stream";
        }

        @Override
        public boolean offer(long stamp) {
            ImuSample s = stream.claim();
            fill(s, stamp);
            stream.publish();
            return true; // never blocks: a slow reader loses the oldest
        }

        @Override
        public boolean poll(ImuSample into) {
            return reader.poll(into);
        }

        @Override
        public long lost() {
            return reader.lost();
        }

        @Override
        public void close() {
            reader.close();
            stream.close();
        }
    }

    private static final class QueueChannel implements Channel {
        private final String name;
        private final Queue<ImuSample> queue;
        // twice the queue: a slot is refilled only after the consumer took it off the queue long ago
        private final ImuSample[] pool = new ImuSample[2 * CAPACITY];
        private int next;

        QueueChannel(String name, Queue<ImuSample> queue) {
            this.name = name;
            this.queue = queue;
            for (int i = 0; i < pool.length; i++) {
                pool[i] = new ImuSample();
            }
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean offer(long stamp) {
            ImuSample s = pool[next];
            fill(s, stamp);
            if (!queue.offer(s)) {
                return false;
            }
            next = (next + 1) & (pool.length - 1);
            return true;
        }

        @Override
        public boolean poll(ImuSample into) {
            ImuSample s = queue.poll();
            if (s == null) {
                return false;
            }
            into.copyFrom(s);
            return true;
        }

        @Override
        public long lost() {
            return 0;
        }

        @Override
        public void close() {
            queue.clear();
        }
    }

    private static void fill(ImuSample s, long stamp) {
        s.timestampNanos = stamp;
        s.valid = true;
        s.accelX = 0.1;
        s.accelY = -0.2;
        s.accelZ = 9.81;
        s.gyroX = 0.01;
        s.gyroY = 0.02;
        s.gyroZ = 0.03;
    }

    private static Histogram histogram() {
        return new Histogram(1, 1_000_000_000L, 3); // 1 ns .. 1 s, no resizing
    }

    // looked up once: each getThreadMXBean() call allocates about 1.2 kB, which would show as bytes per sample
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    static double median(double[] values) {
        List<Double> sorted = new ArrayList<>();
        for (double v : values) {
            sorted.add(v);
        }
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double medianRatio(double[] ours, double[] reference) {
        double[] ratios = new double[ours.length];
        for (int i = 0; i < ours.length; i++) {
            ratios[i] = ours[i] / reference[i];
        }
        return median(ratios);
    }
}
