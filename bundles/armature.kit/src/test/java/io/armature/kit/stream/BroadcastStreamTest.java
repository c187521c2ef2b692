package io.armature.kit.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.armature.sensor.ImuSample;
import io.armature.sensor.SampleReader;

class BroadcastStreamTest {

    private static void publish(BroadcastStream<ImuSample> s, long n) {
        ImuSample slot = s.claim();
        slot.timestampNanos = n;
        slot.valid = true;
        slot.accelX = n;
        slot.accelY = n;
        slot.accelZ = n;
        slot.gyroX = n;
        slot.gyroY = n;
        slot.gyroZ = n;
        s.publish();
    }

    @Test
    void aQueueReaderThatKeepsUpGetsEverySampleInOrder() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 16, ImuSample::new);
        SampleReader<ImuSample> r = s.openQueue(16);
        ImuSample into = new ImuSample();
        for (int n = 0; n < 100; n++) {
            publish(s, n);
            assertTrue(r.poll(into));
            assertEquals(n, into.timestampNanos);
            assertEquals(n, into.gyroZ);
            assertFalse(r.poll(into), "nothing new");
        }
        assertEquals(0, r.lost());
    }

    @Test
    void aSlowQueueReaderLosesTheOldestAndCountsThem() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 16, ImuSample::new);
        SampleReader<ImuSample> r = s.openQueue(4);
        for (int n = 0; n < 10; n++) {
            publish(s, n);
        }
        ImuSample into = new ImuSample();
        for (int n = 6; n < 10; n++) {
            assertTrue(r.poll(into));
            assertEquals(n, into.timestampNanos, "the newest four, oldest first");
        }
        assertFalse(r.poll(into));
        assertEquals(6, r.lost());
    }

    @Test
    void aReaderAsLongAsTheRingThatIsLappedKeepsTheNewestRing() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 16, ImuSample::new);
        SampleReader<ImuSample> r = s.openQueue(16);
        for (int n = 0; n < 40; n++) {
            publish(s, n);
        }
        ImuSample into = new ImuSample();
        for (int n = 24; n < 40; n++) {
            assertTrue(r.poll(into));
            assertEquals(n, into.timestampNanos, "the newest sixteen, oldest first");
        }
        assertFalse(r.poll(into));
        assertEquals(24, r.lost());
        publish(s, 40);
        assertTrue(r.poll(into));
        assertEquals(40, into.timestampNanos, "and it goes on in order");
        assertEquals(24, s.lostCount());
    }

    @Test
    void aLatestValueReaderSeesOnlyTheNewest() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 8, ImuSample::new);
        SampleReader<ImuSample> r = s.openLatest();
        for (int n = 0; n < 5; n++) {
            publish(s, n);
        }
        ImuSample into = new ImuSample();
        assertTrue(r.poll(into));
        assertEquals(4, into.timestampNanos);
        assertFalse(r.poll(into), "the same sample is never returned twice");
        assertEquals(4, r.lost(), "the ones it never saw");
    }

    @Test
    void closingTheStreamEndsItVisiblyForEveryReader() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 8, ImuSample::new);
        SampleReader<ImuSample> r = s.openLatest();
        publish(s, 1);
        s.close();
        assertFalse(r.sourceAlive());
        assertFalse(r.poll(new ImuSample()), "no stale sample handed out as fresh after the source ended");
    }

    @Test
    void invalidSamplesAreCounted() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 8, ImuSample::new);
        ImuSample slot = s.claim();
        slot.valid = false;
        s.publish();
        publish(s, 2);
        assertEquals(1, s.invalidCount());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BroadcastStream<>("x", 1, 12, ImuSample::new));
        BroadcastStream<ImuSample> s = new BroadcastStream<>("x", 1, 8, ImuSample::new);
        assertEquals("queue capacity must be 1..8 for stream x, was 9", assertThrows(IllegalArgumentException.class, () -> s.openQueue(9)).getMessage());
    }

    @Test
    void concurrentReadersNeverSeeATornSampleAndAccountForEverySample() throws Exception {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 64, ImuSample::new);
        int total = 2_000_000;
        SampleReader<ImuSample> queue = s.openQueue(64);
        SampleReader<ImuSample> latest = s.openLatest();
        SampleReader<ImuSample> shortQueue = s.openQueue(8);
        AtomicReference<String> problem = new AtomicReference<>();
        long[] received = new long[3];
        Thread[] readers = new Thread[3];
        SampleReader<?>[] rs = {queue, latest, shortQueue};
        for (int k = 0; k < rs.length; k++) {
            int id = k;
            @SuppressWarnings("unchecked")
            SampleReader<ImuSample> r = (SampleReader<ImuSample>) rs[k];
            readers[k] = new Thread(() -> {
                ImuSample into = new ImuSample();
                long last = -1;
                while (true) {
                    if (r.poll(into)) {
                        long n = into.timestampNanos;
                        if (into.accelX != n || into.accelY != n || into.accelZ != n || into.gyroX != n || into.gyroY != n || into.gyroZ != n) {
                            problem.compareAndSet(null, "torn sample " + n);
                        }
                        if (n <= last) {
                            problem.compareAndSet(null, "out of order: " + n + " after " + last);
                        }
                        last = n;
                        received[id]++;
                        if (n == total - 1) {
                            return;
                        }
                    } else if (!r.sourceAlive()) {
                        return;
                    }
                }
            });
            readers[k].start();
        }
        for (int n = 0; n < total; n++) {
            publish(s, n);
        }
        for (Thread t : readers) {
            t.join(20_000);
        }
        s.close();
        assertEquals(null, problem.get());
        assertEquals(total, received[0] + queue.lost(), "queue reader: every sample either read or counted lost");
        assertEquals(total, received[1] + latest.lost(), "latest reader: every sample either read or counted as skipped");
        assertEquals(total, received[2] + shortQueue.lost(), "queue shorter than the ring: every sample either read or counted lost");
    }

    @Test
    void publishingAndReadingAllocateNothing() {
        BroadcastStream<ImuSample> s = new BroadcastStream<>("imu", 1000, 64, ImuSample::new);
        SampleReader<ImuSample> r = s.openQueue(32);
        ImuSample into = new ImuSample();
        for (int n = 0; n < 200_000; n++) {
            publish(s, n);
            r.poll(into);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        boolean zeroWindow = false;
        for (int w = 0; w < 10 && !zeroWindow; w++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int n = 0; n < 10_000; n++) {
                publish(s, n);
                r.poll(into);
            }
            zeroWindow = mx.getCurrentThreadAllocatedBytes() - before == 0;
        }
        assertTrue(zeroWindow, "a window of 10000 samples published and read without allocation");
    }
}
