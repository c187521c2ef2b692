package io.armature.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.armature.hal.AnalogInput;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.UnknownChannelException;

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

    @Test
    void listShowsEveryChannelAndAReasonForTheOneThatCannotBeRead() {
        AnalogInput battery = adc("battery.sense", () -> 3712);
        AnalogInput dead = adc("adc.ain0", () -> {
            throw new UncheckedIOException("adc.ain0: i2c.1: read from register 0x00 of device 0x48 failed: Remote I/O error",
                    new java.io.IOException("Remote I/O error"));
        });
        AnalogInput silent = adc("adc.ain1", () -> {
            throw new IllegalStateException("ADS1115 at 0x48 finished no conversion within 20 ms, and the bus was reset twice before "
                    + "giving up on it");
        });
        HalCommands hal = new HalCommands();
        hal.addBoard(board("pi4j", List.of(battery, dead, silent)));

        List<String> lines = hal.list().lines().toList();

        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).startsWith("pi4j") && lines.get(1).contains("battery.sense") && lines.get(1).contains("3712 mV"), lines.get(1));
        assertTrue(lines.get(2).contains("adc.ain0")
                && lines.get(2).contains("error: i2c.1: read from register 0x00 of device 0x48 failed: Rem..."), lines.get(2));
        assertTrue(lines.get(3).contains("adc.ain1") && lines.get(3).contains("error: ADS1115 at 0x48 finished no conversion within"),
                lines.get(3));
        String reason = lines.get(3).substring(lines.get(3).indexOf("error: ") + "error: ".length()).strip();
        assertTrue(reason.length() <= HalCommands.MAX_REASON + " -".length(), reason);
    }

    private interface Reading {
        int millivolts();
    }

    private static AnalogInput adc(String name, Reading reading) {
        ChannelInfo info = new ChannelInfo(name, ChannelType.ADC, 16, "test ADC input", "");
        return new AnalogInput() {
            @Override
            public ChannelInfo info() {
                return info;
            }

            @Override
            public int readMillivolts() {
                return reading.millivolts();
            }

            @Override
            public int fullScaleMillivolts() {
                return 4096;
            }
        };
    }

    private static Board board(String id, List<Channel> channels) {
        BoardInfo info = new BoardInfo(id, "test board", "test", channels.stream().map(Channel::info).toList());
        return new Board() {
            @Override
            public BoardInfo info() {
                return info;
            }

            @Override
            public List<Channel> channels() {
                return channels;
            }

            @Override
            public <T extends Channel> T channel(String name, Class<T> type) {
                throw new UnknownChannelException(name);
            }

            @Override
            public void permitMotion(long expiryNanos) {
            }

            @Override
            public void revokeMotion() {
            }

            @Override
            public boolean motionPermitted() {
                return true;
            }

            @Override
            public long refusedWrites() {
                return 0;
            }
        };
    }
}
