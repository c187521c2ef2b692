package io.armature.kit.board;

import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;

/**
 * A channel that moves nothing (an input, an ADC, a bus), described once when it is built: it
 * has no safe state to name. Actuators describe themselves through {@link GuardedPwm} and
 * {@link GuardedOutput} instead.
 */
public abstract class DescribedChannel implements Channel {

    private final ChannelInfo info;

    /**
     * @param name        the channel's name
     * @param type        what kind of channel it is
     * @param bits        its resolution: 1 for a digital input, 0 for a bus
     * @param description what it reads or carries, and where
     */
    protected DescribedChannel(String name, ChannelType type, int bits, String description) {
        this.info = new ChannelInfo(name, type, bits, description, "");
    }

    @Override
    public final ChannelInfo info() {
        return info;
    }
}
