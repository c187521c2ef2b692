package io.armature.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RobotCommandsTest {

    @Test
    void aFailedComponentShowsItsInnermostCause() {
        String trace = "java.lang.reflect.InvocationTargetException\n\tat x.y(Z.java:1)\n"
                + "Caused by: java.lang.IllegalArgumentException: loop 'third': rate must be 1..10000 Hz, was 0.0\n\tat a.b(C.java:2)\n";
        assertEquals("java.lang.IllegalArgumentException: loop 'third': rate must be 1..10000 Hz, was 0.0", RobotCommands.rootCause(trace));
        assertEquals("java.lang.IllegalStateException: boom", RobotCommands.rootCause("java.lang.IllegalStateException: boom\n\tat q.r(S.java:3)"));
        assertEquals("unknown", RobotCommands.rootCause(null));
    }
}
