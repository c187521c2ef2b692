package io.armature.board.mcu.internal;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import io.armature.board.mcu.protocol.FrameWriter;
import io.armature.board.mcu.protocol.Frames;
import io.armature.hal.MotionPermit;
import io.armature.kit.board.MotionGuard;

/**
 * Everything that goes to the microcontroller goes from here, so one writer numbers the frames:
 * a new link's HELLO (asked for by the link thread) and, once connected, what the send thread
 * sends — heartbeats while the permit is valid, an ADC poll with each due heartbeat, the stream
 * requests, SAFE when asked for, and SET_OUTPUTS when an output changed. A pass of the send
 * thread holds the writer's lock, so a HELLO on a new link waits for it.
 *
 * <p>The send thread also holds the outputs to the permit, by the kit's one lapse rule: it makes
 * the {@link MotionGuard}'s lapse check at every pass, and when that drove the outputs safe,
 * SAFE and the safe outputs go out. Heartbeats stop with the permit, so
 * the microcontroller's own timeout stops the motors too.
 */
final class McuSender {

    private static final long MS = 1_000_000L;

    private final MotionGuard guard;
    private final MotionPermit permit;
    private final Supplier<McuConnection> connection;
    private final long periodNanos;
    private final int heartbeatTimeoutMillis;
    private final FrameWriter writer = new FrameWriter();
    private final Object lock = new Object();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param connection the board's connection now, or null while there is none */
    McuSender(String boardId, McuBoard.Config config, MotionGuard guard, Supplier<McuConnection> connection) {
        this.guard = guard;
        this.permit = guard.permit();
        this.connection = connection;
        this.periodNanos = config.heartbeatPeriodMillis() * MS;
        this.heartbeatTimeoutMillis = config.heartbeatTimeoutMillis();
        this.thread = new Thread(this::sendLoop, "armature-mcu-" + boardId + "-tx");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Has the send thread look at once, not when the next heartbeat is due. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Stops the send thread, which sends SAFE as it goes; waits up to 2 s for it. */
    void stop() {
        running = false;
        wake();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Says HELLO on a new link, with the outputs' safe levels. */
    void hello(SerialLink port, int safeMask) throws IOException {
        synchronized (lock) { // the send thread may still be finishing with the previous link
            send(port, writer.begin(Frames.HELLO).u16(safeMask));
        }
    }

    private void sendLoop() {
        long nextBeat = System.nanoTime();
        while (running) {
            McuConnection c = connection.get();
            if (c == null) {
                LockSupport.parkNanos(50 * MS);
                continue;
            }
            try {
                synchronized (lock) {
                    nextBeat = sendDue(c, nextBeat);
                }
            } catch (IOException e) {
                // the link thread sees the port go and reconnects
                LockSupport.parkNanos(10 * MS);
            }
            if (!c.dirty && !c.safeRequested) {
                LockSupport.parkNanos(Math.max(0, nextBeat - System.nanoTime()));
            }
        }
        McuConnection c = connection.get();
        if (c != null) {
            try {
                synchronized (lock) {
                    send(c.port, writer.begin(Frames.SAFE)); // stopping: the microcontroller's timeout covers a lost frame
                }
            } catch (IOException e) {
                // gone already
            }
        }
    }

    /** @return when the next heartbeat is due */
    private long sendDue(McuConnection c, long nextBeat) throws IOException {
        long now = System.nanoTime();
        boolean permitted = permit.permitted();
        // the heartbeat first: a microcontroller refuses to move anything before one, so when the
        // permit becomes valid (the first feed, a feed after a lapse) it goes out at once
        if (now - nextBeat >= 0 || (permitted && !c.beating)) {
            nextBeat = now + periodNanos;
            c.beating = permitted;
            if (permitted) {
                send(c.port, writer.begin(Frames.HEARTBEAT).u16(heartbeatTimeoutMillis));
            }
            for (int i = 0; i < c.adc.length; i++) {
                send(c.port, writer.begin(Frames.READ_ADC).u8(i));
            }
        }
        if (!c.streamsStarted) {
            c.streamsStarted = true;
            send(c.port, writer.begin(Frames.STREAM).u8(Frames.STREAM_IMU).u16(c.streams.imuRateHz()));
            send(c.port, writer.begin(Frames.STREAM).u8(Frames.STREAM_ENCODERS).u16(c.streams.encoderRateHz()));
        }
        if (guard.checkLapse()) { // it drove this connection's outputs safe on the host; the microcontroller is told here
            c.dirty = true;
            c.safeRequested = true;
        }
        if (c.safeRequested) {
            c.safeRequested = false;
            send(c.port, writer.begin(Frames.SAFE));
        }
        // Outputs that would move wait for this episode's first heartbeat: the permit may have
        // become valid after this pass read it, and the microcontroller refuses motion before one.
        if (c.dirty && (c.beating || c.allSafe())) {
            c.dirty = false;
            writer.begin(Frames.SET_OUTPUTS).u8(c.pwm.length);
            for (McuChannels.Pwm p : c.pwm) {
                writer.u16(p.duty());
            }
            send(c.port, writer.u16(c.outputLevels()));
        }
        return nextBeat;
    }

    /** Finishes the frame being built and writes it; the caller holds {@code lock}. */
    private static void send(SerialLink port, FrameWriter w) throws IOException {
        int n = w.finish();
        port.write(w.wire(), n);
    }
}
