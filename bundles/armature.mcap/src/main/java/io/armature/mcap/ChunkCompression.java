package io.armature.mcap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The compressions of an MCAP chunk the specification names: none, {@code lz4} (the LZ4 frame
 * format) and {@code zstd} (a Zstandard frame). LZ4 is lz4-java's ({@code at.yawk.lz4:lz4-java},
 * Java where its native part is missing), Zstandard zstd-jni's ({@code com.github.luben:zstd-jni},
 * with its natives for Linux x86-64 and aarch64). Both are bundles the runtime installs beside
 * this one and imports optionally: without one, a chunk that needs it is refused with a line
 * that names the bundle, and everything else still reads and writes.
 */
public enum ChunkCompression {

    /** Records as they are. */
    NONE(""),
    /** The LZ4 frame format: fast, little CPU, about half the size of ROS 2 sensor data. */
    LZ4("lz4"),
    /** Zstandard: slower, smaller; the default of the C++ MCAP writer and so of {@code ros2 bag}. */
    ZSTD("zstd");

    private final String name;

    ChunkCompression(String name) {
        this.name = name;
    }

    /** @return the name in a chunk record: empty, {@code lz4} or {@code zstd} */
    public String mcapName() {
        return name;
    }

    /**
     * @param name as in a chunk record or a configuration: empty or {@code none}, {@code lz4}, {@code zstd}
     * @throws IllegalArgumentException for any other, naming the ones there are
     */
    public static ChunkCompression of(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        for (ChunkCompression c : values()) {
            if (c.name.equals(n) || c.name().toLowerCase(java.util.Locale.ROOT).equals(n)) {
                return c;
            }
        }
        throw new IllegalArgumentException("chunk compression '" + name + "' is not one MCAP names; it has none, lz4 and zstd");
    }

    /** @return the records compressed */
    byte[] compress(byte[] records, int length) throws IOException {
        return switch (this) {
            case NONE -> Arrays.copyOf(records, length);
            case LZ4 -> library(() -> Lz4.compress(records, length));
            case ZSTD -> library(() -> Zstandard.compress(records, length));
        };
    }

    /**
     * @return the records, {@code uncompressedSize} bytes
     * @throws IOException when the data is not a frame of this compression, or does not come to that size
     */
    byte[] decompress(byte[] data, long uncompressedSize) throws IOException {
        if (uncompressedSize > McapReader.MAX_RECORD_BYTES) {
            throw new IOException("a chunk of " + uncompressedSize + " bytes uncompressed is more than this reader takes");
        }
        int size = (int) uncompressedSize;
        return switch (this) {
            case NONE -> data;
            case LZ4 -> library(() -> readFully(Lz4.input(data), size));
            case ZSTD -> library(() -> readFully(Zstandard.input(data), size));
        };
    }

    /** @return exactly {@code size} bytes, and the stream ending there */
    private static byte[] readFully(InputStream in, int size) throws IOException {
        try (in) {
            byte[] out = in.readNBytes(size);
            if (out.length != size) {
                throw new IOException("it holds " + out.length + " bytes, the chunk says " + size);
            }
            if (in.read() != -1) {
                throw new IOException("it holds more than the " + size + " bytes the chunk says");
            }
            return out;
        }
    }

    /*
     * Each library is named in a class of its own, loaded only when a chunk needs it: the verifier
     * of a class that names one loads it, so naming them here would make this enum, and every
     * uncompressed read, fail where a library is not installed.
     */

    /** lz4-java's frame streams. */
    private static final class Lz4 {
        static byte[] compress(byte[] records, int length) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 2));
            try (net.jpountz.lz4.LZ4FrameOutputStream lz4 = new net.jpountz.lz4.LZ4FrameOutputStream(out)) {
                lz4.write(records, 0, length);
            }
            return out.toByteArray();
        }

        static InputStream input(byte[] data) throws IOException {
            return new net.jpountz.lz4.LZ4FrameInputStream(new ByteArrayInputStream(data));
        }
    }

    /** zstd-jni's frames, at its default level (3). */
    private static final class Zstandard {
        static byte[] compress(byte[] records, int length) {
            return com.github.luben.zstd.Zstd.compress(Arrays.copyOf(records, length), 3);
        }

        static InputStream input(byte[] data) throws IOException {
            return new com.github.luben.zstd.ZstdInputStream(new ByteArrayInputStream(data));
        }
    }

    @FunctionalInterface
    private interface Work {
        byte[] run() throws IOException;
    }

    /** Runs work that needs this compression's library; its absence, or its failure, is one clear line. */
    private byte[] library(Work work) throws IOException {
        try {
            return work.run();
        } catch (NoClassDefFoundError | UnsatisfiedLinkError e) {
            throw new IOException(name + " chunks need the bundle " + (this == LZ4 ? "lz4-java (at.yawk.lz4:lz4-java)"
                    : "com.github.luben.zstd-jni (com.github.luben:zstd-jni)") + ", which is not installed or has no native library here: " + e);
        } catch (IOException | RuntimeException e) { // the libraries throw their own errors, checked or not, for corrupt frames
            throw new IOException("not a valid " + name + " frame: " + e.getMessage(), e);
        }
    }
}
