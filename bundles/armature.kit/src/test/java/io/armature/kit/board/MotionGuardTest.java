package io.armature.kit.board;

import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.PwmOutput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MotionGuardTest {

    private static final long CHECK_NANOS = 1_000_000L;

    private final List<String> failures = new ArrayList<>();
    private final BiConsumer<String, RuntimeException> record = (channel, e) -> {
        synchronized (failures) {
            failures.add(channel + ": " + e.getMessage());
        }
    };
    private final MotionGuard guard = new MotionGuard("test", record);
    private MotionGuard bench;
    private final Motor left = new Motor("motor.left.pwm");
    private final Motor right = new Motor("motor.right.pwm");

    @AfterEach
    void close() {
        guard.close();
        if (bench != null) {
            bench.close();
        }
    }

    @Test
    void aGuardNoSupervisorFedRefusesMotionAndHoldsItsActuatorsSafe() {
        assertFalse(guard.permit().unsupervised(), "supervised unless asked otherwise");
        assertFalse(guard.permit().armed());
        assertFalse(guard.permit().permitted(), "fail-closed: no feed, no motion");
        assertFalse(guard.permit().allowsMotion(), "a moving write is refused before the first feed");
        assertEquals(1, guard.permit().refusedWrites());
        guard.start("test-permit", List.of(left, right), CHECK_NANOS);
        left.setDuty(30_000); // a write that skipped the check
        assertTrue(until(() -> left.duty() == 0), "the watcher drives it safe: nobody vouches for it");
        assertEquals(0, right.duty());
        assertFalse(guard.permit().armed(), "driving safe does not arm the permit");
    }

    @Test
    void anUnsupervisedGuardIsLeftAloneUntilTheFirstRevoke() throws InterruptedException {
        bench = new MotionGuard("bench", true, record);
        assertTrue(bench.permit().unsupervised());
        bench.start("bench-permit", List.of(left, right), CHECK_NANOS);
        assertTrue(bench.permit().allowsMotion(), "unsupervised: motion before the first feed");
        left.setDuty(30_000);
        Thread.sleep(20);
        assertEquals(30_000, left.duty(), "before the first feed or revoke the board runs unsupervised");
        assertEquals(0, bench.lapses());
        assertEquals(0, bench.permit().refusedWrites());
        bench.revoke();
        assertEquals(0, left.duty(), "the revoke drives it safe");
        assertTrue(bench.permit().armed());
        assertFalse(bench.permit().allowsMotion(), "armed and not fed: refused like any board");
        assertEquals(1, bench.permit().refusedWrites());
    }

    @Test
    void aLapsedPermitDrivesEveryActuatorSafeOnceAndCountsOneLapse() throws InterruptedException {
        guard.start("test-permit", List.of(left, right), CHECK_NANOS);
        guard.permit().permit(System.nanoTime() + 30_000_000L);
        left.setDuty(30_000);
        right.setDuty(20_000);
        assertTrue(until(() -> left.duty() == 0 && right.duty() == 0), "both motors stopped after the permit lapsed");
        Thread.sleep(20);
        assertEquals(1, guard.lapses());
        assertEquals(1, left.safeDrives);
        assertFalse(guard.permit().allowsMotion(), "a moving write stays refused while the permit is lapsed");
        assertEquals(1, guard.permit().refusedWrites());
    }

    @Test
    void aWriteThatSlipsPastTheLapseIsCaughtByTheNextCheck() {
        guard.start("test-permit", List.of(left), CHECK_NANOS);
        guard.permit().permit(System.nanoTime() + 10_000_000L);
        assertTrue(until(() -> !guard.permit().permitted() && guard.lapses() == 0), "lapsed while everything was safe: nothing to do");
        left.setDuty(40_000); // checked before the lapse, applied after it
        assertTrue(until(() -> left.duty() == 0), "driven safe again");
        assertEquals(1, guard.lapses());
    }

    @Test
    void aLapseIsCountedAsItsActuatorsAreDrivenSafeAndItsCountWaitsForThemAll() throws Exception {
        java.util.concurrent.CountDownLatch driving = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Motor slow = new Motor("motor.slow.pwm") {
            @Override
            public synchronized void toSafeState() {
                driving.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.toSafeState();
            }
        };
        guard.attach(List.of(left, slow));
        guard.permit().permit(System.nanoTime() - 1);
        left.setDuty(30_000);
        Thread watcher = new Thread(guard::checkLapse);
        watcher.start();
        assertTrue(driving.await(2, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, left.duty(), "the first motor is safe already");
        long[] seen = {-1};
        Thread reader = new Thread(() -> seen[0] = guard.lapses());
        reader.start();
        reader.join(100);
        assertTrue(reader.isAlive(), "the count waits while the lapse is being handled");
        release.countDown();
        reader.join(2_000);
        watcher.join(2_000);
        assertEquals(1, seen[0], "then it is 1, with every motor safe");
    }

    @Test
    void whoeverSeesAnActuatorDrivenSafeByALapseAlsoSeesTheLapseCounted() {
        long[] countedWhenDriven = {-1};
        Motor watched = new Motor("motor.watched.pwm") {
            @Override
            public synchronized void toSafeState() {
                countedWhenDriven[0] = guard.lapses();
                super.toSafeState();
            }
        };
        guard.attach(List.of(watched));
        guard.permit().permit(System.nanoTime() - 1);
        watched.setDuty(30_000);
        assertTrue(guard.checkLapse());
        assertEquals(1, countedWhenDriven[0], "the lapse is counted before the motor is driven safe");
    }

    @Test
    void revokeDrivesSafeAtOnceAndIsNotALapse() throws InterruptedException {
        guard.start("test-permit", List.of(left, right), CHECK_NANOS);
        guard.permit().permit(System.nanoTime() + 10_000_000_000L);
        left.setDuty(30_000);
        guard.revoke();
        assertEquals(0, left.duty());
        assertFalse(guard.permit().permitted());
        Thread.sleep(20);
        assertEquals(0, guard.lapses());
    }

    @Test
    void anActuatorThatCannotBeDrivenSafeIsReportedAndTheOthersStillGoSafe() {
        left.failing = true;
        guard.start("test-permit", List.of(left, right), CHECK_NANOS);
        guard.permit().permit(System.nanoTime() + 10_000_000L);
        left.setDuty(30_000);
        right.setDuty(30_000);
        assertTrue(until(() -> right.duty() == 0 && guard.lapses() >= 2), "the watcher keeps going and keeps trying");
        left.failing = false;
        assertTrue(until(() -> left.duty() == 0), "the next check drives it safe once it answers");
        synchronized (failures) {
            assertTrue(failures.get(0).equals("motor.left.pwm: not answering"), failures.toString());
        }
    }

    @Test
    void closeDrivesSafeAndStopsTheBoard() {
        guard.start("test-permit", List.of(left), CHECK_NANOS);
        guard.permit().permit(System.nanoTime() + 10_000_000_000L); // so that only close drives it safe
        left.setDuty(30_000);
        guard.checkRunning("motor.left.pwm");
        guard.close();
        assertEquals(0, left.duty());
        assertTrue(guard.stopped());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> guard.checkRunning("motor.left.pwm"));
        assertEquals("board 'test' is stopped; channel motor.left.pwm is gone", e.getMessage());
        guard.close(); // twice is harmless
        assertThrows(IllegalStateException.class, () -> guard.start("again", List.of(left), CHECK_NANOS));
    }

    @Test
    void aBadCheckPeriodIsRefused() {
        assertEquals("checkNanos must be at least 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> guard.start("test-permit", List.of(left), 0)).getMessage());
    }

    private static boolean until(BooleanSupplier condition) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Test
    void anAttachedGuardChecksALapseOnlyWhenItsBackendSteps() {
        guard.attach(List.of(left, right));
        guard.permit().permit(System.nanoTime() + 60_000_000_000L);
        left.setDuty(30_000);
        assertFalse(guard.checkLapse(), "within the permit: nothing to do");
        guard.permit().permit(System.nanoTime() - 1);
        assertEquals(30_000, left.duty(), "no watcher thread: nothing happens between steps");
        assertTrue(guard.checkLapse(), "the step sees the lapse");
        assertEquals(0, left.duty());
        assertEquals(1, guard.lapses());
        assertFalse(guard.checkLapse(), "all safe: one lapse is counted once");
        assertEquals(1, guard.lapses());
        assertThrows(IllegalStateException.class, () -> guard.start("test-permit", List.of(left), CHECK_NANOS), "attached already");
        left.setDuty(10_000);
        guard.close();
        assertEquals(0, left.duty(), "close drives the attached actuators safe");
        assertFalse(guard.checkLapse(), "closed: nothing more to check");
    }

    /** A PWM output that takes every write, as a channel does after its own permit check. */
    private static class Motor implements PwmOutput {
        private final ChannelInfo info;
        private volatile int duty;
        private volatile boolean failing;
        private volatile int safeDrives;

        Motor(String name) {
            this.info = new ChannelInfo(name, ChannelType.PWM, 16, "test motor", "duty 0");
        }

        @Override
        public ChannelInfo info() {
            return info;
        }

        @Override
        public void setDuty(int duty) {
            this.duty = duty;
        }

        @Override
        public int duty() {
            return duty;
        }

        @Override
        public void setFrequency(double hertz) {
        }

        @Override
        public double frequency() {
            return 20_000;
        }

        @Override
        public synchronized void toSafeState() {
            if (failing) {
                throw new IllegalStateException("not answering");
            }
            duty = 0;
            safeDrives++;
        }

        @Override
        public void close() {
            toSafeState();
        }
    }
}
