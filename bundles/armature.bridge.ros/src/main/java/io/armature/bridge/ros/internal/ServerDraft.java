package io.armature.bridge.ros.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.extensions.IExtension;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.protocols.IProtocol;

/**
 * RFC 6455 as Java-WebSocket 1.6.0 has it, able to refuse a handshake with an HTTP status of our
 * choice: Java-WebSocket itself answers a refused handshake only with 404 or 500. A response
 * marked by {@link #refuse} is written as that status with the reason as a plain-text body and
 * {@code Connection: close}, instead of the 101 upgrade; {@link WsServer} then closes the
 * connection once the response is out.
 */
final class ServerDraft extends Draft_6455 {

    private static final String STATUS = "X-Armature-Refused-Status";
    private static final String REASON = "X-Armature-Refused-Reason";

    ServerDraft(List<IExtension> extensions, List<IProtocol> protocols, int maxFrameSize) {
        super(extensions, protocols, maxFrameSize);
    }

    /** Marks a response to be written as a refusal. */
    static void refuse(ServerHandshakeBuilder response, int status, String reason) {
        response.put(STATUS, Integer.toString(status));
        response.put(REASON, reason.replaceAll("\\p{Cntrl}", "?"));
    }

    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshake) {
        return createHandshake(handshake, true);
    }

    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshake, boolean withContent) {
        if (handshake instanceof ServerHandshake && handshake.hasFieldValue(STATUS)) {
            return List.of(response(Integer.parseInt(handshake.getFieldValue(STATUS)), handshake.getFieldValue(REASON)));
        }
        return super.createHandshake(handshake, withContent);
    }

    /** @return an HTTP response that refuses the upgrade */
    static ByteBuffer response(int status, String reason) {
        byte[] body = (reason + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + statusText(status) + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\nServer: Armature ROS bridge\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(h.length + body.length).put(h).put(body).flip();
    }

    private static String statusText(int status) {
        return switch (status) {
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 503 -> "Service Unavailable";
            default -> "Refused";
        };
    }

    @Override
    public Draft copyInstance() {
        List<IExtension> extensions = new ArrayList<>();
        for (IExtension e : getKnownExtensions()) {
            extensions.add(e.copyInstance());
        }
        List<IProtocol> protocols = new ArrayList<>();
        for (IProtocol p : getKnownProtocols()) {
            protocols.add(p.copyInstance());
        }
        return new ServerDraft(extensions, protocols, getMaxFrameSize());
    }
}
