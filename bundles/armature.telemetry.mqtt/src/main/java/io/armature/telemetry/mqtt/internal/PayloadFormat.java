package io.armature.telemetry.mqtt.internal;

/**
 * How the robot is spoken on MQTT: its topics, what is published for the safety state, the boards,
 * the loops and the streams, the Last Will and the goodbye, which topics carry commands and how a
 * refusal is answered. Two formats: {@link JsonFormat} (plain JSON under {@code armature/<robotId>})
 * and {@link SparkplugFormat} (a Sparkplug B edge node). The connection itself is {@link MqttSession}'s,
 * what a command does {@link CommandRouter}'s.
 *
 * <p>One instance per session. The component's thread calls every method but {@link #mayStop},
 * which Paho's thread calls.
 */
interface PayloadFormat {

    /** A message published at QoS 1 when the robot goes: as the Last Will, or on an orderly stop. */
    record LastWord(String topic, byte[] payload, boolean retained) {
    }

    /** @return the Last Will of the next CONNECT (called once before every CONNECT) */
    LastWord will();

    /** @return the message of an orderly stop, sent before the DISCONNECT */
    LastWord farewell();

    /** The connection is up: subscribes to the command topics and announces the robot. */
    void connected(boolean reconnect);

    /** Publishes the safety state, the boards and the command counters (every status period). */
    void publishStatus();

    /** Publishes the loops and streams (every telemetry period). */
    void publishTelemetry();

    /** @return true for a topic whose message can carry an e-stop (it gets its own bound while waiting) */
    boolean mayStop(String topic);

    /**
     * A message on a subscribed topic: a command, through {@link CommandRouter}; a refusal is
     * counted and answered as the format answers.
     *
     * @param stamp {@link CommandRouter#link()} when the message arrived
     */
    void command(long stamp, String topic, byte[] payload, boolean retained);

    /** @return the topics published, as a filter without its trailing {@code /#} (for {@code mqtt:status}) */
    String topics();
}
