package io.armature.telemetry.mqtt.internal;

import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code mqtt:status}: the broker connection, the offline buffer and the command counters, or how
 * to turn MQTT on. Always present, so it also says when MQTT is not configured.
 */
@Component(service = MqttCommands.class, immediate = true, property = {
        "osgi.command.scope=mqtt",
        "osgi.command.function=status"})
public final class MqttCommands {

    /**
     * The MQTT client and its version. Naming a Paho class here also activates the Paho bundle
     * (it declares lazy activation) when this bundle starts, so it is never left STARTING.
     */
    static final String CLIENT = "Eclipse Paho " + FrameworkUtil.getBundle(MqttAsyncClient.class).getVersion();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MqttTelemetry telemetry;

    /** mqtt:status */
    public String status() {
        MqttTelemetry t = telemetry;
        if (t == null) {
            return "MQTT telemetry is off: it starts with a configuration " + MqttTelemetry.PID
                    + ".cfg (see " + MqttTelemetry.PID + ".cfg.example); client " + CLIENT;
        }
        return t.status() + System.lineSeparator() + "client " + CLIENT;
    }
}
