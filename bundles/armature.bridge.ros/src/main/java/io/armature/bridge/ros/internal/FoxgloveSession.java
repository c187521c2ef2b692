package io.armature.bridge.ros.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.armature.bridge.ros.internal.TopicGraph.Message;
import io.armature.bridge.ros.internal.TopicGraph.Publisher;
import io.armature.bridge.ros.internal.TopicGraph.Topic;

/**
 * One Foxglove WebSocket ({@code foxglove.websocket.v1}) client: serverInfo on connect, one
 * channel (JSON encoding, a JSON schema) per topic that has a publisher, subscribe and
 * unsubscribe, messageData binary frames, and client publishing (clientPublish: advertise,
 * unadvertise, binary client messages). A client channel may carry a {@code qos} object, as
 * in the rosbridge protocol; Foxglove subscriptions adapt to each publisher's QoS. Every refused
 * operation changes nothing and is answered with a status message (level 2, error); a QoS
 * mismatch with level 1, warning. All of it runs under the graph's lock: one lock order.
 * Credentials come with the handshake only (the {@code token} query parameter): the protocol has
 * no message for them. Bounds: at most {@code maxTopics} client channels and as many
 * subscriptions per client.
 */
final class FoxgloveSession implements TopicGraph.End, WsServer.Session {

    static final String SUBPROTOCOL = "foxglove.websocket.v1";

    private static final byte MESSAGE_DATA = 1;
    private static final int STATUS_WARNING = 1;
    private static final int STATUS_ERROR = 2;

    private final TopicGraph graph;
    private final Outbox out;
    private final String serverName;
    private final ClientAccess access;
    private final int maxTopics;
    private final Map<Integer, Topic> advertised = new HashMap<>();
    private final Map<Long, Subscription> subscriptions = new HashMap<>();
    private final Map<Long, Publisher> clientChannels = new HashMap<>();
    private boolean open;

    /**
     * @param access    what the client may do
     * @param maxTopics the most client channels the client may advertise, and subscriptions
     */
    FoxgloveSession(TopicGraph graph, Outbox out, String serverName, ClientAccess access, int maxTopics) {
        this.graph = graph;
        this.out = out;
        this.serverName = serverName;
        this.access = access;
        this.maxTopics = maxTopics;
    }

    @Override
    public String who() {
        return "Foxglove client " + out.remote();
    }

    @Override
    public ClientAccess access() {
        return access;
    }

    @Override
    public void warn(String message) {
        status(STATUS_WARNING, message);
    }

    @Override
    public void error(String message) {
        status(STATUS_ERROR, message);
    }

    /** Greets the client: serverInfo, then the channels there are. */
    void opened() {
        synchronized (graph) {
            open = true;
            out.send(new JsonOut().begin().field("op", "serverInfo").field("name", serverName).array("capabilities", List.of("clientPublish"))
                    .array("supportedEncodings", List.of("json")).begin("metadata").end()
                    .field("sessionId", Long.toString(System.currentTimeMillis())).end().toString());
            topicsChanged();
        }
    }

    /** Advertises topics that gained a publisher and unadvertises those that lost their last. Called under the graph's lock. */
    void topicsChanged() {
        if (!open) {
            return;
        }
        List<Topic> now = new ArrayList<>();
        for (Topic t : graph.topics()) {
            if (!t.publishers.isEmpty()) {
                now.add(t);
            }
        }
        List<Integer> gone = new ArrayList<>();
        for (Map.Entry<Integer, Topic> e : advertised.entrySet()) {
            if (!now.contains(e.getValue())) {
                gone.add(e.getKey());
            }
        }
        if (!gone.isEmpty()) {
            gone.forEach(advertised::remove);
            StringBuilder ids = new StringBuilder();
            for (Integer id : gone) {
                ids.append(ids.length() == 0 ? "" : ",").append(id);
            }
            out.send("{\"op\":\"unadvertise\",\"channelIds\":[" + ids + "]}");
        }
        StringBuilder channels = new StringBuilder();
        for (Topic t : now) {
            if (advertised.putIfAbsent(t.id, t) == null) {
                channels.append(channels.length() == 0 ? "" : ",").append(new JsonOut().begin().field("id", t.id).field("topic", t.name)
                        .field("encoding", "json").field("schemaName", t.type).field("schema", MessageTypes.schema(t.type))
                        .field("schemaEncoding", "jsonschema").end());
            }
        }
        if (channels.length() > 0) {
            out.send("{\"op\":\"advertise\",\"channels\":[" + channels + "]}");
        }
    }

