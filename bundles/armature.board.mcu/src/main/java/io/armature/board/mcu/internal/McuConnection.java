package io.armature.board.mcu.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;

import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.BoardInfo;
import io.armature.hal.Channel;
import io.armature.hal.ChannelInfo;
import io.armature.kit.board.BoardServices;
import io.armature.kit.board.MotionGuard;

/**
 * One connection to the microcontroller: the channels and streams built for what its
 * HELLO_REPLY said, their service registrations, and the flags the sender works from. A new
 * connection gets new channels, so a channel of a connection that is over stays over.
 */
final class McuConnection implements McuChannels.Link {

    final SerialLink port;
    final McuChannels.Pwm[] pwm;
    final McuChannels.Output[] outputs;
    final McuChannels.Adc[] adc;
    final Map<String, Channel> channels = new LinkedHashMap<>();
    final BoardInfo info;
    final McuStreams streams;
    private final Actuator[] actuators;
    private final String boardId;
    private final Runnable wakeSender;
    private BoardServices services;
    private volatile boolean open = true;

    /** outputs changed since the last SET_OUTPUTS */
    volatile boolean dirty = true;
    /** a SAFE frame is to go out */
    volatile boolean safeRequested = true;
    /** the microcontroller's last STATUS said it held its outputs safe for want of heartbeats: the link thread's */
    volatile boolean mcuLapsed;
    /** a heartbeat went out at the last due beat, or since: the sender's, read by permitMotion */
    volatile boolean beating;
    /** the sender asked for the streams: the sender's */
    boolean streamsStarted;

    /**
     * @param model      what the board info calls the board: the microcontroller's name and the line
     * @param wakeSender wakes the sender when an output changed
     */
    McuConnection(String boardId, String model, SerialLink port, HelloReply hello, McuLayout layout, McuBoard.Config config, MotionGuard guard,
            Runnable wakeSender) {
        this.boardId = boardId;
        this.port = port;
        this.wakeSender = wakeSender;
        pwm = new McuChannels.Pwm[layout.pwm.length];
        for (int i = 0; i < pwm.length; i++) {
            pwm[i] = add(new McuChannels.Pwm(layout.pwm[i], hello.pwmBits(), config.pwmFrequencyHz(), guard, this));
        }
        outputs = new McuChannels.Output[layout.outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = add(new McuChannels.Output(layout.outputs[i].name(), layout.outputs[i].safeLevel(), guard, this));
        }
        adc = new McuChannels.Adc[layout.adc.length];
        for (int i = 0; i < adc.length; i++) {
            adc[i] = add(new McuChannels.Adc(layout.adc[i], config.adcFullScaleMillivolts(), this));
        }
        List<ChannelInfo> infos = new ArrayList<>();
        for (Channel c : channels.values()) {
            infos.add(c.info());
        }
        info = new BoardInfo(boardId, model, "mcu", infos);
        actuators = channels.values().stream().filter(Actuator.class::isInstance).map(Actuator.class::cast).toArray(Actuator[]::new);
        streams = new McuStreams(config, layout.encoders);
    }

    private <T extends Channel> T add(T c) {
        if (channels.put(c.name(), c) != null) {
            throw new IllegalArgumentException("channel name '" + c.name() + "' is used twice");
        }
        return c;
    }

    @Override
    public void check(String channel) {
        if (!open) {
            throw new IllegalStateException("board '" + boardId + "' is disconnected; channel " + channel + " is gone");
        }
    }

    @Override
    public void outputsChanged() {
        dirty = true;
        wakeSender.run();
    }

    /** Puts every output in its safe state on the host; what goes to the microcontroller is the caller's choice. */
    void toSafeState() {
        for (Actuator a : actuators) {
            a.toSafeState();
        }
    }

    /** @return true when every output is in its safe state */
    boolean allSafe() {
        for (Actuator a : actuators) {
            if (!a.isSafe()) {
                return false;
            }
        }
        return true;
    }

    /** @return the GPIO levels as SET_OUTPUTS carries them: bit i set when output i is high */
    int outputLevels() {
        int levels = 0;
        for (int i = 0; i < outputs.length; i++) {
            if (outputs[i].get()) {
                levels |= 1 << i;
            }
        }
        return levels;
    }

    /** Registers the channels, then {@code board} itself, then the streams. */
    void register(BundleContext context, Board board) {
        services = BoardServices.registerChannels(context, boardId, channels.values()).andBoard(board, Map.of());
        streams.register(context, boardId);
    }

    /** Ends this connection: its channels refuse every write, its streams end, its services go. */
    void close() {
        open = false;
        streams.close();
        if (services != null) {
            services.close();
        }
    }
}
