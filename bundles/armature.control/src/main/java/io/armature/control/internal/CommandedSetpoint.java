package io.armature.control.internal;

import java.util.concurrent.atomic.AtomicReference;

import io.armature.control.PidGains;
import io.armature.safety.SafetySupervisor;

/**
 * A wheel loop's settings in force, as commands and configurations change them on any thread,
 * and the motion-authority rules the loop thread applies to them: a setpoint given while the
 * robot is tripped is refused, one given before the latest trip is void, and a trip or a change
 * of supervisor clears it and asks for the profile to return to rest, so nothing moves after a
 * reset until a new command. Each change swaps one immutable {@link WheelSettings}.
 */
final class CommandedSetpoint {

    private final AtomicReference<WheelSettings> settings;
    private final SupervisorLink link;
    // set when the setpoint was cleared: the loop thread returns its profile to rest
    private volatile boolean restRequested;

    CommandedSetpoint(WheelSettings initial, SupervisorLink link) {
        this.settings = new AtomicReference<>(initial);
        this.link = link;
    }

    WheelSettings get() {
        return settings.get();
    }

    /**
     * Sets a setpoint, stamped with the supervisor's trips now.
     *
     * @throws IllegalStateException    while the robot is tripped (a non-zero setpoint)
     * @throws IllegalArgumentException when the value is beyond the limit or not a number
     */
    void set(double value, long leaseExpiryNanos) {
        // The stamp is read before the trip check: a trip between the two leaves the stamp
        // older than the supervisor's count, and the loop voids the setpoint (see SafetySupervisor.trips).
        SafetySupervisor sup = link.supervisor();
        long stamp = sup == null ? WheelSettings.NO_SUPERVISOR : sup.trips();
        if (value != 0.0 && sup != null && !sup.mayMove()) {
            throw new IllegalStateException("loop '" + get().name() + "': the robot is tripped; reset it, then command again");
        }
        WheelSettings s;
        do {
            s = settings.get();
            WheelSettings.checkSetpoint(s.name(), value, s.maxSetpoint());
        } while (!settings.compareAndSet(s, s.withSetpoint(value, leaseExpiryNanos, stamp)));
    }

    void setGains(PidGains gains) {
        WheelSettings s;
        do {
            s = settings.get();
        } while (!settings.compareAndSet(s, s.withGains(gains)));
    }

    /** A new configuration: it keeps the setpoint in force (clamped to its limit), picked up at the next cycle boundary. */
    void reconfigure(WheelSettings configured) {
        WheelSettings was;
        do {
            was = settings.get();
        } while (!settings.compareAndSet(was, configured.withCommandOf(was)));
    }

    /** Takes over a predecessor's setpoint, lease and gains, stamped now. @return the settings in force afterwards */
    WheelSettings takeOver(double setpoint, long leaseExpiryNanos, PidGains gains) {
        WheelSettings next = settings.get().withClampedSetpoint(setpoint, leaseExpiryNanos, link.stamp()).withGains(gains);
        settings.set(next);
        return next;
    }

    /**
     * The settings for this cycle: a setpoint given before the latest trip, or while tripped, is
     * cleared and never resumes by itself. Loop thread; allocates only when it clears one.
     */
    WheelSettings forCycle(boolean tripped) {
        WheelSettings s = settings.get();
        SafetySupervisor sup = link.supervisor();
        while (s.setpoint() != 0.0 && (tripped || (sup != null && s.stamp() != sup.trips()))) {
            s = clear(s);
        }
        return s;
    }

    /** @return true once after the setpoint was cleared: the profile returns to rest. Loop thread. */
    boolean takeRestRequest() {
        boolean r = restRequested;
        restRequested = false;
        return r;
    }

    /**
     * Sets the setpoint to 0 with no lease, stamped with the supervisor's trips now, and asks the
     * loop thread to return the profile to rest; but only if the settings in force are still
     * {@code judged} (null for any): a command that came after the loop judged the setpoint
     * stale (a reset and a new command in between) is not cleared. Allocates one snapshot: once
     * per trip, never in a steady state.
     *
     * @return the settings in force afterwards
     */
    WheelSettings clear(WheelSettings judged) {
        restRequested = true;
        long stamp = link.stamp();
        WheelSettings s;
        WheelSettings next;
        do {
            s = settings.get();
            if (judged != null && s != judged) {
                return s; // changed since: judged afresh in the next cycle
            }
            if (s.setpoint() == 0.0 && s.leaseExpiryNanos() == Long.MAX_VALUE) {
                return s;
            }
            next = s.withSetpoint(0.0, Long.MAX_VALUE, stamp);
        } while (!settings.compareAndSet(s, next));
        return next;
    }
}
