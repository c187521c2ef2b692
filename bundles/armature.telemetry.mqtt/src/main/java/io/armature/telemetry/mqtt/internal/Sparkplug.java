package io.armature.telemetry.mqtt.internal;

import java.io.IOException;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * The Sparkplug B side of one edge node (Eclipse Tahu's payload encoding): its topics, the birth
 * and death certificate sequence number {@code bdSeq}, the message sequence number {@code seq},
 * and which devices were born with which metrics. Only the component's thread calls it.
 *
 * <p>{@code bdSeq}, 0..255 wrapping, goes up by one before every MQTT CONNECT: the NDEATH in that
 * CONNECT's Will carries it, and so does the NBIRTH that follows. {@code seq} is 0 in an NBIRTH and
 * goes up by one, 0..255 wrapping, with every DBIRTH, NDATA, DDATA and DDEATH after it. A node or
 * device whose metric names or types change is born again before its data is sent.
 */
final class Sparkplug {

    /** The Sparkplug B topic namespace. */
    static final String NAMESPACE = "spBv1.0";
    static final String BD_SEQ = "bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";
    static final String ESTOP = "Node Control/E-Stop";
    static final String RESET = "Node Control/Reset";
    /** The writable metric of a loop device, in the loop's unit. */
    static final String SETPOINT = "setpoint";

    /** Device ids of loops and streams: this and the name. */
    static final String LOOP_DEVICE = "loop-";
    static final String STREAM_DEVICE = "stream-";

    private static final Pattern NOT_IN_A_TOPIC_LEVEL = Pattern.compile("[^A-Za-z0-9_.-]");

    private final String group;
    private final String node;
    private final SparkplugBPayloadEncoder encoder = new SparkplugBPayloadEncoder();
    private int bdSeq = -1;
    private int seq;
    private String nodeBorn;
    private final Map<String, String> devicesBorn = new HashMap<>();

    Sparkplug(String group, String node) {
        this.group = group;
        this.node = node;
    }

    /** @return a device id: {@code prefix} and the name, anything that may not stand in a topic level as '_' */
    static String device(String prefix, String name) {
        return prefix + NOT_IN_A_TOPIC_LEVEL.matcher(name).replaceAll("_");
    }

    /** @return {@code spBv1.0/<group>/<type>/<node>} */
    String topic(String type) {
        return NAMESPACE + "/" + group + "/" + type + "/" + node;
    }

    /** @return {@code spBv1.0/<group>/<type>/<node>/<device>} */
    String topic(String type, String device) {
        return topic(type) + "/" + device;
    }

    /** Before a CONNECT: the next {@code bdSeq}; nothing is born on the new connection yet. @return the NDEATH for its Will */
    byte[] nextDeath() {
        bdSeq = (bdSeq + 1) & 0xFF;
        nodeBorn = null;
        devicesBorn.clear();
        return death();
    }

    /** @return the NDEATH of the current connection: its {@code bdSeq} alone, no {@code seq} */
    byte[] death() {
        Date now = new Date();
        return encode(null, now, metric(BD_SEQ, MetricDataType.Int64, (long) bdSeq, now));
    }

    int bdSeq() {
        return bdSeq;
    }

    /** @return whether the node's metrics differ from its last NBIRTH on this connection (or there was none) */
    boolean nodeNeedsBirth(Fields metrics) {
        return !metrics.signature().equals(nodeBorn);
    }

    /**
     * @return the NBIRTH: {@code seq} 0, {@code bdSeq}, the node controls (Rebirth, E-Stop, Reset,
     *         all false) and {@code metrics}; every device must then be born again
     */
    byte[] nodeBirth(Fields metrics) {
        seq = 0;
        nodeBorn = metrics.signature();
        devicesBorn.clear();
        Date now = new Date();
        return encode(0L, now, metrics, metric(BD_SEQ, MetricDataType.Int64, (long) bdSeq, now),
                metric(REBIRTH, MetricDataType.Boolean, false, now), metric(ESTOP, MetricDataType.Boolean, false, now),
                metric(RESET, MetricDataType.Boolean, false, now));
    }

    byte[] nodeData(Fields metrics) {
        return encode(nextSeq(), new Date(), metrics);
    }

    boolean deviceNeedsBirth(String device, Fields metrics) {
        return !metrics.signature().equals(devicesBorn.get(device));
    }

    byte[] deviceBirth(String device, Fields metrics) {
        devicesBorn.put(device, metrics.signature());
        return encode(nextSeq(), new Date(), metrics);
    }

    byte[] deviceData(Fields metrics) {
        return encode(nextSeq(), new Date(), metrics);
    }

    /** @return the devices born on this connection */
    Set<String> devicesBorn() {
        return devicesBorn.keySet();
    }

    byte[] deviceDeath(String device) {
        devicesBorn.remove(device);
        return encode(nextSeq(), new Date(), new Fields());
    }

    private long nextSeq() {
        seq = (seq + 1) & 0xFF;
        return seq;
    }

    /**
     * @return the metrics of a command payload
     * @throws IllegalArgumentException when it is not a Sparkplug B payload
     */
    static List<Metric> decode(byte[] payload) {
        try {
            return new SparkplugBPayloadDecoder().buildFromByteArray(payload, null).getMetrics();
        } catch (Exception e) { // the decoder declares Exception: protobuf's and its own
            throw new IllegalArgumentException("not a Sparkplug B payload: " + e.getMessage());
        }
    }

    private byte[] encode(Long sequence, Date time, Fields metrics, Metric... first) {
        SparkplugBPayload p = new SparkplugBPayload(time, new java.util.ArrayList<>(List.of(first)), sequence);
        for (Fields.Field f : metrics.list()) {
            p.addMetric(metric(f.name(), type(f.kind()), f.value(), time));
        }
        try {
            return encoder.getBytes(p, false);
        } catch (IOException e) {
            throw new IllegalStateException("Sparkplug B payload not encoded: " + e.getMessage(), e);
        }
    }

    private byte[] encode(Long sequence, Date time, Metric... metrics) {
        return encode(sequence, time, new Fields(), metrics);
    }

    private static Metric metric(String name, MetricDataType type, Object value, Date time) {
        try {
            return new Metric.MetricBuilder(name, type, value).timestamp(time).createMetric();
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalStateException("metric " + name + ": " + e.getMessage(), e); // Fields only holds values of their kind
        }
    }

    private static MetricDataType type(Fields.Kind kind) {
        return switch (kind) {
            case DOUBLE -> MetricDataType.Double;
            case LONG -> MetricDataType.Int64;
            case BOOLEAN -> MetricDataType.Boolean;
            case STRING -> MetricDataType.String;
        };
    }
}
