package io.armature.safety.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Every condition the supervisor watches, as one list of checks evaluated in one place. The
 * order names the trip when several fail at once: the configuration, the e-stop input, the
 * heartbeats, loops away with their bundle, the required boards, the required loops, the watched
 * streams.
 *
 * <p>The cycle reads an array that is swapped whole when a heartbeat comes or goes or the
 * configuration changes, so it iterates without allocating or locking.
 */
final class Conditions {

    private final ConfigCheck config;
    private final Boards boards;
    private final Predicate<String> loopRunning;
    private final WatchedStreams streams;
    private final ReturningLoops returning;
    private EstopCheck estop; // kept across configuration changes that leave the input alone, with its debounce
    private SafetyCheck[] configured = new SafetyCheck[0]; // everything but the heartbeats
    private int heartbeatsAt; // where in the list the heartbeats go
    private HeartbeatCheck[] heartbeats = new HeartbeatCheck[0];
    private final Map<String, Long> closedTimeouts = new HashMap<>(); // by heartbeat name, guarded by this
    private volatile SafetyCheck[] checks = new SafetyCheck[0];

    // the start-up grace: until every required board, loop and stream was there once (or the
    // grace is over), their absence does not trip and nothing is fed
    private volatile long graceUntil;
    private volatile boolean allPresentOnce;
    private boolean starting; // of the last cycle; the supervisor's thread only
    private boolean loopsAway; // of the last cycle; the supervisor's thread only

    /**
     * @param loopRunning whether a loop of a name is there
     * @param returning   loops away with their bundle
     */
    Conditions(ConfigCheck config, Boards boards, Predicate<String> loopRunning, WatchedStreams streams, ReturningLoops returning) {
        this.config = config;
        this.boards = boards;
        this.loopRunning = loopRunning;
        this.streams = streams;
        this.returning = returning;
    }

    /**
     * Replaces every check but the heartbeats with those of the settings. Whatever they require
     * that is not there gets the start-up grace to appear, from now (FileInstall delivers the
     * robot's configuration just after start). Until all is there nothing is fed, so a robot
     * that was moving stops within one permit, without a trip.
     */
    synchronized void configure(Settings s, long now) {
        List<SafetyCheck> all = new ArrayList<>(List.of(config));
        if (s.estopBoard() == null) {
            estop = null;
        } else {
            if (estop == null || !estop.reads(s)) {
                estop = new EstopCheck(s.estopBoard(), s.estopChannel(), s.debounceNanos(), boards::get);
            }
            all.add(estop);
        }
        heartbeatsAt = all.size();
        all.add(returning); // before the required roles: a trip for loops not back names their bundle
        for (String id : s.requiredBoards()) {
            all.add(RequiredRole.board(id, boards::present));
        }
        for (String name : s.requiredLoops()) {
            all.add(RequiredRole.loop(name, loopRunning, returning));
        }
        for (String name : s.watchedStreams()) {
            all.add(new StreamCheck(name, streams, s));
        }
        boolean allPresent = true;
        for (SafetyCheck c : all) {
            allPresent &= c.present();
        }
        if (!allPresent) { // before the new checks are in force: the cycle must never judge them without their grace
            graceUntil = now + s.startupGraceMillis() * 1_000_000L;
            allPresentOnce = false;
        }
        configured = all.toArray(new SafetyCheck[0]);
        publish();
    }

    synchronized void add(HeartbeatCheck beat) {
        heartbeats = Arrays.copyOf(heartbeats, heartbeats.length + 1);
        heartbeats[heartbeats.length - 1] = beat;
        publish();
    }

    synchronized void remove(HeartbeatCheck beat) {
        closedTimeouts.put(beat.name(), beat.timeoutNanos());
        List<HeartbeatCheck> all = new ArrayList<>(List.of(heartbeats));
        all.remove(beat);
        heartbeats = all.toArray(new HeartbeatCheck[0]);
        publish();
    }

    private void publish() {
        SafetyCheck[] all = new SafetyCheck[configured.length + heartbeats.length];
        System.arraycopy(configured, 0, all, 0, heartbeatsAt);
        System.arraycopy(heartbeats, 0, all, heartbeatsAt, heartbeats.length);
        System.arraycopy(configured, heartbeatsAt, all, heartbeatsAt + heartbeats.length, configured.length - heartbeatsAt);
        checks = all;
    }

    /** The cycle's first step, tripped or not: every check keeps its history. */
    void observe(long now, boolean tripped) {
        for (SafetyCheck c : checks) {
            c.observe(now, tripped);
        }
    }

    /**
     * The cycle's judgement: the first check that fails, in the list's order. The e-stop input,
     * the heartbeats and the streams that are there act from the first cycle; the start-up grace
     * delays only the trips for required boards, loops and streams that are not there yet.
     *
     * @return the result to trip on; null when nothing trips
     */
    CheckResult firstFailure(long now) {
        SafetyCheck[] all = checks;
        boolean allPresent = true;
        for (SafetyCheck c : all) {
            allPresent &= c.present();
        }
        boolean inGrace = !allPresent && !allPresentOnce && now - graceUntil < 0;
        starting = inGrace;
        loopsAway = !returning.present();
        if (allPresent && !allPresentOnce) {
            synchronized (this) {
                // only for the checks in force: a configuration that came in since this cycle read
                // them (requiring loops not there yet) has just opened their grace, which stale
                // "all present" must not close (it did, tripping robots at start-up now and then)
                if (checks == all) {
                    allPresentOnce = true;
                }
            }
        }
        for (SafetyCheck c : all) {
            CheckResult r = c.evaluate(now);
            if (r.trips(inGrace)) {
                return r;
            }
        }
        return null;
    }

    /**
     * @return true when the last {@link #firstFailure} found nothing that holds the permits back:
     *         the robot is not starting, and no loops are away with their bundle
     */
    boolean feeds() {
        return !starting && !loopsAway;
    }

    /**
     * @return the timeout of the heartbeat of this name, in ns: the open one's, else the last
     *         closed one's (a loop closes its own as its bundle stops); 0 when there never was one
     */
    synchronized long heartbeatTimeout(String name) {
        for (HeartbeatCheck h : heartbeats) {
            if (h.name().equals(name)) {
                return h.timeoutNanos();
            }
        }
        return closedTimeouts.getOrDefault(name, 0L);
    }

    /** @return why a reset must wait, in words, one entry for each check that is not healthy now */
    List<String> unhealthy(long now) {
        List<String> reasons = new ArrayList<>();
        for (SafetyCheck c : checks) {
            CheckResult r = c.evaluate(now);
            if (r.refusesReset()) {
                reasons.add(r.resetReason());
            }
        }
        return reasons;
    }
}
