package io.armature.bridge.ros.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The topics the bridge knows, with their publishers and subscribers, whether they are the robot's
 * own or a client's. Data flows from a publisher to a subscriber only when their QoS match by the
 * ROS 2 rule ({@link Qos#incompatibility}); a pair that does not match is reported to both ends at
 * once, with both QoS named, so nothing is lost silently. A transient-local publisher keeps its
 * last {@code depth} messages for subscribers that join later, within bounds: at most
 * {@code maxLatchedBytesPerTopic} of kept messages per topic and {@code maxLatchedBytes} in all
 * (measured as JSON characters); beyond them a publisher's oldest kept messages go first, and a
 * message that cannot be kept at all is still delivered but not kept, and its publisher is told
 * once. A command topic (one that moves the robot) takes messages only from publishers its gate
 * admits. Thread-safe: every method holds the graph's lock, and what it calls on the ends must not
 * block (they queue).
 */
final class TopicGraph {

    /** One end of a topic: who hears about a QoS mismatch. */
    interface End {
        /** @param message one line for the end's owner: a client's status message, or the log */
        void warn(String message);

        /** @param message one line for the end's owner: something it sent was refused */
        void error(String message);

        /** @return who this end is, for messages: {@code rosbridge client 127.0.0.1:51234} */
        String who();

        /** @return what a client's end may do; null for the robot's own ends */
        default ClientAccess access() {
            return null;
        }
    }

    /** Decides who may publish on a command topic. */
    @FunctionalInterface
    interface Gate {
        /**
         * @throws IllegalArgumentException with a one-line reason when {@code from} may not publish
         *                                  here; then nobody receives the message
         */
        void admit(Publisher from);
    }

    /** Receives a topic's messages. */
    interface Subscriber extends End {
        /**
         * @return the QoS requested against {@code offered}, or null to adapt to each publisher
         *         (as rosbridge and the Foxglove bridge do): then it always matches and takes a
         *         transient-local publisher's history
         */
        Qos requested();

        /** @return the history depth of an adapting subscriber: most kept messages it takes on joining */
        int depth();

        /** Takes one message; must not block. */
        void deliver(Topic topic, Message message, Publisher from);
    }

    /** A subscriber whose QoS reports go to its owner: a client's session, or the robot's log. */
    abstract static class OwnedSubscriber implements Subscriber {
        private final End owner;

        OwnedSubscriber(End owner) {
            this.owner = owner;
        }

        @Override
        public String who() {
            return owner.who();
        }

        @Override
        public void warn(String message) {
            owner.warn(message);
        }

        @Override
        public void error(String message) {
            owner.error(message);
        }
    }

    /**
     * One message as it travels: its JSON text, and the parsed value when it came from a client.
     *
     * @param json       the message, a JSON object
     * @param parsed     the same as {@link JsonTree} values, or null when the robot wrote it
     * @param stampNanos when it was published, ns since the Unix epoch
     */
    record Message(String json, Object parsed, long stampNanos) {
    }

    /** A topic: one name, one type. */
    static final class Topic {
        final String name;
        final String type;
        final int id;
        final List<Publisher> publishers = new ArrayList<>();
        final List<Subscriber> subscribers = new ArrayList<>();
        /** the robot's own topic: stays when its last client leaves */
        final boolean robot;
        /** for a command topic, who may publish; null for any publisher */
        final Gate gate;

        Topic(String name, String type, int id, boolean robot, Gate gate) {
            this.name = name;
            this.type = type;
            this.id = id;
            this.robot = robot;
            this.gate = gate;
        }

        /** @return the characters of the messages its publishers keep */
        long keptChars() {
            long n = 0;
            for (Publisher p : publishers) {
                n += p.historyChars;
            }
            return n;
        }
    }

    /** A publisher on a topic. */
    static final class Publisher {
        final Topic topic;
        final End end;
        final Qos offered;
        final ArrayDeque<Message> history = new ArrayDeque<>();
        /** the characters of the JSON of the kept messages */
        long historyChars;
        /** the publisher was told that a message of its was not kept */
        boolean toldNotKept;

        Publisher(Topic topic, End end, Qos offered) {
            this.topic = topic;
            this.end = end;
            this.offered = offered;
        }
    }

    /** Default bound of kept (transient-local) messages of one topic, in JSON characters. */
    static final long DEFAULT_MAX_LATCHED_PER_TOPIC = 1L << 20;
    /** Default bound of kept messages of every topic together, in JSON characters. */
    static final long DEFAULT_MAX_LATCHED = 16L << 20;

    private final Map<String, Topic> topics = new TreeMap<>();
    private final List<Consumer<TopicGraph>> listeners = new ArrayList<>();
    private final long maxLatchedPerTopic;
    private final long maxLatched;
    private long latched;
    private int nextId = 1;

    TopicGraph() {
        this(DEFAULT_MAX_LATCHED_PER_TOPIC, DEFAULT_MAX_LATCHED);
    }

    /**
     * @param maxLatchedPerTopic the most characters of kept messages on one topic
     * @param maxLatched         the most characters of kept messages on all topics
     */
    TopicGraph(long maxLatchedPerTopic, long maxLatched) {
        this.maxLatchedPerTopic = maxLatchedPerTopic;
        this.maxLatched = maxLatched;
    }

    /** Called (under the lock) whenever a topic gains its first or loses its last publisher, or goes. */
    synchronized void onChange(Consumer<TopicGraph> listener) {
        listeners.add(listener);
    }

    /**
     * The robot's own topic, which stays while the bridge runs.
     *
     * @throws IllegalArgumentException when the name is taken
     */
    synchronized Topic robotTopic(String name, String type) {
        return robotTopic(name, type, null);
    }

    /**
     * The robot's own topic whose messages move the robot: only publishers {@code gate} admits are
     * heard on it, by anyone.
     *
     * @throws IllegalArgumentException when the name is taken
     */
    synchronized Topic commandTopic(String name, String type, Gate gate) {
        return robotTopic(name, type, gate);
    }

    private Topic robotTopic(String name, String type, Gate gate) {
        if (topics.containsKey(name)) {
            throw new IllegalArgumentException("topic " + name + " is declared twice");
        }
        Topic t = new Topic(name, type, nextId++, true, gate);
        topics.put(name, t);
        return t;
    }

    /**
     * @return the topic of that name, made with {@code type} if new
     * @throws IllegalArgumentException when the topic exists with another type, or is new and
     *                                  {@code type} is null
     */
    private Topic topic(String name, String type) {
        Topic t = topics.get(name);
        if (t == null) {
            if (type == null) {
                throw new IllegalArgumentException("cannot infer the type of topic " + name + ": nothing advertises it; give its type");
            }
            t = new Topic(name, type, nextId++, false, null);
            topics.put(name, t);
        } else if (type != null && !type.equals(t.type)) {
            throw new IllegalArgumentException("topic " + name + " has type " + t.type + ", not " + type);
        }
        return t;
    }

    synchronized Optional<Topic> find(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /**
     * Adds a publisher. Every subscriber that cannot match it hears why, and so does the publisher.
     *
     * @param type the message type, or null to take the existing topic's
     * @throws IllegalArgumentException when the type does not fit, as {@link #topic}
     */
    synchronized Publisher advertise(String name, String type, End end, Qos offered) {
        Topic t = topic(name, type);
        Publisher p = new Publisher(t, end, offered);
        t.publishers.add(p);
        for (Subscriber s : t.subscribers) {
            mismatch(p, s);
        }
        if (t.publishers.size() == 1) {
            changed();
        }
        return p;
    }

    synchronized void unadvertise(Publisher p) {
        Topic t = p.topic;
        if (t.publishers.remove(p)) {
            latched -= p.historyChars;
            p.historyChars = 0;
            p.history.clear();
            if (t.publishers.isEmpty()) {
                dropIfUnused(t);
                changed();
            }
        }
    }

    /**
     * Adds a subscriber: it hears at once of each publisher it cannot match, and takes the kept
     * history of each transient-local publisher it matches (oldest first, at most the smaller
     * depth).
     *
     * @param type the message type, or null to take the existing topic's
     * @throws IllegalArgumentException when the type does not fit, as {@link #topic}
     */
    synchronized Topic subscribe(String name, String type, Subscriber s) {
        Topic t = topic(name, type);
        t.subscribers.add(s);
        for (Publisher p : t.publishers) {
            if (!mismatch(p, s)) {
                int n = Qos.lateJoinerMessages(p.offered, effective(s, p));
                Iterator<Message> kept = p.history.iterator();
                for (int skip = p.history.size() - n; skip > 0; skip--) {
                    kept.next();
                }
                while (kept.hasNext()) {
                    s.deliver(t, kept.next(), p);
                }
            }
        }
        return t;
    }

    synchronized void unsubscribe(Topic t, Subscriber s) {
        if (t.subscribers.remove(s)) {
            dropIfUnused(t);
        }
    }

    /**
     * Sends a message to every subscriber whose QoS matches the publisher's, and keeps it if
     * transient-local (within the bounds).
     *
     * @throws IllegalArgumentException when the topic is a command topic whose gate does not admit
     *                                  the publisher: then nobody receives it
     */
    synchronized void publish(Publisher p, Message m) {
        if (p.topic.gate != null) {
            p.topic.gate.admit(p);
        }
        if (p.offered.durability() == Qos.Durability.TRANSIENT_LOCAL) {
            keep(p, m);
        }
        for (Subscriber s : p.topic.subscribers) {
            if (Qos.incompatibility(p.offered, effective(s, p)).isEmpty()) {
                s.deliver(p.topic, m, p);
            }
        }
    }

    /**
     * Keeps a message in its publisher's history: the depth's oldest goes, and, beyond the bounds,
     * this publisher's oldest kept ones; one that cannot be kept at all is not, and the publisher
     * hears of it once.
     */
    private void keep(Publisher p, Message m) {
        Message kept = new Message(m.json(), null, m.stampNanos()); // the parsed tree is for live delivery only
        long size = kept.json().length();
        if (p.history.size() >= p.offered.depth()) {
            forgetOldest(p);
        }
        while (!p.history.isEmpty() && (p.topic.keptChars() + size > maxLatchedPerTopic || latched + size > maxLatched)) {
            forgetOldest(p);
        }
        if (p.topic.keptChars() + size > maxLatchedPerTopic || latched + size > maxLatched) {
            if (!p.toldNotKept) {
                p.toldNotKept = true;
                boolean topicBound = p.topic.keptChars() + size > maxLatchedPerTopic;
                p.end.warn("a message on " + p.topic.name + " was delivered but not kept for late joiners: the kept messages of "
                        + (topicBound ? "this topic would exceed " + maxLatchedPerTopic + " bytes (maxLatchedBytesPerTopic)"
                                : "all topics would exceed " + maxLatched + " bytes (maxLatchedBytes)"));
            }
            return;
        }
        p.toldNotKept = false;
        p.history.addLast(kept);
        p.historyChars += size;
        latched += size;
    }

    private void forgetOldest(Publisher p) {
        Message old = p.history.removeFirst();
        p.historyChars -= old.json().length();
        latched -= old.json().length();
    }

    /** @return the characters of every kept message */
    synchronized long latchedChars() {
        return latched;
    }

    /** @return true when any subscriber of the topic matches the publisher (so its data goes somewhere) */
    synchronized boolean hasMatchingSubscriber(Publisher p) {
        for (Subscriber s : p.topic.subscribers) {
            if (Qos.incompatibility(p.offered, effective(s, p)).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** @return every topic that has a publisher or a subscriber, by name */
    synchronized List<Topic> topics() {
        return new ArrayList<>(topics.values());
    }

    private static Qos effective(Subscriber s, Publisher p) {
        Qos r = s.requested();
        return r != null ? r : new Qos(p.offered.reliability(), p.offered.durability(), s.depth());
    }

    /** @return true, having told both ends, when the pair cannot match */
    private static boolean mismatch(Publisher p, Subscriber s) {
        Optional<String> why = Qos.incompatibility(p.offered, effective(s, p));
        if (why.isEmpty()) {
            return false;
        }
        String detail = " on " + p.topic.name + ": " + why.get() + " (offered " + p.offered + "; requested " + effective(s, p)
                + "); by the ROS 2 QoS rules no data flows between them";
        s.warn("incompatible QoS: this subscription cannot receive from " + p.end.who() + detail);
        p.end.warn("incompatible QoS: " + s.who() + " cannot receive from this publisher" + detail);
        return true;
    }

    private void dropIfUnused(Topic t) {
        if (!t.robot && t.publishers.isEmpty() && t.subscribers.isEmpty()) {
            topics.remove(t.name);
        }
    }

    private void changed() {
        for (Consumer<TopicGraph> l : listeners) {
            l.accept(this);
        }
    }
}
