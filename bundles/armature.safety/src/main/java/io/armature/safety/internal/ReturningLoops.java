package io.armature.safety.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Loops away with their bundle: an in-place update or a refresh (the bundle starts again with new
 * loops) or an operator's Stop (it does not). The loops drive their outputs safe as their bundle
 * stops, and while one is away nothing is fed, so every motor is safe within one permit. A loop
 * back within its heartbeat timeout drives on, with the command in force (commands live in the
 * motion-command path, not in the loops' bundle); one that is not trips the supervisor naming
 * its bundle, and then the reset rules apply.
 */
final class ReturningLoops implements SafetyCheck {

    /** Tells a loop that came since from the one that went. */
    interface Loops {
        /** @return true when a loop of this name runs that is not the {@code gone} service (by service id) */
        boolean newSince(String name, long gone);
    }

    /**
     * One loop away.
     *
     * @param name    its name
     * @param gone    the service id of the loop that went
     * @param since   when it went
     * @param allowed how long it may be away: its heartbeat timeout
     * @param late    what the trip says when it is not back in time
     */
    private record Away(String name, long gone, long since, long allowed, CheckResult late) {
    }

    private final Loops loops;
    private volatile Away[] away = new Away[0];

    ReturningLoops(Loops loops) {
        this.loops = loops;
    }

    /** @param allowedNanos how long it may be away; 0 trips at the next cycle */
    synchronized void away(String bundle, String name, long serviceId, long allowedNanos, long now) {
        CheckResult late = CheckResult.failed("bundle:" + bundle, "bundle " + bundle + " stopped and took loop '" + name + "' with it"
                + (allowedNanos > 0 ? "; it was not back within " + allowedNanos / 1_000_000 + " ms (its heartbeat timeout)" : ""), null);
        Away[] next = Arrays.copyOf(away, away.length + 1);
        next[next.length - 1] = new Away(name, serviceId, now, allowedNanos, late);
        away = next;
    }

    /** @return true while a loop of this name is away and may still come back in time */
    boolean awaited(String name, long now) {
        for (Away a : away) {
            if (a.name().equals(name) && now - a.since() <= a.allowed() && !back(a)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets the loops that are back, and after a trip every one: it was judged. Allocates only when it forgets one. */
    @Override
    public void observe(long now, boolean tripped) {
        for (Away a : away) {
            if (tripped || back(a)) {
                forget(a);
            }
        }
    }

    private synchronized void forget(Away gone) {
        List<Away> rest = new ArrayList<>(List.of(away));
        rest.remove(gone);
        away = rest.toArray(new Away[0]);
    }

    @Override
    public CheckResult evaluate(long now) {
        for (Away a : away) {
            if (now - a.since() > a.allowed() && !back(a)) {
                return a.late();
            }
        }
        return CheckResult.OK;
    }

    /** @return false while a loop is away: nothing is fed until it is back (or the trip) */
    @Override
    public boolean present() {
        for (Away a : away) {
            if (!back(a)) {
                return false;
            }
        }
        return true;
    }

    private boolean back(Away a) {
        return loops.newSince(a.name(), a.gone());
    }
}
