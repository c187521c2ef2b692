package io.armature.deploy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A feature: a named bundle set with every bundle pinned by SHA-256. The text form, one item a
 * line, {@code #} starting a comment:
 *
 * <pre>
 * feature sim-rover
 * bundle armature.api 0.1.0.202611260930 10 3f5a...e1 bundles/armature.api-0.1.0.202611260930.jar
 * </pre>
 *
 * A bundle line gives the symbolic name, the version, the start level (1 or more), the SHA-256 of
 * the jar (64 lower-case hex digits) and where the jar is, relative to the feature repository directory.
 *
 * @param name    the feature name: letters, digits, {@code . _ -}
 * @param bundles the bundles, each symbolic name once
 */
record FeatureDescriptor(String name, List<Entry> bundles) {

    /** The file name suffix of a descriptor in a feature repository. */
    static final String SUFFIX = ".feature";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /**
     * Stands for the checksum in the record of a running set whose jar could not be read (a bundle
     * installed by the launcher from inside its jar); such an entry is matched by version. A
     * feature in a repository never has it: applying one refuses it.
     */
    static final String UNKNOWN_SHA256 = "-";

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}|-");

    /**
     * One pinned bundle.
     *
     * @param symbolicName its Bundle-SymbolicName
     * @param version      its Bundle-Version
     * @param startLevel   its start level, 1 or more
     * @param sha256       the SHA-256 of its jar, 64 lower-case hex digits
     * @param location     the jar, relative to the repository directory
     */
    record Entry(String symbolicName, String version, int startLevel, String sha256, String location) {
        Entry {
            Objects.requireNonNull(symbolicName, "symbolicName");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(location, "location");
        }

        String line() {
            return "bundle " + symbolicName + " " + version + " " + startLevel + " " + sha256 + " " + location;
        }
    }

    FeatureDescriptor {
        if (!validName(name)) {
            throw new IllegalArgumentException("a feature name is letters, digits, '.', '_' and '-' (at most 64), was '" + name + "'");
        }
        bundles = List.copyOf(bundles);
        Set<String> names = new HashSet<>();
        for (Entry e : bundles) {
            if (!names.add(e.symbolicName())) {
                throw new IllegalArgumentException("feature " + name + " lists bundle " + e.symbolicName() + " twice");
            }
        }
    }

    static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** @return the entry for a symbolic name, or null */
    Entry entry(String symbolicName) {
        for (Entry e : bundles) {
            if (e.symbolicName().equals(symbolicName)) {
                return e;
            }
        }
        return null;
    }

    /**
     * @param text   the descriptor
     * @param source where it came from, named in errors
     * @throws IllegalArgumentException naming the line that is wrong
     */
    static FeatureDescriptor parse(String text, String source) {
        String name = null;
        List<Entry> bundles = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] t = line.split("\\s+");
            String where = source + " line " + (i + 1);
            if (t[0].equals("feature") && t.length == 2 && name == null) {
                name = t[1];
            } else if (t[0].equals("bundle") && t.length == 6) {
                int level;
                try {
                    level = Integer.parseInt(t[3]);
                } catch (NumberFormatException e) {
                    level = 0;
                }
                if (level < 1) {
                    throw new IllegalArgumentException(where + ": the start level must be a whole number of at least 1, was '" + t[3] + "'");
                }
                if (!SHA256.matcher(t[4]).matches()) {
                    throw new IllegalArgumentException(where + ": the sha256 must be 64 lower-case hex digits, was '" + t[4] + "'");
                }
                if (t[5].startsWith("/") || t[5].contains("..") || t[5].contains(":")) {
                    throw new IllegalArgumentException(where + ": the location must be a path inside the repository, was '" + t[5] + "'");
                }
                bundles.add(new Entry(t[1], t[2], level, t[4], t[5]));
            } else {
                throw new IllegalArgumentException(where + ": expected 'feature <name>' once, then "
                        + "'bundle <symbolic-name> <version> <start-level> <sha256> <location>', was '" + line + "'");
            }
        }
        if (name == null) {
            throw new IllegalArgumentException(source + " has no 'feature <name>' line");
        }
        return new FeatureDescriptor(name, bundles);
    }

    static FeatureDescriptor read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.getFileName().toString());
    }

    /** @return the text form, with a comment line first when {@code comment} is not empty */
    String format(String comment) {
        StringBuilder out = new StringBuilder();
        if (!comment.isEmpty()) {
            out.append("# ").append(comment).append('\n');
        }
        out.append("feature ").append(name).append('\n');
        for (Entry e : bundles) {
            out.append(e.line()).append('\n');
        }
        return out.toString();
    }
}
