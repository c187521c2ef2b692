package io.armature.itest;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

import com.fazecast.jSerialComm.SerialPort;

import io.armature.board.mcu.protocol.FrameReader;
import io.armature.board.mcu.protocol.FrameWriter;
import io.armature.board.mcu.protocol.Frames;
import io.armature.board.mcu.simulator.McuSimulator;
import io.armature.board.sim.internal.SimBoard;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.PwmOutput;
import io.armature.testing.ComponentConfigs;
import io.armature.testing.PtyPair;

/**
 * The microcontroller board's protocol and the cost of a HAL write, each against a reference
 * measured in the same run. Prints figures and ratios; asserts nothing.
 *
 * <ol>
 * <li>Round trip at 1 kHz over a real pty pair (socat): the host opens its end through jSerialComm
 * as the board's serial link does (115200 8N1, semi-blocking reads of at most 100 ms), sends
 * {@code HELLO}, then {@code SET_OUTPUTS} every 1 ms with a {@code HEARTBEAT} (100 ms timeout)
 * every 20 ms, and matches each {@code ACK} of the in-process {@link McuSimulator} to its
 * command's send time by sequence number. The reference is the same host code against a plain
 * echo on the device end (a thread copying what it reads back with FileInputStream and
 * FileOutputStream). Slices alternate between the two; a command not answered within 100 ms is
 * lost.</li>
 * <li>Parser throughput: {@link FrameReader#accept} over a preallocated buffer of valid
 * {@code SET_OUTPUTS}, {@code ENCODERS} and {@code IMU} frames, fed in 1024-byte reads as the
 * board's receive loop does, against {@link Frames#crc16} alone over the same bytes.</li>
 * <li>Bytes allocated per frame on the parsing and the writing thread, for the protocol classes
 * alone and on the live link's threads (with jSerialComm).</li>
 * <li>A PWM write through the OSGi service (the object taken from the registry once, and a
 * {@link ServiceTracker#getService()} per call) in the running sim-rover, against a direct call on
 * a {@link SimBoard} built outside the framework.</li>
 * </ol>
 *
 * <p>Arguments: [round-trip pairs (5)] [round-trip slice seconds (2)] [parser rounds (9)]
 * [PWM rounds (9)].
 */
public final class McuBenchmark {

    private static final long PERIOD_NANOS = 1_000_000; // commands at 1 kHz
    private static final long HEARTBEAT_NANOS = 20_000_000; // as the runtime sends them
    private static final int HEARTBEAT_TIMEOUT_MILLIS = 100;
    private static final long LOST_NANOS = 100_000_000; // no answer within 100 ms: lost
    private static final int BAUD = 115_200;
    private static final int READ_BUFFER = 1024; // what the board's receive loop reads at once

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double sliceSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        int parserRounds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        int pwmRounds = args.length > 3 ? Integer.parseInt(args[3]) : 9;
        System.out.printf(Locale.ROOT, "mcu benchmark: %d CPUs, GC %s%n", Runtime.getRuntime().availableProcessors(), LoopBenchmark.gcNames());

