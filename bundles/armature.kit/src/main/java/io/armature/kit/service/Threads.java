package io.armature.kit.service;

import java.util.concurrent.locks.LockSupport;

/** How a component ends the thread it owns. */
public final class Threads {

    private Threads() {
    }

    /**
     * Wakes {@code thread} from a park (it must already see that it should end) and waits for it
     * at most {@code millis}: a thread stuck in a driver cannot hold up a deactivation. Called on
     * the thread itself, or with null, it returns at once. An interrupt while waiting is kept.
     */
    public static void wakeAndJoin(Thread thread, long millis) {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        LockSupport.unpark(thread);
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
