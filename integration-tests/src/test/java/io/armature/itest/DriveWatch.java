package io.armature.itest;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/**
 * Samples a motor's PWM and brake as fast as it can until closed, and counts the samples in which
 * the motor was not driven (duty 0 or brake on): what a swap under a running loop must never show.
 */
final class DriveWatch implements AutoCloseable {

    final AtomicLong samples = new AtomicLong();
    final AtomicInteger undriven = new AtomicInteger();
    /** System.nanoTime() of the first and the last undriven sample; 0 while there was none. */
    volatile long firstUndriven;
    volatile long lastUndriven;
    /** What the first undriven sample read. */
    volatile String firstReason = "";
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    DriveWatch(PwmOutput pwm, DigitalOutput brake) {
        thread = new Thread(() -> {
            while (running.get()) {
                int duty = pwm.duty();
                boolean braked = brake.get();
                if (duty == 0 || braked) {
                    long now = System.nanoTime();
                    if (undriven.getAndIncrement() == 0) {
                        firstUndriven = now;
                        firstReason = (duty == 0 ? "duty 0" : "duty " + duty) + (braked ? ", brake on" : "");
                    }
                    lastUndriven = now;
                }
                samples.incrementAndGet();
                Thread.onSpinWait();
            }
        }, "drive-watch");
        thread.start();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
    }
}
