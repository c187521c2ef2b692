package io.armature.testing;

import java.util.List;
import java.util.Optional;

import io.armature.safety.Heartbeat;
import io.armature.safety.SafetyState;
import io.armature.safety.SafetySupervisor;
import io.armature.safety.TripReason;

/**
 * A safety supervisor for tests of what asks it (REST, bridges, telemetry): tripped while
 * {@link #trip} is present, which a test may set directly; {@code estop} trips with the source
 * {@code estop:<source>}; {@code reset} is refused while {@link #unhealthy} names a condition.
 * It hands out no heartbeats.
 */
public final class FakeSupervisor implements SafetySupervisor {

    /** The trip, empty while the robot may move. */
    public volatile Optional<TripReason> trip = Optional.empty();
    /** A condition that keeps reset refused, or null. */
    public volatile String unhealthy;
    private volatile long trips;

    @Override
    public SafetyState state() {
        return trip.isPresent() ? SafetyState.TRIPPED : SafetyState.OK;
    }

    @Override
    public boolean mayMove() {
        return trip.isEmpty();
    }

    @Override
    public Heartbeat heartbeat(String name, long timeoutNanos) {
        throw new UnsupportedOperationException("the fake supervisor hands out no heartbeats");
    }

    @Override
    public long trips() {
        return trips;
    }

    @Override
    public void fault(String source, String reason) {
        trip(new TripReason(source, reason, 0));
    }

    /** Trips with this reason, as a fault or an e-stop would (a test may also set {@link #trip}, which does not count a trip). */
    public void trip(TripReason reason) {
        trip = Optional.of(reason);
        trips++;
    }

    @Override
    public Optional<TripReason> tripReason() {
        return trip;
    }

    @Override
    public List<String> unhealthy() {
        String u = unhealthy;
        return u == null ? List.of() : List.of(u);
    }

    @Override
    public void estop(String source, String reason) {
        trip(new TripReason("estop:" + source, reason, 0));
    }

    @Override
    public void reset(String source) {
        if (unhealthy != null) {
            throw new IllegalStateException(unhealthy + ": cannot reset");
        }
        trip = Optional.empty();
    }
}
