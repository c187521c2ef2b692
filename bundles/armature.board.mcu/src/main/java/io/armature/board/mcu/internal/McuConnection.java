package io.armature.board.mcu.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;

import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.kit.board.BoardChannels;
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
    final BoardChannels channels;
    final McuStreams streams;
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
        List<Channel> all = new ArrayList<>();
        pwm = new McuChannels.Pwm[layout.pwm.length];
        for (int i = 0; i < pwm.length; i++) {
            pwm[i] = new McuChannels.Pwm(layout.pwm[i], hello.pwmBits(), config.pwmFrequencyHz(), guard, this);
        }
        outputs = new McuChannels.Output[layout.outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            outputs[i] = new McuChannels.Output(layout.outputs[i].name(), layout.outputs[i].safeLevel(), guard, this);
        }
        adc = new McuChannels.Adc[layout.adc.length];
        for (int i = 0; i < adc.length; i++) {
            adc[i] = new McuChannels.Adc(layout.adc[i], config.adcFullScaleMillivolts(), this);
        }
        Collections.addAll(all, pwm);
        Collections.addAll(all, outputs);
        Collections.addAll(all, adc);
        channels = new BoardChannels(boardId, model, "mcu", all);
        streams = new McuStreams(config, layout.encoders);
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
        for (Actuator a : channels.actuators()) {
            a.toSafeState();
        }
    }

    /** @return true when every output is in its safe state */
    boolean allSafe() {
        for (Actuator a : channels.actuators()) {
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
        services = BoardServices.registerChannels(context, boardId, channels.list()).andBoard(board, Map.of());
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
