package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One channel of a board. Boards register every channel also as a service of its own type
 * ({@link DigitalOutput}, {@link DigitalInput}, {@link PwmOutput}, {@link AnalogInput}) with
 * the service properties {@link Board#PROPERTY_BOARD} and {@link #PROPERTY_CHANNEL}.
 */
@ProviderType
public interface Channel {

    /** Service property: the channel name ({@code String}), unique on its board. */
    String PROPERTY_CHANNEL = "armature.channel";

    /** Service property: the channel type ({@code String}, a {@link ChannelType} name). */
    String PROPERTY_CHANNEL_TYPE = "armature.channel.type";

    /** @return what this channel is */
    ChannelInfo info();

    /** @return the channel name, same as {@code info().name()} */
    default String name() {
        return info().name();
    }
}
