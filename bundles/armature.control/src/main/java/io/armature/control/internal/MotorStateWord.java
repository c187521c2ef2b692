package io.armature.control.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A motor's state in one atomic word: enable, reverse and brake bits, changed with atomic bit
 * operations so that the loop thread and a safety stop never tear it.
 */
final class MotorStateWord {

    static final int ENABLE = 1;
    static final int REVERSE = 1 << 1;
    static final int BRAKE = 1 << 2;

    private final AtomicInteger word = new AtomicInteger(BRAKE);

    /** Sets {@code set} bits and clears {@code clear} bits in one atomic step. @return the new word */
    int update(int set, int clear) {
        int old;
        int next;
        do {
            old = word.get();
            next = (old | set) & ~clear;
        } while (!word.compareAndSet(old, next));
        return next;
    }

    /** Braked and disabled: the safe state. @return the new word */
    int stop() {
        return update(BRAKE, ENABLE | REVERSE);
    }

    int get() {
        return word.get();
    }

    static boolean has(int word, int bit) {
        return (word & bit) != 0;
    }
}
