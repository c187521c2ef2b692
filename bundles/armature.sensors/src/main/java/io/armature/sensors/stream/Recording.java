package io.armature.sensors.stream;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import io.armature.sensor.Sample;
import io.armature.sensor.SampleReader;

/**
 * Compact binary recordings of a stream: a header ({@code ARMS}, format version, sample type,
 * stream name, nominal rate) followed by fixed-size records. A recording replays into a
 * stream with the original timestamps, in real time or as fast as possible;
 * the same file always gives the same samples in the same order.
 */
public final class Recording {

    static final int MAGIC = 0x41524D53; // "ARMS"
    static final int VERSION = 1;

    /** What a recording holds. */
    public record Header(String type, String stream, double rateHz) {
    }

    private Recording() {
    }

    /**
     * Records from {@code reader} into {@code file} until {@code durationNanos} has passed.
     *
     * @return samples written
     */
    public static <S extends Sample<S>> long record(SampleReader<S> reader, SampleCodec<S> codec, String stream, double rateHz, Path file,
            long durationNanos) throws IOException {
        S sample = codec.create();
        ByteBuffer record = ByteBuffer.allocate(codec.size());
        long written = 0;
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            writeHeader(out, new Header(codec.type(), stream, rateHz));
            long end = System.nanoTime() + durationNanos;
            while (System.nanoTime() - end < 0 && reader.sourceAlive()) {
                if (reader.poll(sample)) {
                    record.clear();
                    codec.write(sample, record);
                    out.write(record.array(), 0, record.position());
                    written++;
                } else {
                    LockSupport.parkNanos(200_000);
                }
            }
        }
        return written;
    }

    static void writeHeader(DataOutputStream out, Header h) throws IOException {
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeUTF(h.type());
        out.writeUTF(h.stream());
        out.writeDouble(h.rateHz());
    }

    /** @return the header of a recording, or a clear error when the file is not one */
    public static Header header(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            return readHeader(in, file);
        }
    }

    private static Header readHeader(DataInputStream in, Path file) throws IOException {
        try {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + " is not an Armature recording (no ARMS header)");
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IOException(file + " is a recording of format version " + version + "; this runtime reads version " + VERSION);
            }
            return new Header(in.readUTF(), in.readUTF(), in.readDouble());
        } catch (EOFException e) {
            throw new IOException(file + " is not an Armature recording (too short for a header)", e);
        }
    }

    /**
     * Reads a recording one sample at a time, for a test that steps a consumer in lockstep with
     * it (a control loop fed recorded encoder samples in JUnit): the same file always gives the
     * same samples in the same order. Allocates nothing per sample.
     */
    public static final class Player<S extends Sample<S>> implements AutoCloseable {
        private final Path file;
        private final SampleCodec<S> codec;
        private final DataInputStream in;
        private final Header header;
        private final byte[] bytes;
        private final ByteBuffer record;
        private long read;

        private Player(Path file, SampleCodec<S> codec) throws IOException {
            this.file = file;
            this.codec = codec;
            this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            try {
                this.header = readHeader(in, file);
                if (!header.type().equals(codec.type())) {
                    throw new IOException(file + " holds '" + header.type() + "' samples, not '" + codec.type() + "'");
                }
            } catch (IOException e) {
                in.close();
                throw e;
            }
            this.bytes = new byte[codec.size()];
            this.record = ByteBuffer.wrap(bytes);
        }

        /** @return what the recording holds */
        public Header header() {
            return header;
        }

        /**
         * Copies the next sample into {@code into}.
         *
         * @return false at the end of the recording
         * @throws IOException when the file cannot be read, or its last record is cut short
         */
        public boolean next(S into) throws IOException {
            int n = in.readNBytes(bytes, 0, bytes.length);
            if (n == 0) {
                return false;
            }
            if (n < bytes.length) {
                throw new IOException(file + " is truncated: record " + (read + 1) + " has " + n + " of " + bytes.length
                        + " bytes; the " + read + " complete records before it were replayed");
            }
            record.clear();
            codec.read(record, into);
            read++;
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** @return a player of {@code file}, which must hold samples of {@code codec}'s type */
    public static <S extends Sample<S>> Player<S> play(Path file, SampleCodec<S> codec) throws IOException {
        return new Player<>(file, codec);
    }

    /**
     * Replays {@code file} into {@code into} (a stream's {@code publish}, given each sample in turn,
     * reused: copy it): with {@code realTime}, spaced as recorded; otherwise as fast as possible. A
     * truncated last record is reported after the complete ones are published.
     *
     * @return samples published
     */
    public static <S extends Sample<S>> long replay(Path file, SampleCodec<S> codec, java.util.function.Consumer<S> into, boolean realTime)
            throws IOException {
        try (Player<S> player = play(file, codec)) {
            long published = 0;
            long firstRecorded = Long.MIN_VALUE;
            long start = System.nanoTime();
            S next = codec.create();
            while (player.next(next)) {
                if (realTime) {
                    if (firstRecorded == Long.MIN_VALUE) {
                        firstRecorded = next.timestampNanos();
                    }
                    long due = start + (next.timestampNanos() - firstRecorded);
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                into.accept(next);
                published++;
            }
            return published;
        }
    }
}