    /** Handles one text frame; a bad one is answered with a status error and changes nothing. */
    @Override
    public void onText(String text) {
        synchronized (graph) {
            try {
                Object tree = JsonTree.parse(text);
                if (!(tree instanceof Map<?, ?> m) || !(m.get("op") instanceof String op)) {
                    throw new IllegalArgumentException("a Foxglove message must be a JSON object with an \"op\"");
                }
                switch (op) {
                    case "subscribe" -> subscribe(list(m, "subscriptions"));
                    case "unsubscribe" -> unsubscribe(list(m, "subscriptionIds"));
                    case "advertise" -> clientAdvertise(list(m, "channels"));
                    case "unadvertise" -> clientUnadvertise(list(m, "channelIds"));
                    default -> throw new IllegalArgumentException("op '" + op + "' is not offered; this server takes subscribe, unsubscribe, "
                            + "advertise, unadvertise and client messages");
                }
            } catch (IllegalArgumentException e) {
                error(e.getMessage());
            }
        }
    }

    /** Handles one binary frame: a client message on a client channel. */
    @Override
    public void onBinary(ByteBuffer frame) {
        synchronized (graph) {
            try {
                ByteBuffer b = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                if (b.remaining() < 5 || b.get() != MESSAGE_DATA) {
                    throw new IllegalArgumentException("binary frame refused: only client message data (opcode 1) is offered");
                }
                long channel = Integer.toUnsignedLong(b.getInt());
                Publisher p = clientChannels.get(channel);
                if (p == null) {
                    throw new IllegalArgumentException("client message on channel " + channel + ", which this client has not advertised");
                }
                byte[] payload = new byte[b.remaining()];
                b.get(payload);
                Object msg;
                try {
                    msg = JsonTree.parse(new String(payload, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("message on " + p.topic.name + " refused: " + e.getMessage());
                }
                if (!(msg instanceof Map)) {
                    throw new IllegalArgumentException("message on " + p.topic.name + " refused: it must be a JSON object");
                }
                graph.publish(p, new Message(JsonOut.write(msg), msg, System.currentTimeMillis() * 1_000_000L));
            } catch (IllegalArgumentException e) {
                error(e.getMessage());
            }
        }
    }

    /** The client went: its channels and subscriptions go with it. */
    @Override
    public void closed() {
        synchronized (graph) {
            open = false;
            subscriptions.values().forEach(s -> graph.unsubscribe(s.topic, s));
            subscriptions.clear();
            clientChannels.values().forEach(graph::unadvertise);
            clientChannels.clear();
        }
    }

    private void subscribe(List<?> subs) {
        for (Object o : subs) {
            Map<?, ?> s = object(o, "subscription");
            long id = id(s.get("id"), "subscription id");
            long channel = id(s.get("channelId"), "channelId");
            Topic t = advertised.get((int) channel);
            if (t == null) {
                error("subscription " + id + " refused: no channel " + channel);
                continue;
            }
            if (subscriptions.containsKey(id)) {
                error("subscription " + id + " refused: that id is in use; unsubscribe it first");
                continue;
            }
            if (subscriptions.size() >= maxTopics) {
                error("subscription " + id + " refused: this client has " + subscriptions.size()
                        + " subscriptions already (maxTopicsPerClient); unsubscribe one first");
                continue;
            }
            Subscription sub = new Subscription(id, t);
            subscriptions.put(id, sub);
            graph.subscribe(t.name, null, sub);
        }
    }

    private void unsubscribe(List<?> ids) {
        forget(ids, "subscription id", subscriptions, "unsubscribe", "subscription", s -> graph.unsubscribe(s.topic, s));
    }

    /**
     * Takes each of the ids out of what the client holds and lets the graph forget it; an
     * unknown id is refused with a status error and the others still go.
     */
    private <T> void forget(List<?> ids, String idName, Map<Long, T> held, String operation, String what, Consumer<T> graphForgets) {
        for (Object o : ids) {
            long id = id(o, idName);
            T t = held.remove(id);
            if (t == null) {
                error(operation + " " + id + " refused: no such " + what);
            } else {
                graphForgets.accept(t);
            }
        }
    }

    private void clientAdvertise(List<?> channels) {
        for (Object o : channels) {
            Map<?, ?> c = object(o, "channel");
            long id = id(c.get("id"), "channel id");
            try {
                if (!(c.get("topic") instanceof String topic) || topic.isEmpty()) {
                    throw new IllegalArgumentException("it needs a topic name");
                }
                if (!"json".equals(c.get("encoding"))) {
                    throw new IllegalArgumentException("encoding " + JsonTree.show(c.get("encoding")) + " is not supported; use json");
                }
                if (clientChannels.containsKey(id)) {
                    throw new IllegalArgumentException("that id is in use");
                }
                if (clientChannels.size() >= maxTopics) {
                    throw new IllegalArgumentException("this client advertises " + clientChannels.size()
                            + " channels already (maxTopicsPerClient); unadvertise one first");
                }
                String type = MessageTypes.canonical(c.get("schemaName"));
                Qos qos = c.get("qos") == null ? Qos.DEFAULT : Qos.parse(object(c.get("qos"), "qos"), Qos.DEFAULT);
                clientChannels.put(id, graph.advertise(topic.startsWith("/") ? topic : "/" + topic, type, this, qos));
            } catch (IllegalArgumentException e) {
                error("client channel " + id + " refused: " + e.getMessage());
            }
        }
    }

    private void clientUnadvertise(List<?> ids) {
        forget(ids, "channel id", clientChannels, "unadvertise", "client channel", graph::unadvertise);
    }

    private void status(int level, String message) {
        out.send(new JsonOut().begin().field("op", "status").field("level", level).field("message", message).end().toString());
    }

    private static List<?> list(Map<?, ?> m, String field) {
        if (m.get(field) instanceof List<?> l) {
            return l;
        }
        throw new IllegalArgumentException(m.get("op") + " needs \"" + field + "\", an array");
    }

    private static Map<?, ?> object(Object v, String what) {
        if (v instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException("each " + what + " must be a JSON object, was " + JsonTree.show(v));
    }

    private static long id(Object v, String what) {
        if (v instanceof Double d && d == Math.rint(d) && d >= 0 && d <= 0xFFFF_FFFFL) {
            return d.longValue();
        }
        throw new IllegalArgumentException(what + " must be a whole number 0..4294967295, was " + JsonTree.show(v));
    }

    /** One subscription: messages go out as messageData binary frames. */
    private final class Subscription extends TopicGraph.OwnedSubscriber {
        final long id;
        final Topic topic;

        Subscription(long id, Topic topic) {
            super(FoxgloveSession.this);
            this.id = id;
            this.topic = topic;
        }

        @Override
        public Qos requested() {
            return null;
        }

        @Override
        public int depth() {
            return RosbridgeSession.DEFAULT_DEPTH;
        }




        @Override
        public void deliver(Topic t, Message message, Publisher from) {
            byte[] json = message.json().getBytes(StandardCharsets.UTF_8);
            ByteBuffer frame = ByteBuffer.allocate(13 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            frame.put(MESSAGE_DATA).putInt((int) id).putLong(message.stampNanos()).put(json).flip();
            out.send(frame);
        }
    }
}
