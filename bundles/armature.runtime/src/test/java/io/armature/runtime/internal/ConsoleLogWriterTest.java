package io.armature.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.osgi.service.log.LogLevel;

class ConsoleLogWriterTest {

    @Test
    void printsOneLineWithTheRootCauseAndNoStackTrace() {
        Exception e = new RuntimeException("wrapper", new IllegalArgumentException("loadTorqueNm must be 0..2, was -3.0"));
        String line = ConsoleLogWriter.format(LogLevel.ERROR, "armature.board.sim", "[armature.board.sim] The modified method has thrown an exception", e);
        assertEquals("[armature] ERROR armature.board.sim: [armature.board.sim] The modified method has thrown an exception: "
                + "IllegalArgumentException: loadTorqueNm must be 0..2, was -3.0", line);
    }

    @Test
    void foldsMultiLineMessages() {
        assertEquals("[armature] WARN  x: a b", ConsoleLogWriter.format(LogLevel.WARN, "x", "a\nb", null));
    }
}
