package io.armature.hal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MotionPermitTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aNewPermitRefusesMotionUntilItIsFed() {
        MotionPermit permit = new MotionPermit();
        assertFalse(permit.unsupervised());
        assertFalse(permit.armed());
        assertFalse(permit.permitted(), "fail-closed: nobody fed it");
        assertFalse(permit.allowsMotion());
        assertFalse(permit.allowsMotion());
        assertEquals(2, permit.refusedWrites(), "each refused write is counted");
        permit.permit(System.nanoTime() + 10 * SECOND);
        assertTrue(permit.armed());
        assertTrue(permit.permitted());
        assertTrue(permit.allowsMotion());
        assertEquals(2, permit.refusedWrites(), "an allowed write is not counted");
    }

    @Test
    void supervisedIsTheSameAsTheDefault() {
        MotionPermit permit = new MotionPermit(false);
        assertFalse(permit.unsupervised());
        assertFalse(permit.permitted());
        assertFalse(permit.allowsMotion());
        assertEquals(1, permit.refusedWrites());
    }

    @Test
    void aFedPermitLapsesAtItsExpiryAndARevokeEndsItAtOnce() {
        MotionPermit permit = new MotionPermit();
        permit.permit(System.nanoTime() - 1);
        assertFalse(permit.permitted(), "an expiry in the past permits nothing");
        permit.permit(System.nanoTime() + 10 * SECOND);
        assertTrue(permit.permitted());
        permit.revoke();
        assertTrue(permit.armed());
        assertFalse(permit.permitted());
        assertFalse(permit.allowsMotion());
        assertEquals(1, permit.refusedWrites());
    }

    @Test
    void anUnsupervisedPermitAllowsMotionOnlyUntilItsFirstRevoke() {
        MotionPermit permit = new MotionPermit(true);
        assertTrue(permit.unsupervised());
        assertFalse(permit.armed());
        assertTrue(permit.permitted(), "a bench without a supervisor");
        assertTrue(permit.allowsMotion());
        assertEquals(0, permit.refusedWrites());
        permit.revoke();
        assertTrue(permit.armed(), "a revoke arms it");
        assertFalse(permit.permitted(), "and from then on it is fed like any other");
        assertFalse(permit.allowsMotion());
        assertEquals(1, permit.refusedWrites());
        permit.permit(System.nanoTime() + 10 * SECOND);
        assertTrue(permit.permitted());
    }

    @Test
    void anUnsupervisedPermitOnceFedDoesNotGoBackToUnsupervisedWhenTheFeedLapses() {
        MotionPermit permit = new MotionPermit(true);
        permit.permit(System.nanoTime() - 1); // fed, and lapsed already
        assertTrue(permit.armed());
        assertTrue(permit.unsupervised(), "how it was configured");
        assertFalse(permit.permitted(), "a lapsed feed refuses motion");
        assertFalse(permit.allowsMotion());
        assertEquals(1, permit.refusedWrites());
    }
}
