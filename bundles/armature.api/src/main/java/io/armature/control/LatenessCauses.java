package io.armature.control;

/**
 * Why a loop's deadlines were met late, as far as the runtime can tell: a deadline its own
 * previous cycle ran past is the cycle's; every other late deadline is matched, by time, against
 * the JVM's safepoints (stop-the-world pauses, garbage collection's
 * among them) as the JVM's flight recorder reports them. A deadline counts as late when it was
 * met a tenth of the period late or more, and at least 50 µs late.
 *
 * @param late       deadlines met late since the loop started
 * @param overran    of those, late because the loop's own previous cycle ran past them
 * @param safepoint  of those, late while the JVM held a safepoint: the loop thread could not
 *                   return to Java until it ended
 * @param gcPause    of the safepoint ones, those during a garbage collector's pause
 * @param outsideJvm of those, late with no safepoint near: the kernel, the hypervisor or the
 *                   hardware kept the thread from running
 * @param lost       of those, never attributed: more late wake-ups came at once than the
 *                   attribution's queue holds
 * @param method     how causes are found, or why they are not (then nothing is attributed)
 */
public record LatenessCauses(long late, long overran, long safepoint, long gcPause, long outsideJvm, long lost, String method) {

    /** @return late deadlines not attributed yet: the recorder reports about a second after the fact */
    public long pending() {
        return Math.max(0, late - overran - safepoint - outsideJvm - lost);
    }
}
