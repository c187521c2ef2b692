package io.armature.bridge.ros.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;

/**
 * One rosbridge v2 client: the JSON operations advertise, unadvertise, publish, subscribe
 * (throttle_rate, queue_length), unsubscribe and call_service for {@code rosapi/topics} and
 * {@code rosapi/topic_type}. An extension of the protocol: advertise and subscribe take an
 * optional {@code qos} object ({@code reliability}, {@code durability}, {@code depth}); advertise
 * with {@code latch: true} offers transient_local, depth 1, as rosbridge does on ROS 2. Every
 * refused operation changes nothing and is answered with a status message ({@code level} error,
 * the request's {@code id}); a QoS mismatch with a status warning.
 *
 * <p>Credentials: {@code {"op": "auth", "mac": "<the robot's token>"}} (rosbridge v2's
 * authentication message; the other fields of rosauth's MAC scheme, {@code client}, {@code dest},
 * {@code rand}, {@code t}, {@code level}, {@code end}, may be sent and are not used) lets the
 * client command; a wrong token closes the connection, as the protocol has it. A client from
 * another host without the token may do nothing else until it authenticates. Bounds: at most
 * {@code maxTopics} advertised topics and as many subscriptions per client.
 */
final class RosbridgeSession implements TopicGraph.End, WsServer.Session {

    /** The subscriber history depth when neither qos.depth nor queue_length says. */
    static final int DEFAULT_DEPTH = 10;

    private final TopicGraph graph;
    private final Outbox out;
    private final ClientAccess access;
    private final Predicate<String> token;
    private final int maxTopics;
    private final Map<String, Publisher> publishers = new HashMap<>();
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    /** the id of the operation being handled, for its status messages */
    private volatile String currentId;
    /** the thread handling it: a warning that another client's operation causes carries no id of ours */
    private volatile Thread handling;

    /**
     * @param access    what the client may do; raised by {@code auth}
     * @param token     tells the robot's token
     * @param maxTopics the most topics the client may advertise, and subscribe
     */
    RosbridgeSession(TopicGraph graph, Outbox out, ClientAccess access, Predicate<String> token, int maxTopics) {
        this.graph = graph;
        this.out = out;
        this.access = access;
        this.token = token;
        this.maxTopics = maxTopics;
    }

    @Override
    public String who() {
        return "rosbridge client " + out.remote();
    }

    @Override
    public ClientAccess access() {
        return access;
    }

    @Override
    public void warn(String message) {
        status("warning", message, ownId());
    }

    @Override
    public void error(String message) {
        status("error", message, ownId());
    }

    private String ownId() {
        return Thread.currentThread() == handling ? currentId : null;
    }

    @Override
    public void onBinary(java.nio.ByteBuffer frame) {
        status("error", "binary frames are not taken (no cbor or bson here); send JSON text", null);
    }

