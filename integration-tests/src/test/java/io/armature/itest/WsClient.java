package io.armature.itest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A telemetry client of {@code /armature/ws}, on the JDK's WebSocket client: counts the messages,
 * keeps the last one, and records how the server closed the socket.
 */
final class WsClient implements WebSocket.Listener, AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final AtomicLong messages = new AtomicLong();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile String last;
    private volatile String closeReason;
    private WebSocket socket;

    /** @return the REST API's CSRF token, which the telemetry handshake takes as its {@code token} parameter */
    static String token(int port, String password) throws Exception {
        java.net.http.HttpResponse<String> r = HTTP.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/armature/api/csrf"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new IOException("no CSRF token: " + r.statusCode() + " " + r.body());
        }
        return m.group(1);
    }

    /** @param headers extra handshake headers, such as Origin or Authorization */
    static WsClient connect(int port, String query, Map<String, String> headers) throws Exception {
        WsClient c = new WsClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        headers.forEach(b::header);
        c.socket = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/armature/ws" + query), c).get(10, TimeUnit.SECONDS);
        return c;
    }

    WebSocket socket() {
        return socket;
    }

    String last() {
        return last;
    }

    String closeReason() {
        return closeReason;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean lastPart) {
        partial.append(data);
        if (lastPart) {
            last = partial.toString();
            partial.setLength(0);
            messages.incrementAndGet();
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeReason = reason;
        closeCode.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.completeExceptionally(error);
    }

    @Override
    public void close() {
        if (socket != null && !socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        }
        if (socket != null) {
            socket.abort();
        }
    }

    /**
     * Opens a telemetry socket by hand over plain TCP, with a small receive buffer, reads the
     * handshake's answer and never reads again: the client that stops reading.
     *
     * @return the socket; its input holds whatever the server managed to send
     */
    static Socket neverReading(int port, String token) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String request = "GET /armature/ws?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.append((char) c);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + head);
        }
        return s;
    }
}
