package io.armature.vision.internal;

/**
 * Events per second and a mean over about the last second, updated by one thread and read by
 * any: the rate of the last complete window is published, so a reader never sees a half count.
 */
final class RateMeter {

    private static final long WINDOW_NANOS = 1_000_000_000L;

    private long windowStart;
    private long count;
    private double sum;
    private volatile double rate;
    private volatile double mean = Double.NaN;
    private volatile long lastEventNanos;

    /** Records one event at {@code nowNanos} with a value to average (for example a latency in ms). */
    void record(long nowNanos, double value) {
        if (count == 0 && windowStart == 0) {
            windowStart = nowNanos;
        }
        count++;
        sum += value;
        lastEventNanos = nowNanos;
        long elapsed = nowNanos - windowStart;
        if (elapsed >= WINDOW_NANOS) {
            rate = count * 1e9 / elapsed;
            mean = sum / count;
            windowStart = nowNanos;
            count = 0;
            sum = 0;
        }
    }

    /** @return events per second over the last complete window; 0 when the events stopped for 2 windows */
    double rate(long nowNanos) {
        return nowNanos - lastEventNanos > 2 * WINDOW_NANOS ? 0.0 : rate;
    }

    /** @return the mean value over the last complete window, NaN before one */
    double mean() {
        return mean;
    }
}
