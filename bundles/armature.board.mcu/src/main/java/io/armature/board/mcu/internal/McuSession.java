package io.armature.board.mcu.internal;

import java.io.IOException;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.osgi.service.log.Logger;

import io.armature.board.mcu.protocol.FrameReader;
import io.armature.board.mcu.protocol.Frames;

/**
 * The protocol session over one open port at a time, on the link thread: HELLO and the check of
 * the microcontroller's HELLO_REPLY against the configuration, then reading the frames it sends
 * and acting on each (ACK, STATUS, ADC; IMU and ENCODERS go to the connection's streams) until the
 * line falls silent for {@code linkTimeoutMillis} or the port goes. What goes the other way is the
 * {@link McuSender}'s.
 */
final class McuSession {

    private static final long MS = 1_000_000L;

    private final String id;
    private final SerialLink.Settings line;
    private final McuLayout layout;
    private final McuSender sender;
    private final BiFunction<SerialLink, HelloReply, McuConnection> connect;
    private final Consumer<String> disconnect;
    private final Logger log;
    private final int heartbeatTimeoutMillis;
    private final int linkTimeoutMillis;
    private final FrameReader reader = new FrameReader(this::onFrame);

    // the link thread's
    private HelloReply reply;
    private McuConnection connection;

    // written by the link thread alone
    private volatile long nacks;
    private volatile int lastNack = Frames.OK;
    private volatile long mcuLapses;
    /** good frames the board could not use: an unknown type, or a payload of the wrong length */
    private volatile long unusable;

    /**
     * @param connect    builds and registers the connection for a microcontroller that passed the handshake
     * @param disconnect ends the connection, if there is one, told why
     */
    McuSession(String id, McuBoard.Config config, SerialLink.Settings line, McuLayout layout, McuSender sender,
            BiFunction<SerialLink, HelloReply, McuConnection> connect, Consumer<String> disconnect, Logger log) {
        this.id = id;
        this.line = line;
        this.layout = layout;
        this.sender = sender;
        this.connect = connect;
        this.disconnect = disconnect;
        this.log = log;
        this.heartbeatTimeoutMillis = config.heartbeatTimeoutMillis();
        this.linkTimeoutMillis = config.linkTimeoutMillis();
    }

    /**
     * Runs the session until the port goes, the microcontroller is refused or falls silent, or
     * {@code running} turns false; then closes the port and ends the connection with the reason.
     *
     * @param buf the read buffer, the link thread's
     */
    void run(SerialLink port, byte[] buf, BooleanSupplier running) {
        String reason = converse(port, buf, running);
        port.close();
        disconnect.accept(reason);
    }

    /** @return why the session ended */
    private String converse(SerialLink port, byte[] buf, BooleanSupplier running) {
        reader.reset();
        reply = null;
        connection = null;
        try {
            sender.hello(port, layout.safeMask);
            long deadline = System.nanoTime() + 1_000 * MS;
            while (running.getAsBoolean() && reply == null && System.nanoTime() - deadline < 0) {
                int n = port.read(buf);
                reader.accept(buf, 0, n);
            }
            if (reply == null) {
                return running.getAsBoolean() ? "no HELLO_REPLY from the microcontroller on " + line.port() + " within 1 s" : "stopping";
            }
            String refused = reply.refusal(layout);
            if (refused != null) {
                log.error("board '{}': {}", id, refused);
                return refused;
            }
            connection = connect.apply(port, reply); // the sender starts the streams
            long lastFrame = System.nanoTime();
            long framesBefore = reader.frames();
            while (running.getAsBoolean()) {
                int n = port.read(buf);
                reader.accept(buf, 0, n);
                long now = System.nanoTime();
                if (reader.frames() != framesBefore) {
                    framesBefore = reader.frames();
                    lastFrame = now;
                } else if (now - lastFrame > linkTimeoutMillis * MS) {
                    return "no frame from the microcontroller for " + linkTimeoutMillis + " ms";
                }
            }
            return "stopping";
        } catch (IOException e) {
            return e.getMessage();
        } finally {
            connection = null;
        }
    }

    private void onFrame(int type, int seq, byte[] p, int off, int len) {
        McuConnection c = connection;
        switch (type) {
            case Frames.HELLO_REPLY -> {
                HelloReply r = HelloReply.parse(p, off, len);
                if (r != null) {
                    reply = r;
                }
            }
            case Frames.ACK -> {
                if (len == 2 && Frames.u8(p, off + 1) != Frames.OK) {
                    refused(c, Frames.u8(p, off + 1));
                }
            }
            case Frames.STATUS -> {
                if (c != null && len >= 1) {
                    status(c, (Frames.u8(p, off) & Frames.FLAG_LAPSED) != 0);
                }
            }
            case Frames.ADC -> {
                if (c != null && len == 3 && Frames.u8(p, off) < c.adc.length) {
                    c.adc[Frames.u8(p, off)].update(Frames.u16(p, off + 1));
                }
            }
            case Frames.IMU -> {
                if (c != null && len == 16) {
                    c.streams.imu(p, off);
                }
            }
            case Frames.ENCODERS -> {
                if (c != null && len >= 5 && !c.streams.encoders(p, off, len)) {
                    unusable++;
                }
            }
            default -> unusable++;
        }
    }

    private void refused(McuConnection c, int status) {
        nacks++;
        if (status == Frames.REFUSED_SAFE && c != null) {
            c.toSafeState(); // what the host shows is what the motors do
        }
        if (status != lastNack) {
            lastNack = status;
            log.warn("board '{}': the microcontroller refused a command: {}", id, Frames.statusName(status));
        }
    }

    private void status(McuConnection c, boolean lapsed) {
        if (lapsed && !c.mcuLapsed) {
            mcuLapses++;
            log.warn("board '{}': the microcontroller held its outputs safe: heartbeats stopped for more than {} ms", id, heartbeatTimeoutMillis);
            c.toSafeState(); // what the host shows is what the motors do
        }
        c.mcuLapsed = lapsed;
    }

    /** @return frames dropped since start: bad on the wire, or good but of no use (unknown type, wrong length) */
    long frameErrors() {
        return reader.errors() + unusable;
    }

    /** @return commands the microcontroller refused */
    long nacks() {
        return nacks;
    }

    /** @return times the microcontroller held its outputs safe because heartbeats stopped */
    long mcuLapses() {
        return mcuLapses;
    }
}
