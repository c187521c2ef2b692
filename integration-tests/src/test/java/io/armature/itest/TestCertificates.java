package io.armature.itest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made for one test with the real openssl and keytool: server and client
 * certificates it signs, and the PKCS12 trust and key stores a robot is configured with. Keys are
 * RSA 2048, valid for two days. A missing openssl fails the test: scripts/install-test-deps.sh
 * installs it.
 */
final class TestCertificates {

    /** Password of every store made here. */
    static final String STORE_PASSWORD = "test-store";

    private final Path dir;
    private final String name;

    /** Makes the CA {@code name} in {@code dir}: {@code name.key} and {@code name.crt}. */
    TestCertificates(Path dir, String name) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.name = name;
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                "-keyout", file(name + ".key"), "-out", file(name + ".crt"));
    }

    /** @return the CA's certificate (PEM), for mosquitto's cafile and mosquitto_sub --cafile */
    Path caCertificate() {
        return dir.resolve(name + ".crt");
    }

    /**
     * Issues {@code cn}.crt and {@code cn}.key signed by this CA.
     *
     * @param subjectAltName for example {@code IP:127.0.0.1}; null for none (a client certificate)
     * @return the certificate; the key is beside it
     */
    Path issue(String cn, String subjectAltName) throws Exception {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn, "-keyout", file(cn + ".key"), "-out", file(cn + ".csr"));
        Path ext = Files.writeString(dir.resolve(cn + ".ext"),
                (subjectAltName == null ? "" : "subjectAltName=" + subjectAltName + "\n") + "basicConstraints=CA:FALSE\n");
        openssl("x509", "-req", "-in", file(cn + ".csr"), "-CA", file(name + ".crt"), "-CAkey", file(name + ".key"), "-CAcreateserial",
                "-days", "2", "-extfile", ext.toString(), "-out", file(cn + ".crt"));
        return dir.resolve(cn + ".crt");
    }

    /** @return a PKCS12 trust store holding this CA's certificate alone (keytool) */
    Path trustStore() throws Exception {
        Path store = dir.resolve(name + "-trust.p12");
        Files.deleteIfExists(store);
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt", "-alias", name,
                "-file", file(name + ".crt"), "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD));
        return store;
    }

    /** @return a PKCS12 key store with the key and certificate issued to {@code cn} (openssl pkcs12) */
    Path keyStore(String cn) throws Exception {
        Path store = dir.resolve(cn + ".p12");
        openssl("pkcs12", "-export", "-in", file(cn + ".crt"), "-inkey", file(cn + ".key"), "-name", cn, "-passout",
                "pass:" + STORE_PASSWORD, "-out", store.toString());
        return store;
    }

    /** @return the key of {@code cn}, for mosquitto's keyfile */
    Path key(String cn) {
        return dir.resolve(cn + ".key");
    }

    private String file(String f) {
        return dir.resolve(f).toString();
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Mosquitto.program("openssl"));
        cmd.addAll(List.of(args));
        run(cmd);
    }

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
