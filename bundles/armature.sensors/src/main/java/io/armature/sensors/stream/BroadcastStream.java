package io.armature.sensors.stream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

import io.armature.sensor.Sample;
import io.armature.sensor.SampleReader;
import io.armature.sensor.SampleStream;

/**
 * A sample stream over a ring of preallocated samples. The producer fills a slot in place
 * ({@link #claim()}, then {@link #publish()}) and never blocks or allocates; readers copy out of
 * the ring under a per-slot sequence check (a seqlock), so a slot being overwritten while a
 * reader copies it is detected and never returned. A reader that falls behind by more than its
 * capacity loses the oldest samples and counts them.
 *
 * <p>Single producer: {@code claim}/{@code publish} must come from one thread at a time.
 */
public final class BroadcastStream<S extends Sample<S>> implements SampleStream<S> {

    private final String name;
    private final double rateHz;
    private final S[] slots;
    private final int mask;
    /** Per slot: 2n+1 while sample n is written into it, 2n+2 once it is complete. */
    private final AtomicLongArray versions;
    private final AtomicInteger readers = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong lostTotal = new java.util.concurrent.atomic.AtomicLong();
    private volatile long published;
    private volatile boolean closed;
    private volatile long invalid;
    private long claimed = -1;
    private final Class<S> sampleType;

    /**
     * @param capacity ring size, a power of two, 2..65536: the most samples a queue reader can hold
     * @param factory  makes the preallocated samples, called {@code capacity} times here only
     */
    @SuppressWarnings("unchecked")
    public BroadcastStream(String name, double rateHz, int capacity, Supplier<S> factory) {
        if (capacity < 2 || capacity > 65536 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("stream capacity must be a power of two in 2..65536, was " + capacity);
        }
        this.name = name;
        this.rateHz = rateHz;
        this.slots = (S[]) new Sample<?>[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = factory.get();
        }
        this.mask = capacity - 1;
        @SuppressWarnings("unchecked")
        Class<S> type = (Class<S>) slots[0].getClass();
        this.sampleType = type;
        this.versions = new AtomicLongArray(capacity);
    }

    /** @return the slot to fill with the next sample; call {@link #publish()} when it is complete */
    public S claim() {
        long n = published;
        claimed = n;
        versions.setRelease((int) (n & mask), 2 * n + 1);
        java.lang.invoke.VarHandle.storeStoreFence(); // the odd version is visible before any field changes
        return slots[(int) (n & mask)];
    }

    /** Makes the claimed sample visible to readers; counts it as invalid when it is flagged so. */
    public void publish() {
        long n = claimed;
        if (n < 0) {
            throw new IllegalStateException("publish() without claim()");
        }
        if (!slots[(int) (n & mask)].valid()) {
            invalid++;
        }
        versions.setRelease((int) (n & mask), 2 * n + 2);
        claimed = -1;
        published = n + 1;
    }

    /** Ends the stream: readers report {@code sourceAlive() == false} and receive nothing more. */
    public void close() {
        closed = true;
    }

    @Override
    public long published() {
        return published;
    }

    @Override
    public int readers() {
        return readers.get();
    }

    @Override
    public long lostCount() {
        return lostTotal.get();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Class<S> sampleType() {
        return sampleType;
    }

    @Override
    public double rateHz() {
        return rateHz;
    }

    @Override
    public long invalidCount() {
        return invalid;
    }

    @Override
    public SampleReader<S> openLatest() {
        return new Reader(1, true);
    }

    @Override
    public SampleReader<S> openQueue(int capacity) {
        if (capacity < 1 || capacity > slots.length) {
            throw new IllegalArgumentException("queue capacity must be 1.." + slots.length + " for stream " + name + ", was " + capacity);
        }
        return new Reader(capacity, false);
    }

    private final class Reader implements SampleReader<S> {
        private final int capacity;
        private final boolean latest;
        private long next;
        private long lost;
        private boolean open = true;

        Reader(int capacity, boolean latest) {
            this.capacity = capacity;
            this.latest = latest;
            this.next = published; // only what comes from now on
            readers.incrementAndGet();
        }

        @Override
        public boolean poll(S into) {
            if (!open || closed) {
                return false;
            }
            while (true) {
                long p = published;
                if (next >= p) {
                    return false;
                }
                long oldestKept = latest ? p - 1 : Math.max(p - capacity, 0);
                if (next < oldestKept) {
                    lose(oldestKept - next);
                    next = oldestKept;
                }
                int i = (int) (next & mask);
                long expected = 2 * next + 2;
                if (versions.getAcquire(i) != expected) {
                    lose(1); // overwritten before we got to it (or being overwritten now)
                    next++;
                    continue;
                }
                into.copyFrom(slots[i]);
                java.lang.invoke.VarHandle.loadLoadFence(); // the copy completes before the re-check
                if (versions.getAcquire(i) != expected) {
                    lose(1); // overwritten while we copied: discard the torn copy
                    next++;
                    continue;
                }
                next++;
                return true;
            }
        }

        private void lose(long n) {
            lost += n;
            if (!latest) {
                lostTotal.addAndGet(n); // skipping to the newest is what a latest-value reader asks for
            }
        }

        @Override
        public long lost() {
            return lost;
        }

        @Override
        public boolean sourceAlive() {
            return !closed;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                readers.decrementAndGet();
            }
        }
    }
}
