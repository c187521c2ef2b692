package io.armature.deploy.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.ChangeProgress;

class ChangeLogTest {

    private final ChangeLog log = new ChangeLog();

    @Test
    void aChangeShowsItsStepsWhileItRunsAndItsResultOnceItEnded() {
        assertTrue(log.snapshot().isEmpty(), "nothing before the first change");
        log.begin("feature sim-rover-next", System.nanoTime());
        log.step("verified 2 jars: manifest and SHA-256");
        ChangeProgress running = log.snapshot().orElseThrow();
        assertTrue(running.running());
        assertEquals(List.of("verified 2 jars: manifest and SHA-256"), running.steps());
        assertNull(running.result());

        ApplyResult done = new ApplyResult("sim-rover-next", ApplyResult.Outcome.APPLIED, "applied", List.of(), 5);
        log.end(done);
        log.step("a step after the end is not this change's");
        ChangeProgress ended = log.snapshot().orElseThrow();
        assertFalse(ended.running());
        assertEquals(done, ended.result());
        assertEquals(List.of("verified 2 jars: manifest and SHA-256"), ended.steps());
    }

    @Test
    void aChangeRefusedBeforeItBeganLeavesTheLastOneShown() {
        log.begin("feature sim-rover-next", System.nanoTime());
        ApplyResult done = new ApplyResult("sim-rover-next", ApplyResult.Outcome.ROLLED_BACK, "failed the health gate", List.of(), 5);
        log.end(done);
        log.end(new ApplyResult("sim-rover", ApplyResult.Outcome.REFUSED, "another feature change is running", List.of(), 0));
        assertEquals(done, log.snapshot().orElseThrow().result(), "the refusal never began a change of its own");
    }

    @Test
    void aChangeThatEndsInAnUnexpectedErrorSaysSoAsItsLastStep() {
        log.begin("bundle armature.control 0.1.1", System.nanoTime());
        log.end(null);
        ChangeProgress p = log.snapshot().orElseThrow();
        assertFalse(p.running());
        assertNull(p.result());
        assertEquals(List.of("ended in an error; the runtime log has the details"), p.steps());
    }
}
