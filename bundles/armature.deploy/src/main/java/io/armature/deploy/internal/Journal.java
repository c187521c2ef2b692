package io.armature.deploy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the deployer keeps in its bundle's data area so that a change survives a restart:
 * <ul>
 * <li>{@code applying.feature}: written before a change touches anything and removed when it is
 * done; its first line names the target, the rest is the previous set. Found at start, it means
 * the change was cut short: the previous set is restored.</li>
 * <li>{@code installed.feature}: the set last applied.</li>
 * <li>{@code store/<sha256>.jar}: a copy of every jar the running or previous set needs, so a
 * rollback never depends on the feature repository.</li>
 * </ul>
 * Every file is written to a temporary name, forced to disk and moved into place.
 */
final class Journal {

    static final String APPLYING = "applying.feature";
    static final String INSTALLED = "installed.feature";
    static final String STORE = "store";

    /**
     * An unfinished change.
     *
     * @param target   the feature it was applying
     * @param previous the set running before it
     */
    record Pending(String target, FeatureDescriptor previous) {
    }

    private final Path dir;

    Journal(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        Files.createDirectories(dir.resolve(STORE));
    }

    /** Records the previous set before a change to {@code target} touches anything. */
    void begin(String target, FeatureDescriptor previous) throws IOException {
        write(dir.resolve(APPLYING), ("applying " + target + "\n" + previous.format("")).getBytes(StandardCharsets.UTF_8));
    }

    /** @return the change that was cut short, if any */
    Optional<Pending> pending() throws IOException {
        Path f = dir.resolve(APPLYING);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        String text = Files.readString(f, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String first = nl < 0 ? text : text.substring(0, nl);
        if (!first.startsWith("applying ")) {
            throw new IOException(f + " does not start with 'applying <feature>'");
        }
        return Optional.of(new Pending(first.substring("applying ".length()).strip(), FeatureDescriptor.parse(text.substring(nl + 1), APPLYING)));
    }

    /** Ends a change: {@code running} is the set now in force. */
    void finish(FeatureDescriptor running) throws IOException {
        write(dir.resolve(INSTALLED), running.format("the bundle set last applied").getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(dir.resolve(APPLYING));
        force(dir);
    }

    /** @return the set last applied, if any */
    Optional<FeatureDescriptor> installed() throws IOException {
        Path f = dir.resolve(INSTALLED);
        return Files.exists(f) ? Optional.of(FeatureDescriptor.read(f)) : Optional.empty();
    }

    /** Keeps a copy of a jar; returns its SHA-256. */
    String put(byte[] jar) throws IOException {
        String sha = Sha256.of(jar);
        Path f = dir.resolve(STORE).resolve(sha + ".jar");
        if (!Files.exists(f)) {
            write(f, jar);
        }
        return sha;
    }

    boolean has(String sha256) {
        return Files.isRegularFile(dir.resolve(STORE).resolve(sha256 + ".jar"));
    }

    /**
     * @return the kept jar with this SHA-256
     * @throws IOException when it is missing or its content no longer has that checksum
     */
    byte[] get(String sha256) throws IOException {
        byte[] jar = Files.readAllBytes(dir.resolve(STORE).resolve(sha256 + ".jar"));
        if (!Sha256.of(jar).equals(sha256)) {
            throw new IOException("the kept copy " + sha256 + ".jar is damaged: its checksum differs");
        }
        return jar;
    }

    /** Deletes every kept jar but these. */
    void retain(Set<String> sha256s) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve(STORE))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!sha256s.contains(name.replace(".jar", ""))) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static void write(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        force(target.getParent());
    }

    /** Forces a directory's entries to disk, where the platform allows opening a directory. */
    private static void force(Path directory) {
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException notSupported) {
            // some platforms cannot open a directory; the file itself was forced
        }
    }
}
