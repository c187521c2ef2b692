package io.armature.control.internal;

import io.armature.safety.Heartbeat;
import io.armature.safety.SafetySupervisor;

/**
 * A wheel loop's tie to the safety supervisor, when one is installed: the heartbeat it beats
 * every cycle, the trips it obeys, and its faults, reported once per episode (until the loop
 * engages again) so that no string is made and no board revoked every cycle.
 */
final class SupervisorLink {

    private final String safetyName; // loop:<name>, its heartbeat's and its faults' name
    private volatile long heartbeatTimeoutNanos;
    private volatile SafetySupervisor supervisor;
    private volatile Heartbeat heartbeat;
    private volatile String fault;
    private volatile long faults;
    private boolean faultReported; // loop thread

    SupervisorLink(String loopName, int heartbeatTimeoutMillis) {
        this.safetyName = "loop:" + loopName;
        this.heartbeatTimeoutNanos = heartbeatTimeoutMillis * 1_000_000L;
    }

    /** A new timeout, for the next heartbeat taken (at a new supervisor, or when the engine restarts the loop). */
    void heartbeatTimeout(int millis) {
        heartbeatTimeoutNanos = millis * 1_000_000L;
    }

    /** @return the supervisor, or null when none runs */
    SafetySupervisor supervisor() {
        return supervisor;
    }

    /** @return the supervisor's trips now: the stamp of a setpoint given now */
    long stamp() {
        SafetySupervisor sup = supervisor;
        return sup == null ? WheelSettings.NO_SUPERVISOR : sup.trips();
    }

    /** @return true while a supervisor says nothing may move */
    boolean tripped() {
        SafetySupervisor sup = supervisor;
        return sup != null && !sup.mayMove();
    }

    void bind(SafetySupervisor s) {
        Heartbeat old = heartbeat;
        heartbeat = s.heartbeat(safetyName, heartbeatTimeoutNanos);
        supervisor = s;
        if (old != null) {
            old.close();
        }
    }

    /** @return true when {@code s} was the supervisor: the loop is unsupervised now */
    boolean unbind(SafetySupervisor s) {
        if (supervisor != s) {
            return false;
        }
        supervisor = null;
        closeHeartbeat();
        return true;
    }

    void beat() {
        Heartbeat hb = heartbeat;
        if (hb != null) {
            hb.beat();
        }
    }

    /** An orderly stop, not a missed beat: no cycle beats again. */
    void closeHeartbeat() {
        Heartbeat hb = heartbeat;
        heartbeat = null;
        if (hb != null) {
            hb.close();
        }
    }

    /**
     * A fresh heartbeat with the start-up slack of one that has not beaten yet: the engine
     * stopped the loop and may start it again, and that gap is not a missed beat.
     */
    void renewHeartbeat() {
        SafetySupervisor sup = supervisor;
        Heartbeat old = heartbeat;
        if (sup != null && old != null) {
            heartbeat = sup.heartbeat(safetyName, heartbeatTimeoutNanos);
            old.close();
        }
    }

    /** A new episode: the next fault is reported again. Loop thread. */
    void newEpisode() {
        faultReported = false;
    }

    /** @return true once this episode's fault has been reported. Loop thread. */
    boolean faultReported() {
        return faultReported;
    }

    /** Reports a fault to the supervisor, which latches it, once per episode. Loop thread. */
    void reportFault(String message) {
        if (faultReported) {
            return;
        }
        faultReported = true;
        noteFault(message);
        SafetySupervisor sup = supervisor;
        if (sup != null) {
            sup.fault(safetyName, message); // latched: a human decides when to move again
        }
    }

    /** Records a fault the loop recovered from (a rolled-back controller) without tripping. */
    void noteFault(String message) {
        fault = message;
        faults++;
    }

    /** @return the latest fault, or null */
    String fault() {
        return fault;
    }
}
