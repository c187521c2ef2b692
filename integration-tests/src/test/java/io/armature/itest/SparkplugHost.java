package io.armature.itest;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

/**
 * A Sparkplug B host application for tests: subscribes to one group on a broker, decodes every
 * message with Eclipse Tahu's decoder, and sends NCMD and DCMD encoded with Tahu's encoder.
 */
final class SparkplugHost implements AutoCloseable {

    /** A message as received: its topic, its decoded payload (null when it did not decode) and when it came. */
    record Received(String topic, SparkplugBPayload payload, long nanos) {

        /** @return the type part of the topic: NBIRTH, DDATA... */
        String type() {
            return topic.split("/")[2];
        }

        /** @return the device id, or null for a node message */
        String device() {
            String[] parts = topic.split("/");
            return parts.length > 4 ? parts[4] : null;
        }

        Metric metric(String name) {
            return payload.getMetrics().stream().filter(m -> name.equals(m.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError("no metric " + name + " in " + topic + ": " + payload));
        }

        Object value(String name) {
            return metric(name).getValue();
        }

        List<String> names() {
            return payload.getMetrics().stream().map(Metric::getName).toList();
        }

        long seq() {
            return payload.getSeq();
        }
    }

    private final MqttClient client;
    private final String group;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    SparkplugHost(String brokerUri, String group) throws Exception {
        this.group = group;
        client = new MqttClient(brokerUri, "sparkplug-host-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        client.connect(o);
        client.subscribe("spBv1.0/" + group + "/#", 0, (topic, message) -> {
            SparkplugBPayload p;
            try {
                p = new SparkplugBPayloadDecoder().buildFromByteArray(message.getPayload(), null);
            } catch (Exception e) {
                p = null;
            }
            received.add(new Received(topic, p, System.nanoTime()));
        });
    }

    List<Received> received() {
        return received;
    }

    /** @return the messages of {@code type} (and of {@code device}, when not null) received since {@code sinceNanos} */
    List<Received> of(String type, String device, long sinceNanos) {
        List<Received> out = new ArrayList<>();
        for (Received r : received) {
            if (r.nanos() >= sinceNanos && r.type().equals(type) && (device == null || device.equals(r.device()))) {
                out.add(r);
            }
        }
        return out;
    }

    /** Sends one metric to the node (NCMD) or to one of its devices (DCMD, when {@code device} is not null). */
    void command(String node, String device, String metric, MetricDataType type, Object value, boolean retained) throws Exception {
        SparkplugBPayload p = new SparkplugBPayload(new Date(), new ArrayList<>(List.of(
                new Metric.MetricBuilder(metric, type, value).timestamp(new Date()).createMetric())));
        byte[] bytes = new SparkplugBPayloadEncoder().getBytes(p, false);
        String topic = "spBv1.0/" + group + (device == null ? "/NCMD/" + node : "/DCMD/" + node + "/" + device);
        client.publish(topic, bytes, 1, retained);
    }

    /** Sends raw bytes, for payloads that are not Sparkplug B. */
    void raw(String topic, byte[] payload) throws Exception {
        client.publish(topic, payload, 1, false);
    }

    @Override
    public void close() throws Exception {
        if (client.isConnected()) {
            client.disconnect(1_000);
        }
        client.close();
    }
}
