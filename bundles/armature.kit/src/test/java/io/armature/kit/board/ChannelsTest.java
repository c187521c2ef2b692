package io.armature.kit.board;

import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.PwmOutput;
import io.armature.hal.UnknownChannelException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ChannelsTest {

    private final Channel led = () -> new ChannelInfo("led.status", ChannelType.DIGITAL_OUTPUT, 1, "status LED", "low");
    private final Channel button = () -> new ChannelInfo("button.in", ChannelType.DIGITAL_INPUT, 1, "button", "");
    private final Map<String, Channel> channels = new LinkedHashMap<>();

    ChannelsTest() {
        channels.put("led.status", led);
        channels.put("button.in", button);
    }

    @Test
    void findsAChannelByNameAndType() {
        assertSame(led, Channels.find("pi", channels, "led.status", Channel.class));
    }

    @Test
    void anUnknownChannelIsRefusedListingTheOnesThereAre() {
        UnknownChannelException e = assertThrows(UnknownChannelException.class, () -> Channels.find("pi", channels, "led.red", Channel.class));
        assertEquals("unknown channel 'led.red' on board 'pi'; channels: led.status, button.in", e.getMessage());
    }

    @Test
    void aChannelOfAnotherTypeIsRefusedNamingBoth() {
        UnknownChannelException e = assertThrows(UnknownChannelException.class,
                () -> Channels.find("pi", channels, "button.in", PwmOutput.class));
        assertEquals("channel 'button.in' on board 'pi' is DIGITAL_INPUT, not PwmOutput", e.getMessage());
    }
}
