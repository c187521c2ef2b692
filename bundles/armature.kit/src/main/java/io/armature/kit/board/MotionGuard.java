package io.armature.kit.board;

import io.armature.hal.Actuator;
import io.armature.hal.MotionPermit;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import io.armature.kit.service.Threads;

/**
 * Holds a board's actuators to its {@link MotionPermit} while the board runs, for backends that
 * share it so that every board keeps the same rules:
 * <ul>
 * <li>once {@link #start started}, a named daemon thread checks every period whether the permit
 * has lapsed while an actuator is out of its safe state, and if so drives every actuator safe
 * and counts a {@linkplain #lapses() lapse}. A lapsed permit refuses moving writes, so this
 * happens once per lapse; a write checked just before the lapse and applied just after it is
 * caught by the next check. A backend that runs its own checks (a simulation stepping its
 * time, a link that must also tell its hardware) {@link #attach attaches} its actuators instead
 * and makes the same {@linkplain #checkLapse() check} at each;</li>
 * <li>{@link #revoke()} ends the permit and drives every actuator safe in one step, which the
 * watcher does not count as a lapse;</li>
 * <li>{@link #close()} stops the watcher, drives every actuator safe and marks the board
 * stopped: from then on {@link #checkRunning} throws for every channel, while the safe state
 * stays reachable.</li>
 * </ul>
 * A channel checks {@link #checkRunning} and then {@code permit().allowsMotion()} before a write
 * that would move its actuator. A failure to drive one actuator safe does not stop the others
 * or the watcher: it is handed to the {@code safeStateFailed} callback, and the next check tries
 * again.
 */
public final class MotionGuard implements AutoCloseable {

    private final String boardId;
    private final BiConsumer<String, RuntimeException> safeStateFailed;
    private final MotionPermit permit;
    private final Object lock = new Object();
    private volatile List<Actuator> actuators = List.of();
    private volatile boolean stopped;
    private long lapses; // guarded by lock
    private Thread watcher;
    private boolean attached;

    /**
     * @param boardId         the board's id, for messages
     * @param safeStateFailed told the channel name and the error when an actuator could not be
     *                        driven safe; called on the thread that tried, must not throw
     */
    public MotionGuard(String boardId, BiConsumer<String, RuntimeException> safeStateFailed) {
        this(boardId, false, safeStateFailed);
    }

    /**
     * @param boardId         the board's id, for messages
     * @param unsupervised    true to allow motion before the first feed (a bench without a supervisor)
     * @param safeStateFailed as {@link #MotionGuard(String, BiConsumer)}
     */
    public MotionGuard(String boardId, boolean unsupervised, BiConsumer<String, RuntimeException> safeStateFailed) {
        this.permit = new MotionPermit(unsupervised);
        this.boardId = Objects.requireNonNull(boardId, "boardId");
        this.safeStateFailed = Objects.requireNonNull(safeStateFailed, "safeStateFailed");
    }

    /** @return the board's motion permit */
    public MotionPermit permit() {
        return permit;
    }

    /**
     * Starts watching the permit for these actuators, once the board's channels are built.
     *
     * @param threadName  the watcher thread's name
     * @param actuators   every actuator of the board
     * @param checkNanos  how often the permit is checked, in ns, at least 1
     * @throws IllegalStateException when started twice or after {@link #close()}
     */
    public void start(String threadName, List<? extends Actuator> actuators, long checkNanos) {
        if (checkNanos < 1) {
            throw new IllegalArgumentException("checkNanos must be at least 1, was " + checkNanos);
        }
        synchronized (lock) {
            if (attached || stopped) {
                throw new IllegalStateException("the motion guard of board '" + boardId + "' is " + (stopped ? "closed" : "already started"));
            }
            this.actuators = List.copyOf(actuators);
            attached = true;
            watcher = new Thread(() -> watch(checkNanos), threadName);
        }
        watcher.setDaemon(true);
        watcher.setUncaughtExceptionHandler((t, e) -> driveSafe());
        watcher.start();
    }

    /**
     * Holds these actuators to the permit without a watcher thread, for a backend that runs its
     * own checks and calls {@link #checkLapse()} at each: a simulation at every step (a lapse is
     * then seen at the first step after it, the same in stepped and in real time), or a backend
     * whose own thread also has to tell the hardware when its actuators went safe. A backend that
     * builds new channels (a new connection) attaches them again, and they replace the previous.
     *
     * @throws IllegalStateException when {@linkplain #start started}, or after {@link #close()}
     */
    public void attach(List<? extends Actuator> actuators) {
        synchronized (lock) {
            if (watcher != null || stopped) {
                throw new IllegalStateException("the motion guard of board '" + boardId + "' is " + (stopped ? "closed" : "already started"));
            }
            this.actuators = List.copyOf(actuators);
            attached = true;
        }
    }

    private void watch(long checkNanos) {
        while (!stopped) {
            checkLapse();
            LockSupport.parkNanos(checkNanos);
        }
    }

    /**
     * Checks the permit once, as the watcher does every period: when it lapsed while an actuator
     * is out of its safe state, drives every actuator safe and counts a {@linkplain #lapses() lapse}.
     *
     * @return true when it drove them safe
     */
    public boolean checkLapse() {
        synchronized (lock) {
            // the outputs first, then the permit: read the other way round, a permit fed and an
            // output moved between the two reads would look like a lapse
            if (!stopped && !allSafe() && !permit.permitted()) {
                lapses++; // read under the lock: a reader sees the count only once every actuator is safe
                driveSafe(); // the permit lapsed: nobody vouches for these outputs any more
                return true;
            }
            return false;
        }
    }

    /** Ends the permit now and drives every actuator safe; they stay there until the next feed. */
    public void revoke() {
        synchronized (lock) {
            permit.revoke();
            driveSafe();
        }
    }

    /**
     * @return times the watcher drove the actuators safe because the permit lapsed, since start;
     *         waits for a lapse being handled, so that a caller who sees an actuator driven safe
     *         by a lapse sees it counted, and one who sees it counted sees every actuator safe
     */
    public long lapses() {
        synchronized (lock) {
            return lapses;
        }
    }

    /** @return true once {@link #close()} was called */
    public boolean stopped() {
        return stopped;
    }

    /** @throws IllegalStateException once the board has stopped, naming the board and {@code channel} */
    public void checkRunning(String channel) {
        if (stopped) {
            throw new IllegalStateException("board '" + boardId + "' is stopped; channel " + channel + " is gone");
        }
    }

    /** Stops the watcher (waiting up to 2 s for it), drives every actuator safe and marks the board stopped. Safe to call twice. */
    @Override
    public void close() {
        Thread w;
        synchronized (lock) {
            stopped = true;
            w = watcher;
        }
        Threads.wakeAndJoin(w, 2_000);
        driveSafe();
    }

    private boolean allSafe() {
        for (Actuator a : actuators) {
            if (!a.isSafe()) {
                return false;
            }
        }
        return true;
    }

    private void driveSafe() {
        for (Actuator a : actuators) {
            try {
                a.toSafeState();
            } catch (RuntimeException e) {
                safeStateFailed.accept(a.name(), e);
            }
        }
    }
}
