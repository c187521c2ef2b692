package io.armature.bridge.ros.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The quality of service of one end of a topic, as ROS 2 has it: reliability, durability and the
 * history depth (keep-last). A publisher offers one, a subscriber requests one, and the ROS 2 rule
 * decides whether the pair matches: data flows only between a matching pair.
 *
 * @param reliability what the end offers or requests
 * @param durability  whether late joiners get the publisher's kept history
 * @param depth       history depth in messages, 1..1000: a transient-local publisher keeps this
 *                    many for late joiners, and a subscriber keeps at most this many of them
 */
record Qos(Reliability reliability, Durability durability, int depth) {

    /** The largest history depth taken, in messages. */
    static final int MAX_DEPTH = 1000;

    /** ROS 2's default: reliable, volatile, keep last 10. */
    static final Qos DEFAULT = new Qos(Reliability.RELIABLE, Durability.VOLATILE, 10);

    /** ROS 2's sensor-data profile: best effort, volatile, keep last 5. */
    static final Qos SENSOR_DATA = new Qos(Reliability.BEST_EFFORT, Durability.VOLATILE, 5);

    enum Reliability {
        BEST_EFFORT, RELIABLE;

        String rosName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Durability {
        VOLATILE, TRANSIENT_LOCAL;

        String rosName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    Qos {
        if (reliability == null || durability == null) {
            throw new IllegalArgumentException("QoS needs a reliability and a durability");
        }
        if (depth < 1 || depth > MAX_DEPTH) {
            throw new IllegalArgumentException("QoS depth must be 1.." + MAX_DEPTH + " messages, was " + depth);
        }
    }

    /**
     * Why a subscriber requesting {@code requested} cannot receive from a publisher offering
     * {@code offered}, by the ROS 2 rule: a reliable request is not met by a best-effort offer,
     * and a transient-local request is not met by a volatile offer. Every other pair matches;
     * history depth never stops a match.
     *
     * @return empty when they match, else one line naming each policy that does not
     */
    static Optional<String> incompatibility(Qos offered, Qos requested) {
        List<String> why = new ArrayList<>(2);
        if (requested.reliability == Reliability.RELIABLE && offered.reliability == Reliability.BEST_EFFORT) {
            why.add("reliability: requested reliable, offered best_effort");
        }
        if (requested.durability == Durability.TRANSIENT_LOCAL && offered.durability == Durability.VOLATILE) {
            why.add("durability: requested transient_local, offered volatile");
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", why));
    }

    /**
     * How many of the publisher's kept messages a late-joining subscriber receives at once: none
     * unless both ends are transient-local, else the smaller of the two depths.
     */
    static int lateJoinerMessages(Qos offered, Qos requested) {
        if (offered.durability != Durability.TRANSIENT_LOCAL || requested.durability != Durability.TRANSIENT_LOCAL) {
            return 0;
        }
        return Math.min(offered.depth, requested.depth);
    }

    /**
     * Reads a QoS from JSON fields {@code reliability} ({@code reliable}, {@code best_effort}),
     * {@code durability} ({@code volatile}, {@code transient_local}) and {@code depth} (or
     * {@code history_depth}); a field left out keeps its value in {@code base}; the value
     * {@code system_default} means ROS 2's default.
     *
     * @throws IllegalArgumentException naming the field, for an unknown name or a bad depth
     */
    static Qos parse(Map<?, ?> json, Qos base) {
        Reliability r = base.reliability;
        Durability d = base.durability;
        int depth = base.depth;
        for (Map.Entry<?, ?> e : json.entrySet()) {
            String key = String.valueOf(e.getKey());
            Object v = e.getValue();
            switch (key) {
                case "reliability" -> r = "system_default".equals(v) ? DEFAULT.reliability : policy(Reliability.class, key, v);
                case "durability" -> d = "system_default".equals(v) ? DEFAULT.durability : policy(Durability.class, key, v);
                case "depth", "history_depth" -> {
                    if (!(v instanceof Double n) || n != Math.rint(n)) {
                        throw new IllegalArgumentException("qos." + key + " must be a whole number of messages, was " + JsonTree.show(v));
                    }
                    if (n < 1 || n > MAX_DEPTH) {
                        throw new IllegalArgumentException("qos." + key + " must be 1.." + MAX_DEPTH + " messages, was " + JsonTree.show(v));
                    }
                    depth = n.intValue();
                }
                case "history" -> {
                    if (!"keep_last".equals(v) && !"system_default".equals(v)) {
                        throw new IllegalArgumentException("qos.history must be keep_last (keep_all is not offered), was " + JsonTree.show(v));
                    }
                }
                default -> throw new IllegalArgumentException("unknown qos field '" + key
                        + "'; qos takes reliability, durability, history, depth");
            }
        }
        return new Qos(r, d, depth);
    }

    private static <E extends Enum<E>> E policy(Class<E> type, String field, Object value) {
        if (value instanceof String s) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(s)) {
                    return e;
                }
            }
        }
        StringBuilder names = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            names.append(e.name().toLowerCase(Locale.ROOT)).append(", ");
        }
        throw new IllegalArgumentException("qos." + field + " must be one of " + names + "system_default; was " + JsonTree.show(value));
    }

    @Override
    public String toString() {
        return reliability.rosName() + ", " + durability.rosName() + ", depth " + depth;
    }
}
