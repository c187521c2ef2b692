package io.armature.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalCommandsTest {

    @Test
    void commandsWithoutABoardSaySo() {
        HalCommands hal = new HalCommands();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hal.pwm("motor.left.pwm", "10"));
        assertTrue(e.getMessage().startsWith("no board is installed"), e.getMessage());
        assertEquals("no board is installed", hal.list());
    }

    @Test
    void numbersAreCheckedWithAReadableMessage() {
        assertEquals(65535, HalCommands.parseInt("65535", "duty", 0, 65535));
        assertEquals("duty must be 0..65535, was 70000",
                assertThrows(IllegalArgumentException.class, () -> HalCommands.parseInt("70000", "duty", 0, 65535)).getMessage());
        assertEquals("duty must be a whole number 0..65535, was 'half'",
                assertThrows(IllegalArgumentException.class, () -> HalCommands.parseInt("half", "duty", 0, 65535)).getMessage());
        assertEquals("level must be 0..1, was 2",
                assertThrows(IllegalArgumentException.class, () -> HalCommands.parseInt("2", "level", 0, 1)).getMessage());
    }
}
