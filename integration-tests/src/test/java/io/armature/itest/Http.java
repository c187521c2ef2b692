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

    /**
     * Swaps a bundle through the REST API as a script would: the console's credentials, the CSRF
     * token from {@code GET csrf}, the jar as the body.
     *
     * @param origin an Origin header to send, or null for none
     */
    static HttpResponse<String> swap(int port, String password, String bundle, byte[] jar, String contentType, String origin) throws Exception {
        String base = "http://127.0.0.1:" + port + "/armature/api/";
        String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        String csrf = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "csrf")).header("Authorization", auth).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"token\":\"([^\"]+)\"").matcher(csrf);
        if (!m.find()) {
            throw new AssertionError("no CSRF token: " + csrf);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "bundles/" + bundle + "/swap")).timeout(Duration.ofSeconds(90))
                .header("Authorization", auth).header("X-Armature-CSRF", m.group(1)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(jar));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
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
