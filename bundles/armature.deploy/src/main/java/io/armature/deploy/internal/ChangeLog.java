package io.armature.deploy.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.ChangeProgress;

/**
 * The steps of the change running now, or of the last one, as {@link Deployer#progress()} shows
 * them while the change blocks another thread. The deployer's thread writes; any thread reads.
 */
final class ChangeLog {

    private String change;
    private long t0;
    private long endNanos;
    private boolean running;
    private final List<String> steps = new ArrayList<>();
    private ApplyResult result;

    /** A change begins: the last one's steps are forgotten. */
    synchronized void begin(String what, long startNanos) {
        change = what;
        t0 = startNanos;
        running = true;
        steps.clear();
        result = null;
    }

    /** One step done, in an operator's words; ignored when no change runs. */
    synchronized void step(String line) {
        if (running) {
            steps.add(line);
        }
    }

    /**
     * The running change has ended.
     *
     * @param r its result; null when it ended in an error the deployer did not expect
     */
    synchronized void end(ApplyResult r) {
        if (!running) {
            return; // refused before it began: the last change stays as it was
        }
        if (r == null) {
            steps.add("ended in an error; the runtime log has the details");
        }
        running = false;
        result = r;
        endNanos = System.nanoTime();
    }

    synchronized Optional<ChangeProgress> snapshot() {
        if (change == null) {
            return Optional.empty();
        }
        long elapsed = ((running ? System.nanoTime() : endNanos) - t0) / 1_000_000;
        return Optional.of(new ChangeProgress(change, running, steps, elapsed, result));
    }
}