        roundTrip(pairs, sliceSeconds);
        parser(parserRounds);
        pwm(pwmRounds);
    }

    // ---------------------------------------------------------------- 1. round trip over a pty

    private static void roundTrip(int pairs, double sliceSeconds) throws Exception {
        System.out.printf(Locale.ROOT, "%n[1] command round trip at 1 kHz over a socat pty pair, jSerialComm on the host end; "
                + "%d alternating pairs of %.1f s slices after a warm-up%n", pairs, sliceSeconds);
        Path dir = Files.createTempDirectory("armature-mcu-bench-");
        try (PtyPair simLine = PtyPair.open(Files.createDirectories(dir.resolve("simulator")));
                PtyPair echoLine = PtyPair.open(Files.createDirectories(dir.resolve("echo")))) {
            McuSimulator sim = McuSimulator.open(simLine.device().toString());
            Echo echo = new Echo(echoLine.device());
            Link ours = new Link("simulator", simLine.host(), false);
            Link raw = new Link("raw echo", echoLine.host(), true);
            try {
                ours.hello();
                slice(ours, 2); // warm-up: JIT, page faults, socat's buffers
                slice(raw, 2);

                double[][] p50 = new double[2][pairs];
                double[][] p99 = new double[2][pairs];
                double[][] writerBytes = new double[2][pairs];
                double[][] readerBytes = new double[2][pairs];
                Tally pooledOurs = new Tally();
                Tally pooledRaw = new Tally();
                for (int i = 0; i < pairs; i++) {
                    // alternate who goes first, so neither always follows the other's idle gap
                    Tally first = slice(i % 2 == 0 ? ours : raw, sliceSeconds);
                    Tally second = slice(i % 2 == 0 ? raw : ours, sliceSeconds);
                    Tally s = i % 2 == 0 ? first : second;
                    Tally r = i % 2 == 0 ? second : first;
                    pooledOurs.add(s);
                    pooledRaw.add(r);
                    p50[0][i] = s.histogram.getValueAtPercentile(50);
                    p99[0][i] = s.histogram.getValueAtPercentile(99);
                    p50[1][i] = r.histogram.getValueAtPercentile(50);
                    p99[1][i] = r.histogram.getValueAtPercentile(99);
                    writerBytes[0][i] = s.writerBytesPerFrame;
                    writerBytes[1][i] = r.writerBytesPerFrame;
                    readerBytes[0][i] = s.readerBytesPerFrame;
                    readerBytes[1][i] = r.readerBytesPerFrame;
                    System.out.printf(Locale.ROOT, "pair %d: simulator p50 %.0f us p99 %.0f us; raw echo p50 %.0f us p99 %.0f us%n", i + 1,
                            p50[0][i] / 1e3, p99[0][i] / 1e3, p50[1][i] / 1e3, p99[1][i] / 1e3);
                }

                System.out.printf(Locale.ROOT, "%nround trip, pooled over %d slices each (us):%n", pairs);
                System.out.printf(Locale.ROOT, "  %-10s %8s %8s %8s %9s %9s %6s %6s %7s %9s %8s%n", "", "p50", "p99", "p99.9", "max", "commands",
                        "lost", "late", "refused", "rx lost", "rx bad");
                pooledOurs.print("simulator");
                pooledRaw.print("raw echo");
                System.out.printf(Locale.ROOT, "  (lost: no answer within 100 ms, of which late: answered after 100 ms; refused: ACK status other "
                        + "than ok; rx lost / rx bad: the host parser's lostFrames / errors)%n");
                System.out.printf(Locale.ROOT, "  simulator's own parser: %d frames with errors%n", sim.frameErrors());
                double r50 = StreamBenchmark.medianRatio(p50[0], p50[1]);
                double r99 = StreamBenchmark.medianRatio(p99[0], p99[1]);
                System.out.printf(Locale.ROOT, "median per-pair ratio, simulator over raw pty echo: p50 %.2f, p99 %.2f%n", r50, r99);
                System.out.printf(Locale.ROOT, "pooled ratio, simulator over raw pty echo: p50 %.2f, p99 %.2f, p99.9 %.2f%n",
                        pooledOurs.ratio(pooledRaw, 50), pooledOurs.ratio(pooledRaw, 99), pooledOurs.ratio(pooledRaw, 99.9));
                int commandBytes = setOutputs(new FrameWriter(), 0);
                int ackBytes = new FrameWriter().begin(Frames.ACK).u8(0).u8(0).finish();
                System.out.printf(Locale.ROOT, "a pty has no baud rate: on a real %d-baud 8N1 line the %d-byte SET_OUTPUTS and %d-byte ACK add "
                        + "%.0f us to every round trip%n", BAUD, commandBytes, ackBytes, (commandBytes + ackBytes) * 10 * 1e6 / BAUD);
                System.out.printf(Locale.ROOT, "%nbytes allocated per frame on the live link (jSerialComm + protocol), median slice / worst slice "
                        + "(target 0):%n");
                System.out.printf(Locale.ROOT, "  writing thread: simulator link %.3f / %.3f, echo link %.3f / %.3f%n", StreamBenchmark.median(writerBytes[0]),
                        max(writerBytes[0]), StreamBenchmark.median(writerBytes[1]), max(writerBytes[1]));
                System.out.printf(Locale.ROOT, "  reading thread: simulator link %.3f / %.3f, echo link %.3f / %.3f%n", StreamBenchmark.median(readerBytes[0]),
                        max(readerBytes[0]), StreamBenchmark.median(readerBytes[1]), max(readerBytes[1]));
            } finally {
                ours.close();
                raw.close();
                sim.close();
                echo.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Builds a SET_OUTPUTS for both PWM channels (a small duty, alternating) with every GPIO at its safe level (low). */
    private static int setOutputs(FrameWriter w, long i) {
        int duty = (i & 1) == 0 ? 1000 : 2000;
        return w.begin(Frames.SET_OUTPUTS).u8(2).u16(duty).u16(duty).u16(0).finish();
    }

    /** The host end of one line: jSerialComm as the board's serial link opens it, a reader thread, send times by sequence number. */
    private static final class Link implements AutoCloseable {
        final String name;
        final SerialPort port;
        /** true: the peer echoes, so a command's answer is the command itself; false: an ACK carrying its sequence number */
        final boolean echoes;
        final FrameWriter writer = new FrameWriter();
        final FrameReader reader;
        /** send time (nanoTime) of the command with each sequence number still waiting for its answer; 0 = none */
        final AtomicLongArray sentAt = new AtomicLongArray(256);
        final Thread rx;
        volatile boolean running = true;
        volatile Histogram histogram = histogram();

        // written by the reader thread only
        volatile long answered;
        volatile long late;
        volatile long refused;
        volatile long unmatched;
        volatile long helloReplies;

        Link(String name, Path device, boolean echoes) throws IOException {
            this.name = name;
            this.echoes = echoes;
            this.reader = new FrameReader(this::onFrame);
            SerialPort p = SerialPort.getCommPort(device.toString());
            p.setComPortParameters(BAUD, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
            p.setFlowControl(SerialPort.FLOW_CONTROL_DISABLED);
            p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING, 100, 100);
            if (!p.openPort()) {
                throw new IOException("cannot open " + device + " (error " + p.getLastErrorCode() + ")");
            }
            this.port = p;
            this.rx = new Thread(this::receive, "bench-rx-" + name.replace(' ', '-'));
            rx.setDaemon(true);
            rx.start();
        }

        private void receive() {
            byte[] buf = new byte[READ_BUFFER];
            while (running) {
                int n = port.readBytes(buf, buf.length);
                if (n < 0) {
                    return; // the port went away (closing)
                }
                if (n > 0) {
                    reader.accept(buf, 0, n);
                }
            }
        }

        private void onFrame(int type, int seq, byte[] p, int off, int len) {
            long now = System.nanoTime();
            int command;
            if (echoes) {
                if (type != Frames.SET_OUTPUTS) {
                    return; // an echoed heartbeat
                }
                command = seq;
            } else if (type == Frames.ACK && len == 2) {
                command = Frames.u8(p, off);
                if (Frames.u8(p, off + 1) != Frames.OK) {
                    refused++;
                }
            } else {
                if (type == Frames.HELLO_REPLY) {
                    helloReplies++;
                }
                return; // STATUS after each heartbeat, or after a lapse between slices
            }
            long sent = sentAt.getAndSet(command, 0);
            if (sent == 0) {
                unmatched++; // answered after it was given up for lost
                return;
            }
            long latency = now - sent;
            if (latency > LOST_NANOS) {
                late++;
            }
            Histogram h = histogram;
            h.recordValue(Math.min(latency, h.getHighestTrackableValue()));
            answered++;
        }

        /** Sends HELLO and waits for the reply, as the board does on connecting. */
        void hello() throws Exception {
            send(writer.begin(Frames.HELLO).u16(0).finish(), false);
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (helloReplies == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": no HELLO_REPLY within 1 s");
                }
                Thread.sleep(1);
            }
        }

        /** @return true when a command with the heartbeat's sequence number was still unanswered: lost */
        boolean heartbeat() throws IOException {
            return send(writer.begin(Frames.HEARTBEAT).u16(HEARTBEAT_TIMEOUT_MILLIS).finish(), false);
        }

        /**
         * Writes the finished frame; a command's send time is kept under its sequence number until
         * its answer comes.
         *
         * @return true when the number's previous command was still unanswered: lost
         */
        boolean send(int length, boolean command) throws IOException {
            int seq = writer.lastSeq();
            // the number comes round again after 256 frames (at least 240 ms): an answer still missing is lost
            boolean lost = sentAt.getAndSet(seq, 0) != 0;
            if (command) {
                sentAt.set(seq, System.nanoTime());
            }
            int n = port.writeBytes(writer.wire(), length);
            if (n != length) {
                throw new IOException(name + ": the port took " + n + " of " + length + " bytes");
            }
            return lost;
        }

        /** Forgets every command still waiting: each is lost. */
        int sweep() {
            int lost = 0;
            for (int i = 0; i < 256; i++) {
                if (sentAt.getAndSet(i, 0) != 0) {
                    lost++;
                }
            }
            return lost;
        }

        @Override
        public void close() {
            running = false;
            port.closePort();
        }
    }

    /** One slice on one link: commands at 1 kHz and heartbeats every 20 ms for {@code seconds}. */
    private static Tally slice(Link link, double seconds) throws Exception {
        Tally t = new Tally();
        link.histogram = t.histogram;
        long answered0 = link.answered;
        long late0 = link.late;
        long refused0 = link.refused;
        long unmatched0 = link.unmatched;
        long rxLost0 = link.reader.lostFrames();
        long rxErrors0 = link.reader.errors();
        long rxFrames0 = link.reader.frames();
        long rxAllocated0 = allocatedBytes(link.rx);

        long commands = (long) (seconds * 1e9 / PERIOD_NANOS);
        long framesSent = 0;
        long unanswered = 0;
        long allocated0 = allocatedBytes();
        link.heartbeat(); // before the first command, or the simulator refuses it (status 4)
        framesSent++;
        long next = System.nanoTime() + PERIOD_NANOS;
        long nextHeartbeat = next + HEARTBEAT_NANOS;
        for (long i = 0; i < commands; i++) {
            long sleep = next - System.nanoTime() - 50_000;
            if (sleep > 0) {
                LockSupport.parkNanos(sleep);
            }
            while (System.nanoTime() < next) {
                Thread.onSpinWait();
            }
            if (next - nextHeartbeat >= 0) {
                if (link.heartbeat()) {
                    unanswered++;
                }
                framesSent++;
                nextHeartbeat += HEARTBEAT_NANOS;
            }
            if (link.send(setOutputs(link.writer, i), true)) {
                unanswered++;
            }
            framesSent++;
            next += PERIOD_NANOS;
        }
        long allocated = allocatedBytes() - allocated0;
        Thread.sleep(LOST_NANOS / 1_000_000 + 50); // the last answers
        unanswered += link.sweep();
        long rxAllocated = allocatedBytes(link.rx) - rxAllocated0;

        t.commands = commands;
        t.late = link.late - late0;
        t.lost = unanswered + t.late;
        t.refused = link.refused - refused0;
        t.unmatched = link.unmatched - unmatched0;
        t.rxLost = link.reader.lostFrames() - rxLost0;
        t.rxErrors = link.reader.errors() - rxErrors0;
        t.writerBytesPerFrame = (double) allocated / framesSent;
        t.readerBytesPerFrame = (double) rxAllocated / Math.max(1, link.reader.frames() - rxFrames0);
        if (link.answered - answered0 + unanswered != commands) {
            System.out.printf(Locale.ROOT, "  (%s: %d commands, %d answered, %d unanswered)%n", link.name, commands, link.answered - answered0,
                    unanswered);
        }
        return t;
    }

    /** What one slice, or the slices of one side pooled, measured; bytes per frame are of one slice only. */
    private static final class Tally {
        final Histogram histogram = histogram();
        long commands;
        long lost;
        long late;
        long refused;
        long unmatched;
        long rxLost;
        long rxErrors;
        double writerBytesPerFrame;
        double readerBytesPerFrame;

        void add(Tally s) {
            histogram.add(s.histogram);
            commands += s.commands;
            lost += s.lost;
            late += s.late;
            refused += s.refused;
            unmatched += s.unmatched;
            rxLost += s.rxLost;
            rxErrors += s.rxErrors;
        }

        double ratio(Tally reference, double percentile) {
            return (double) histogram.getValueAtPercentile(percentile) / Math.max(1, reference.histogram.getValueAtPercentile(percentile));
        }

        void print(String label) {
            Histogram h = histogram;
            System.out.printf(Locale.ROOT, "  %-10s %8.0f %8.0f %8.0f %9.0f %9d %6d %6d %7d %9d %8d%n", label, h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, commands, lost, late,
                    refused, rxLost, rxErrors);
            if (unmatched > 0) {
                System.out.printf(Locale.ROOT, "  %-10s %d answers came after their command was given up%n", "", unmatched);
            }
        }
    }

    /** The device end of the reference line: every byte read is written straight back. */
    private static final class Echo implements AutoCloseable {
        private final FileInputStream in;
        private final FileOutputStream out;
        private final Thread thread;

        Echo(Path device) throws IOException {
            in = new FileInputStream(device.toFile());
            out = new FileOutputStream(device.toFile());
            thread = new Thread(this::run, "bench-echo");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            byte[] buf = new byte[512]; // as the simulator reads
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // the line went away
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
            out.close();
        }
    }

    // ---------------------------------------------------------------- 2. and 3. parser and writer

    private static final class Counting implements FrameReader.Handler {
        long frames;
        long checksum; // keeps the delivered frames from being optimized away

        @Override
        public void onFrame(int type, int seq, byte[] payload, int offset, int length) {
            frames++;
            checksum += type + seq + length + payload[offset];
        }
    }

    private static void parser(int rounds) {
        int count = 3 * 256 * 512; // a multiple of 256: sequence numbers run on without a gap from round to round
        byte[] wire = new byte[count * Frames.MAX_WIRE];
        FrameWriter w = new FrameWriter();
        int length = 0;
        for (int i = 0; i < count; i++) {
            int n = switch (i % 3) {
                case 0 -> setOutputs(w, i);
                case 1 -> w.begin(Frames.ENCODERS).u32(i * 1000L).u8(2).i32(i * 7).u32(i * 1000L - 13).i32(-i * 5).u32(i * 1000L - 29).finish();
                default -> w.begin(Frames.IMU).u32(i * 1000L).u16(i & 0xFF).u16(-3).u16(2048).u16(i * 3).u16(0).u16(-i).finish();
            };
            System.arraycopy(w.wire(), 0, wire, length, n);
            length += n;
        }
        System.out.printf(Locale.ROOT, "%n[2] parser throughput: %d frames (SET_OUTPUTS, ENCODERS, IMU in turn), %.1f MB, fed in %d-byte reads; "
                + "%d rounds after 3 warm-up rounds%n", count, length / 1e6, READ_BUFFER, rounds);

        Counting handler = new Counting();
        FrameReader reader = new FrameReader(handler);
        long crcSink = 0;
        for (int r = 0; r < 3; r++) {
            parse(reader, wire, length);
            crcSink += crc(wire, length);
        }
        double[] parseNanos = new double[rounds];
        double[] crcNanos = new double[rounds];
        long parseAllocated = 0;
        for (int r = 0; r < rounds; r++) {
            boolean parseFirst = r % 2 == 0;
            if (!parseFirst) {
                long t0 = System.nanoTime();
                crcSink += crc(wire, length);
                crcNanos[r] = System.nanoTime() - t0;
            }
            long a0 = allocatedBytes();
            long t0 = System.nanoTime();
            parse(reader, wire, length);
            parseNanos[r] = System.nanoTime() - t0;
            parseAllocated = Math.max(parseAllocated, allocatedBytes() - a0);
            if (parseFirst) {
                long t1 = System.nanoTime();
                crcSink += crc(wire, length);
                crcNanos[r] = System.nanoTime() - t1;
            }
            System.out.printf(Locale.ROOT, "round %d: parser %.2f Mframes/s; crc16 alone %.2f Mframes/s (%.0f MB/s)%n", r + 1,
                    count / parseNanos[r] * 1e3, count / crcNanos[r] * 1e3, length / crcNanos[r] * 1e3);
        }
        long expected = (long) count * (rounds + 3);
        System.out.printf(Locale.ROOT, "frames delivered %d of %d, errors %d, lost %d (checksums %d %d)%n", handler.frames, expected,
                reader.errors(), reader.lostFrames(), handler.checksum, crcSink);
        double parseMedian = StreamBenchmark.median(parseNanos);
        double crcMedian = StreamBenchmark.median(crcNanos);
        System.out.printf(Locale.ROOT, "median: parser %.2f million frames/s (%.0f ns/frame, %.0f MB/s); crc16 alone over the same bytes "
                + "%.2f million frames/s (%.0f ns/frame)%n", count / parseMedian * 1e3, parseMedian / count, length / parseMedian * 1e3,
                count / crcMedian * 1e3, crcMedian / count);
        System.out.printf(Locale.ROOT, "median per-round ratio, parser time over crc16 time: %.2f%n", StreamBenchmark.medianRatio(parseNanos, crcNanos));

        // writing: building and encoding frames into the writer's own buffers, steady state
        int writes = 3_000_000;
        long sink = 0;
        for (int i = 0; i < writes / 3; i++) {
            sink += setOutputs(w, i); // warm
        }
        long a0 = allocatedBytes();
        long t0 = System.nanoTime();
        for (int i = 0; i < writes; i++) {
            sink += setOutputs(w, i);
        }
        long writeNanos = System.nanoTime() - t0;
        long writeAllocated = allocatedBytes() - a0;
        System.out.printf(Locale.ROOT, "%n[3] bytes allocated per frame, protocol classes alone (target 0): parsing thread %.4f, writing thread %.4f "
                + "(FrameWriter: %.0f ns per SET_OUTPUTS, %d)%n", (double) parseAllocated / count, (double) writeAllocated / writes,
                (double) writeNanos / writes, sink & 1);
        System.out.printf(Locale.ROOT, "    (on the live link's threads: see [1])%n");
    }

    private static void parse(FrameReader reader, byte[] wire, int length) {
        for (int at = 0; at < length; at += READ_BUFFER) {
            reader.accept(wire, at, Math.min(READ_BUFFER, length - at));
        }
    }

    private static long crc(byte[] wire, int length) {
        long sum = 0;
        for (int at = 0; at < length; at += READ_BUFFER) {
            sum += Frames.crc16(wire, at, Math.min(READ_BUFFER, length - at));
        }
        return sum;
    }

    // ---------------------------------------------------------------- 4. PWM write through the service

    private static final int SMALL_DUTY = 2000; // about 3 %: with the brake on, the wheel does not move

    private static void pwm(int rounds) throws Exception {
        int calls = 2_000_000; // 50..100 ms bursts: the runtime's loops and supervisor need the cores too
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover")) {
            BundleContext ctx = robot.context();
            String filter = "(" + Channel.PROPERTY_CHANNEL + "=motor.right.pwm)";
            robot.service(PwmOutput.class, filter, 10_000);
            ServiceReference<PwmOutput> ref = ctx.getServiceReferences(PwmOutput.class, filter).iterator().next();
            PwmOutput once = ctx.getService(ref);
            ServiceTracker<PwmOutput, PwmOutput> tracker = new ServiceTracker<>(ctx,
                    ctx.createFilter("(&(objectClass=" + PwmOutput.class.getName() + ")" + filter + ")"), null);
            tracker.open();
            Board robotBoard = robot.service(Board.class, "(" + Board.PROPERTY_BOARD + "=sim)", 10_000);

            SimBoard direct = new SimBoard();
            direct.activate(ComponentConfigs.of(SimBoard.Config.class, Map.of("realTime", false)), null);
            PwmOutput directPwm = direct.channel("motor.right.pwm", PwmOutput.class);
            // the same permit rules as in the runtime: armed, fed every 1 ms for 50 ms, as the supervisor does there
            Thread feeder = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    direct.permitMotion(System.nanoTime() + 50_000_000L);
                    LockSupport.parkNanos(1_000_000);
                }
            }, "bench-permit-feeder");
            feeder.setDaemon(true);
            feeder.start();
            Thread.sleep(50);

            System.out.printf(Locale.ROOT, "%n[4] PwmOutput.setDuty on motor.right.pwm, alternating 0 and %d while the supervisor permits motion "
                    + "(the right wheel loop rests on setpoint 0 and leaves the channel alone; the brake stays on), %d calls per measurement, "
                    + "%d rounds after 2 warm-up rounds, order rotating; a round with a refused write is left out%n", SMALL_DUTY, calls, rounds);
            String[] names = {"service object (taken once)", "ServiceTracker.getService() per call", "direct SimBoard, no framework"};
            for (int r = 0; r < 2; r++) {
                writes(once, calls);
                trackerWrites(tracker, calls);
                writes(directPwm, calls);
            }
            double[][] ns = new double[3][rounds];
            int valid = 0;
            for (int attempt = 0; valid < rounds && attempt < 3 * rounds; attempt++) {
                long refused0 = robotBoard.refusedWrites() + direct.refusedWrites();
                double[] round = new double[3];
                for (int j = 0; j < 3; j++) {
                    int k = (attempt + j) % 3;
                    long nanos = switch (k) {
                        case 0 -> writes(once, calls);
                        case 1 -> trackerWrites(tracker, calls);
                        default -> writes(directPwm, calls);
                    };
                    round[k] = (double) nanos / calls;
                    Thread.sleep(20); // the runtime's own threads need the cores too
                }
                boolean taken = true; // does a small duty take effect on both?
                for (PwmOutput p : List.of(once, directPwm)) {
                    p.setDuty(SMALL_DUTY);
                    taken &= p.duty() == SMALL_DUTY;
                    p.setDuty(0);
                }
                long refused = robotBoard.refusedWrites() + direct.refusedWrites() - refused0;
                if (refused > 0 || !taken) {
                    // a refused write is a cheaper path than a write that takes effect: not comparable
                    String status = robot.gogo("robot:status");
                    String safety = status.substring(status.indexOf("Safety:") + "Safety:".length()).strip().replaceAll("\\s*\\n\\s*", "; ");
                    boolean reset = Poll.until(5_000, () -> robot.gogo("robot:reset").contains("motion is allowed"));
                    System.out.printf(Locale.ROOT, "attempt %d left out: %d writes refused for want of a motion permit (safety: %s); robot:reset %s%n",
                            attempt + 1, refused, safety, reset ? "allowed motion again" : "did not allow motion within 5 s");
                    continue;
                }
                for (int k = 0; k < 3; k++) {
                    ns[k][valid] = round[k];
                }
                valid++;
                System.out.printf(Locale.ROOT, "round %d: service %.1f ns, tracker %.1f ns, direct %.1f ns per call%n", valid, round[0], round[1],
                        round[2]);
            }
            if (valid == 0) {
                System.out.printf(Locale.ROOT, "no round ran with every write taking effect: no figures%n");
            } else {
                for (int k = 0; k < 3; k++) {
                    ns[k] = Arrays.copyOf(ns[k], valid);
                }
                System.out.printf(Locale.ROOT, "median ns per setDuty over %d rounds in which every write took effect:%n", valid);
                for (int k = 0; k < 3; k++) {
                    System.out.printf(Locale.ROOT, "  %-38s %6.1f%n", names[k], StreamBenchmark.median(ns[k]));
                }
                System.out.printf(Locale.ROOT, "median per-round ratio over the direct call: service object %.2f, ServiceTracker per call %.2f%n",
                        StreamBenchmark.medianRatio(ns[0], ns[2]), StreamBenchmark.medianRatio(ns[1], ns[2]));
            }
            feeder.interrupt();
            tracker.close();
            ctx.ungetService(ref);
            direct.deactivate();
        }
    }

    // Both the bundle's SimChannels.Pwm and the class path's reach this call site: two classes, one
    // bimorphic type check, paid alike by the service object and the direct call.
    private static long writes(PwmOutput pwm, int calls) {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            pwm.setDuty((i & 1) == 0 ? 0 : SMALL_DUTY);
        }
        return System.nanoTime() - t0;
    }

    private static long trackerWrites(ServiceTracker<PwmOutput, PwmOutput> tracker, int calls) {
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            tracker.getService().setDuty((i & 1) == 0 ? 0 : SMALL_DUTY);
        }
        return System.nanoTime() - t0;
    }

    // ---------------------------------------------------------------- helpers

    private static Histogram histogram() {
        return new Histogram(1, 10_000_000_000L, 3); // 1 ns .. 10 s, no resizing
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    // looked up once: ManagementFactory.getThreadMXBean() itself allocates about 1.2 kB a call, which
    // would show as bytes per frame in every window
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    private static long allocatedBytes(Thread t) {
        return THREADS.getThreadAllocatedBytes(t.getId());
    }
}