    /** Handles one text frame; a bad one is answered with a status error and changes nothing. */
    @Override
    public synchronized void onText(String text) {
        currentId = null;
        handling = Thread.currentThread();
        try {
            Object tree = JsonTree.parse(text);
            if (!(tree instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("a rosbridge message must be a JSON object with an \"op\"");
            }
            currentId = m.get("id") instanceof String s ? s : null;
            Object op = m.get("op");
            if (!(op instanceof String)) {
                throw new IllegalArgumentException("a rosbridge message needs \"op\" (a string), for example \"subscribe\"");
            }
            if (!access.mayRead() && !"auth".equals(op)) {
                throw new IllegalArgumentException(op + " refused: a client from another host must authenticate first: send "
                        + "{\"op\": \"auth\", \"mac\": \"<the robot's token>\"}, or connect with ?token=<the robot's token>");
            }
            switch ((String) op) {
                case "auth" -> auth(m);
                case "advertise" -> advertise(m);
                case "unadvertise" -> unadvertise(m);
                case "publish" -> publish(m);
                case "subscribe" -> subscribe(m);
                case "unsubscribe" -> unsubscribe(m);
                case "call_service" -> callService(m);
                default -> throw new IllegalArgumentException("unknown op '" + op + "'; this bridge takes auth, advertise, unadvertise, "
                        + "publish, subscribe, unsubscribe, call_service");
            }
        } catch (IllegalArgumentException e) {
            status("error", e.getMessage(), currentId);
        } finally {
            currentId = null;
            handling = null;
        }
    }

    /** The client went: its publishers and subscriptions go with it. */
    @Override
    public synchronized void closed() {
        publishers.values().forEach(graph::unadvertise);
        publishers.clear();
        subscriptions.values().forEach(s -> graph.unsubscribe(s.topic, s));
        subscriptions.clear();
    }

    /** rosbridge v2 {@code auth}: the robot's token in {@code mac}. A wrong one closes the connection. */
    private void auth(Map<?, ?> m) {
        Object mac = m.get("mac");
        if (mac instanceof String s && token.test(s)) {
            access.authenticate();
            return;
        }
        String why = "auth refused: " + (mac instanceof String ? "wrong token" : "\"mac\" must be the robot's token, a string")
                + "; the connection closes";
        status("error", why, currentId);
        out.close(why);
    }

    private Publisher newPublisher(String topic, String type, Qos qos) {
        if (publishers.size() >= maxTopics) {
            throw new IllegalArgumentException("cannot publish on " + topic + ": this client advertises " + publishers.size()
                    + " topics already (maxTopicsPerClient); unadvertise one first");
        }
        Publisher p = graph.advertise(topic, type, this, qos);
        publishers.put(topic, p);
        return p;
    }

    private void advertise(Map<?, ?> m) {
        String topic = topicName(m);
        String type = MessageTypes.canonical(m.get("type"));
        Qos base = Boolean.TRUE.equals(m.get("latch")) ? new Qos(Qos.Reliability.RELIABLE, Qos.Durability.TRANSIENT_LOCAL, 1) : Qos.DEFAULT;
        Qos qos = m.get("qos") == null ? base : Qos.parse(object(m.get("qos"), "qos"), base);
        Publisher existing = publishers.get(topic);
        if (existing != null) {
            if (!existing.topic.type.equals(type)) {
                throw new IllegalArgumentException("topic " + topic + " is already advertised by this client as " + existing.topic.type);
            }
            return; // advertised again, as roslib does on reconnect: nothing changes
        }
        newPublisher(topic, type, qos);
    }

    private void unadvertise(Map<?, ?> m) {
        String topic = topicName(m);
        Publisher p = publishers.remove(topic);
        if (p == null) {
            throw new IllegalArgumentException("topic " + topic + " is not advertised by this client");
        }
        graph.unadvertise(p);
    }

    private void publish(Map<?, ?> m) {
        String topic = topicName(m);
        Object msg = m.get("msg");
        if (!(msg instanceof Map)) {
            throw new IllegalArgumentException("publish on " + topic + " needs \"msg\", a JSON object; was " + JsonTree.show(msg));
        }
        Publisher p = publishers.get(topic);
        if (p == null) {
            // rosbridge publishes without an advertise when the topic's type is known
            Topic t = graph.find(topic).orElseThrow(() -> new IllegalArgumentException(
                    "cannot publish on " + topic + ": nothing advertises it and its type is unknown; advertise it first"));
            p = newPublisher(topic, t.type, Qos.DEFAULT);
        }
        graph.publish(p, new Message(JsonOut.write(msg), msg, System.currentTimeMillis() * 1_000_000L));
    }

    private void subscribe(Map<?, ?> m) {
        String topic = topicName(m);
        String type = m.get("type") == null ? null : MessageTypes.canonical(m.get("type"));
        int throttleMillis = whole(m.get("throttle_rate"), "throttle_rate", 0, 3_600_000, 0);
        int queueLength = whole(m.get("queue_length"), "queue_length", 0, Qos.MAX_DEPTH, 0);
        Object compression = m.get("compression");
        if (compression != null && !"none".equals(compression)) {
            warn("compression " + JsonTree.show(compression) + " is not offered on " + topic + "; messages come as plain JSON");
        }
        int depth = queueLength > 0 ? queueLength : DEFAULT_DEPTH;
        Qos qos = m.get("qos") == null ? null : Qos.parse(object(m.get("qos"), "qos"), new Qos(Qos.DEFAULT.reliability(),
                Qos.DEFAULT.durability(), depth));
        if (!subscriptions.containsKey(topic) && subscriptions.size() >= maxTopics) {
            throw new IllegalArgumentException("cannot subscribe to " + topic + ": this client has " + subscriptions.size()
                    + " subscriptions already (maxTopicsPerClient); unsubscribe one first");
        }
        Subscription old = subscriptions.remove(topic);
        if (old != null) {
            graph.unsubscribe(old.topic, old); // subscribing again replaces the options
        }
        Subscription s = new Subscription(qos, depth, throttleMillis * 1_000_000L);
        try {
            subscriptions.put(topic, s);
            s.topic = graph.subscribe(topic, type, s);
        } catch (IllegalArgumentException e) {
            subscriptions.remove(topic);
            if (old != null) {
                subscriptions.put(topic, old);
                old.topic = graph.subscribe(topic, null, old);
            }
            throw e;
        }
    }

    private void unsubscribe(Map<?, ?> m) {
        String topic = topicName(m);
        Subscription s = subscriptions.remove(topic);
        if (s == null) {
            throw new IllegalArgumentException("not subscribed to " + topic);
        }
        graph.unsubscribe(s.topic, s);
    }

    private void callService(Map<?, ?> m) {
        Object service = m.get("service");
        Map<?, ?> args = m.get("args") == null ? Map.of() : object(m.get("args"), "args");
        String id = currentId;
        JsonOut values = new JsonOut().begin();
        if ("rosapi/topics".equals(service) || "/rosapi/topics".equals(service)) {
            List<String> names = new ArrayList<>();
            List<String> types = new ArrayList<>();
            for (Topic t : graph.topics()) {
                names.add(t.name);
                types.add(t.type);
            }
            values.array("topics", names).array("types", types);
        } else if ("rosapi/topic_type".equals(service) || "/rosapi/topic_type".equals(service)) {
            Object topic = args.get("topic");
            values.field("type", topic instanceof String s ? graph.find(s).map(t -> t.type).orElse("") : "");
        } else {
            String why = "unknown service " + JsonTree.show(service) + "; this bridge offers rosapi/topics and rosapi/topic_type";
            status("error", why, id);
            JsonOut r = new JsonOut().begin().field("op", "service_response").field("service", String.valueOf(service));
            if (id != null) {
                r.field("id", id);
            }
            out.send(r.field("values", why).field("result", false).end().toString());
            return;
        }
        JsonOut r = new JsonOut().begin().field("op", "service_response").field("service", (String) service);
        if (id != null) {
            r.field("id", id);
        }
        out.send(r.raw("values", values.end().toString()).field("result", true).end().toString());
    }

    private void status(String level, String message, String id) {
        JsonOut s = new JsonOut().begin().field("op", "status").field("level", level).field("msg", message);
        if (id != null) {
            s.field("id", id);
        }
        out.send(s.end().toString());
    }

    private static String topicName(Map<?, ?> m) {
        Object t = m.get("topic");
        if (!(t instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException(m.get("op") + " needs \"topic\", a topic name such as /cmd_vel");
        }
        return s.startsWith("/") ? s : "/" + s;
    }

    private static Map<?, ?> object(Object v, String field) {
        if (v instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(field + " must be a JSON object, was " + JsonTree.show(v));
    }

    private static int whole(Object v, String field, int min, int max, int absent) {
        if (v == null) {
            return absent;
        }
        if (!(v instanceof Double d) || d != Math.rint(d) || d < min || d > max) {
            throw new IllegalArgumentException(field + " must be a whole number " + min + ".." + max + ", was " + JsonTree.show(v));
        }
        return d.intValue();
    }

    /** One subscription: the frames go out as rosbridge publish operations, no faster than the throttle. */
    private final class Subscription extends TopicGraph.OwnedSubscriber {
        final Qos requested;
        final int depth;
        final long throttleNanos;
        Topic topic;
        long lastSent = Long.MIN_VALUE;

        Subscription(Qos requested, int depth, long throttleNanos) {
            super(RosbridgeSession.this);
            this.requested = requested;
            this.depth = depth;
            this.throttleNanos = throttleNanos;
        }

        @Override
        public Qos requested() {
            return requested;
        }

        @Override
        public int depth() {
            return depth;
        }




        @Override
        public void deliver(Topic t, Message message, Publisher from) {
            long now = System.nanoTime();
            if (throttleNanos > 0 && lastSent != Long.MIN_VALUE && now - lastSent < throttleNanos) {
                return; // throttle_rate: at most one message per period, the others dropped as rosbridge does
            }
            lastSent = now;
            out.send(new JsonOut().begin().field("op", "publish").field("topic", t.name).raw("msg", message.json()).end().toString());
        }
    }
}
