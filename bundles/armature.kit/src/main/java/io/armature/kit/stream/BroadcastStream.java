package io.armature.kit.stream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 * <p>A queue reader waits on the version of the one slot it reads next, so while nothing new
 * arrives it touches one cache line the producer does not write, and the producer's counters are
 * written with release stores, not volatile ones (no fence per sample).
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
    private final AtomicLong lostTotal = new AtomicLong();
    /** Samples published; written by the producer alone, with release stores. */
    private volatile long published;
    /** Its own object: readers check it every poll, away from the lines the producer writes. */
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Samples published flagged invalid; written by the producer alone, with release stores. */
    private volatile long invalid;
    private long claimed = -1;
    private final Class<S> sampleType;

    private static final VarHandle PUBLISHED;
    private static final VarHandle INVALID;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PUBLISHED = lookup.findVarHandle(BroadcastStream.class, "published", long.class);
            INVALID = lookup.findVarHandle(BroadcastStream.class, "invalid", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
        VarHandle.storeStoreFence(); // the odd version is visible before any field changes
        return slots[(int) (n & mask)];
    }

    /** Makes the claimed sample visible to readers; counts it as invalid when it is flagged so. */
    public void publish() {
        long n = claimed;
        if (n < 0) {
            throw new IllegalStateException("publish() without claim()");
        }
        if (!slots[(int) (n & mask)].valid()) {
            INVALID.setRelease(this, invalid + 1);
        }
        versions.setRelease((int) (n & mask), 2 * n + 2);
        claimed = -1;
        PUBLISHED.setRelease(this, n + 1);
    }

    /** Publishes a copy of {@code sample}: a claim, a copy, a publish. */
    public void publish(S sample) {
        claim().copyFrom(sample);
        publish();
    }

    /** Ends the stream: readers report {@code sourceAlive() == false} and receive nothing more. */
    public void close() {
        closed.set(true);
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
    public int capacity() {
        return slots.length;
    }

    @Override
    public SampleReader<S> openQueue(int capacity) {
        if (capacity < 1 || capacity > slots.length) {
            throw new IllegalArgumentException("queue capacity must be 1.." + slots.length + " for stream " + name + ", was " + capacity);
        }
        return new Reader(capacity, false);
    }

    private final class Reader implements SampleReader<S> {
        // the stream's final fields, held here so that a poll reads nothing from the stream
        // object, whose other fields the producer writes every sample
        private final S[] ring = slots;
        private final int ringMask = mask;
        private final AtomicLongArray ringVersions = versions;
        private final AtomicBoolean sourceClosed = closed;
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
            if (!open || sourceClosed.get()) {
                return false;
            }
            return latest ? pollLatest(into) : pollNext(into);
        }

        /** The newest sample, when it is newer than the last one read. */
        private boolean pollLatest(S into) {
            while (true) {
                long p = published;
                if (next >= p) {
                    return false;
                }
                if (next < p - 1) {
                    lose(p - 1 - next);
                    next = p - 1;
                }
                if (copy(into)) {
                    return true;
                }
            }
        }

        /**
         * The next sample in order. While nothing new arrives this reads only the version of the
         * slot it waits for. Skips, and counts, what the producer overwrote or what is older than
         * the newest {@code capacity} samples.
         */
        private boolean pollNext(S into) {
            while (true) {
                long v = ringVersions.getAcquire((int) (next & ringMask));
                long expected = 2 * next + 2;
                if (v < expected) {
                    return false; // not yet written (an older lap's value, or being written now)
                }
                if (v > expected || beyondCapacity()) {
                    // keep the newest capacity samples; at least this one is gone (its slot is
                    // being overwritten when the producer has not counted the new one yet)
                    long oldestKept = Math.max(published - capacity, next + 1);
                    lose(oldestKept - next);
                    next = oldestKept;
                    continue;
                }
                if (copy(into)) {
                    return true;
                }
            }
        }

        /** @return true when sample {@code next + capacity} is complete, so {@code next} fell out of this queue */
        private boolean beyondCapacity() {
            if (capacity == ring.length) {
                return false; // the ring's own lapping is this queue's bound
            }
            long ahead = next + capacity;
            return ringVersions.getAcquire((int) (ahead & ringMask)) >= 2 * ahead + 2;
        }

        /** Copies sample {@code next} under the seqlock and moves on; false (counted) when it was overwritten meanwhile. */
        private boolean copy(S into) {
            int i = (int) (next & ringMask);
            long expected = 2 * next + 2;
            if (ringVersions.getAcquire(i) != expected) {
                lose(1); // overwritten before we got to it (or being overwritten now)
                next++;
                return false;
            }
            into.copyFrom(ring[i]);
            VarHandle.loadLoadFence(); // the copy completes before the re-check
            if (ringVersions.getAcquire(i) != expected) {
                lose(1); // overwritten while we copied: discard the torn copy
                next++;
                return false;
            }
            next++;
            return true;
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
            return !sourceClosed.get();
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
