package io.armature.itest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** Small HTTP client for tests against 127.0.0.1. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Http() {
    }

    /** @return a request to the REST API at {@code path} (below /armature/api/), with the console's credentials */
    static HttpRequest.Builder api(int port, String password, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/armature/api/" + path)).timeout(Duration.ofSeconds(90))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
    }

    /** @return the CSRF token the REST API gives ({@code GET csrf}) */
    static String csrf(int port, String password) throws Exception {
        String body = CLIENT.send(api(port, password, "csrf").build(), HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"token\":\"([^\"]+)\"").matcher(body);
        if (!m.find()) {
            throw new AssertionError("no CSRF token: " + body);
        }
        return m.group(1);
    }

    static <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) throws Exception {
        return CLIENT.send(request.build(), body);
    }

    /**
     * A POST of JSON to the REST API as a script sends it: credentials, the CSRF token, the body.
     *
     * @param origin an Origin header to send, or null for none
     */
    static HttpResponse<String> post(int port, String password, String path, String json, String origin) throws Exception {
        HttpRequest.Builder b = api(port, password, path).header("X-Armature-CSRF", csrf(port, password))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return send(b, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Swaps a bundle through the REST API as a script would: the console's credentials, the CSRF
     * token from {@code GET csrf}, the jar as the body.
     *
     * @param origin an Origin header to send, or null for none
     */
    static HttpResponse<String> swap(int port, String password, String bundle, byte[] jar, String contentType, String origin) throws Exception {
        HttpRequest.Builder b = api(port, password, "bundles/" + bundle + "/swap").header("X-Armature-CSRF", csrf(port, password))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(jar));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return send(b, HttpResponse.BodyHandlers.ofString());
    }

    /** @return the status of a GET, with Basic credentials when user is not null */
    static int get(int port, String path, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
