package io.armature.safety.internal;

/**
 * One condition the supervisor watches: a heartbeat, a required board or loop, a watched
 * stream, the e-stop input, the configuration. Every cycle trips on the first check in the list
 * that fails; a reset is refused naming every check that is not healthy.
 */
interface SafetyCheck {

    /**
     * Keeps the history a judgement needs (a debounce, a stream's progress). Called on the
     * supervisor's thread every cycle, tripped or not, before any {@link #evaluate}; never
     * allocates.
     *
     * @param tripped true while a trip is latched: nothing is judged then
     */
    default void observe(long now, boolean tripped) {
    }

    /**
     * Judges the condition now. Called by the supervision cycle and by a reset, on any thread;
     * it changes nothing and does not allocate while healthy.
     *
     * @return {@link CheckResult#OK}, or what is wrong
     */
    CheckResult evaluate(long now);

    /**
     * @return false while something required is not there (yet): until all is there, no
     *         permit is fed, and during the start-up grace its absence does not trip
     */
    default boolean present() {
        return true;
    }
}
