package io.armature.telemetry;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Something that reports telemetry: a loop, a sensor stream, the safety supervisor, a board.
 * Publishers (MQTT, web, ROS bridge) sample every registered source at their own rate.
 */
@ConsumerType
public interface TelemetrySource {

    /** Service property: the source name ({@code String}), used as the topic suffix. */
    String PROPERTY_NAME = "armature.telemetry.name";

    /**
     * Fills {@code into} with the current values: keys are short names, values are
     * {@code Number}, {@code Boolean} or {@code String}. Called off the real-time threads.
     */
    void snapshot(Map<String, Object> into);
}
