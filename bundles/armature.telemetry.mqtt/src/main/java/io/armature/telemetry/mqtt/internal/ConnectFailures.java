package io.armature.telemetry.mqtt.internal;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import org.eclipse.paho.client.mqttv3.MqttException;

/**
 * One line that says why a connection failed. Paho wraps a TLS failure in an MqttException whose
 * own message is only "MqttException"; the cause tells what an operator can fix.
 */
final class ConnectFailures {

    private ConnectFailures() {
    }

    /**
     * @param trustStore the configured trust store file, or null for the JVM's default trust
     * @return what went wrong, in one line
     */
    static String describe(Throwable e, String trustStore) {
        String trust = trustStore == null ? "the JVM's default trust store" : "trustStore " + trustStore;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof CertPathValidatorException || (c instanceof CertificateException && c.getMessage() != null
                    && c.getMessage().contains("PKIX"))) {
                return "TLS: the broker's certificate is not signed by a CA in " + trust + " (" + c.getMessage() + ")";
            }
            if (c instanceof CertificateException && c.getMessage() != null && c.getMessage().contains("No subject alternative")) {
                return "TLS: the broker's certificate does not name the host of brokerUri (" + c.getMessage() + ")";
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SSLHandshakeException || c instanceof SSLException) {
                String m = c.getMessage();
                if (m != null && m.contains("PKIX")) {
                    return "TLS: the broker's certificate is not signed by a CA in " + trust + " (" + m + ")";
                }
                return "TLS handshake failed: " + m;
            }
        }
        if (e instanceof MqttException && e.getCause() != null && e.getCause().getMessage() != null) {
            return e.getMessage() + ": " + e.getCause().getMessage();
        }
        return e == null ? "unknown" : e.getMessage();
    }
}
