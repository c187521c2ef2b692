package io.armature.itest;

/** Waits for a condition that a running robot reaches asynchronously. */
final class Poll {
    private Poll() {
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** @return true as soon as the check passes, false when it has not within the time */
    static boolean until(long timeoutMillis, Check check) throws Exception {
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            if (check.ok()) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(20);
        }
    }
}
