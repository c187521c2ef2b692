package io.armature.itest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real mosquitto broker on 127.0.0.1 and a free port, with the real command-line clients
 * mosquitto_sub and mosquitto_pub. Missing programs fail the test: scripts/install-test-deps.sh
 * installs them.
 */
final class Mosquitto implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final List<String> config;
    private Process broker;
    private final List<Sub> subs = new CopyOnWriteArrayList<>();

    /**
     * @param dir    a directory for the broker's configuration and log
     * @param config lines beyond the listener, for example {@code allow_anonymous true}
     */
    Mosquitto(Path dir, String... config) throws Exception {
        this.dir = dir;
        this.port = freePort();
        this.config = List.of(config);
        start();
    }

    int port() {
        return port;
    }

    String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** Starts (or restarts) the broker on the same port and waits until it accepts connections. */
    void start() throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add("listener " + port + " 127.0.0.1");
        if ("root".equals(System.getProperty("user.name"))) {
            lines.add("user root"); // otherwise it drops to user mosquitto, who cannot read the test's files
        }
        lines.addAll(config);
        Path conf = Files.write(dir.resolve("mosquitto.conf"), lines);
        broker = new ProcessBuilder(program("mosquitto"), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.log").toFile())).start();
        if (!Poll.until(10_000, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException notYet) {
                return !broker.isAlive() && fail();
            }
        })) {
            throw new AssertionError("mosquitto did not listen on " + port + ":\n" + log());
        }
    }

    private boolean fail() throws IOException {
        throw new AssertionError("mosquitto exited: " + log());
    }

    /** Stops the broker at once (SIGKILL): clients see their connection drop. */
    void kill() throws InterruptedException {
        broker.destroyForcibly();
        broker.waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the broker process (SIGSTOP): its connections stay open, and nothing is read from them. */
    void pause() throws Exception {
        signal("-STOP");
    }

    /** Lets a paused broker run on (SIGCONT). */
    void resume() throws Exception {
        signal("-CONT");
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(broker.pid())).redirectErrorStream(true).start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill " + signal + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    String log() throws IOException {
        Path log = dir.resolve("mosquitto.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Creates {@code dir/passwd} for one user with mosquitto_passwd, before the broker starts, and returns its path. */
    static Path passwordFile(Path dir, String user, String password) throws Exception {
        Path file = dir.resolve("passwd");
        run(program("mosquitto_passwd"), "-b", "-c", file.toString(), user, password);
        return file;
    }

    /** Publishes one message with mosquitto_pub (not retained unless {@code -r} is among the options). */
    void pub(String topic, String payload, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(program("mosquitto_pub"), "-h", "127.0.0.1", "-p", Integer.toString(port), "-t", topic));
        cmd.addAll(List.of(options));
        if (payload == null) {
            cmd.add("-n");
        } else {
            cmd.addAll(List.of("-m", payload));
        }
        run(cmd.toArray(String[]::new));
    }

    /** Subscribes with mosquitto_sub -v: every line is "topic payload". */
    Sub sub(List<String> options, String... topics) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(program("mosquitto_sub"), "-h", "127.0.0.1", "-p", Integer.toString(port), "-v"));
        cmd.addAll(options);
        for (String t : topics) {
            cmd.addAll(List.of("-t", t));
        }
        Sub s = new Sub(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        subs.add(s);
        return s;
    }

    Sub sub(String... topics) throws Exception {
        return sub(List.of(), topics);
    }

    /** The first retained (or next) message on one topic, waiting up to {@code timeoutMillis}; null when none came. */
    String first(String topic, long timeoutMillis, String... options) throws Exception {
        try (Sub s = sub(List.of(options), topic)) {
            if (!Poll.until(timeoutMillis, () -> !s.lines().isEmpty())) {
                return null;
            }
            String line = s.lines().get(0);
            return line.substring(line.indexOf(' ') + 1);
        }
    }

    /** A running mosquitto_sub. */
    static final class Sub implements AutoCloseable {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final List<Long> times = new CopyOnWriteArrayList<>();

        private Sub(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        times.add(System.nanoTime());
                        lines.add(l);
                    }
                } catch (IOException ended) {
                    // the process ended
                }
            }, "mosquitto_sub");
            reader.setDaemon(true);
            reader.start();
        }

        List<String> lines() {
            return lines;
        }

        /** @return the payloads on {@code topic} received since {@code sinceNanos} (System.nanoTime) */
        List<String> payloads(String topic, long sinceNanos) {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < lines.size() && i < times.size(); i++) {
                if (times.get(i) >= sinceNanos && lines.get(i).startsWith(topic + " ")) {
                    out.add(lines.get(i).substring(topic.length() + 1));
                }
            }
            return out;
        }

        boolean alive() {
            return process.isAlive();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        for (Sub s : subs) {
            s.close();
        }
        if (broker != null) {
            broker.destroy();
            if (!broker.waitFor(10, TimeUnit.SECONDS)) {
                broker.destroyForcibly();
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in 10 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
        }
    }

    /** @return the program's path; fails (never skips) when it is not installed */
    static String program(String name) {
        List<Path> dirs = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        dirs.add(Path.of("/usr/sbin")); // mosquitto itself lives here on Debian, often not on a user's PATH
        for (Path d : dirs) {
            if (Files.isExecutable(d.resolve(name))) {
                return d.resolve(name).toString();
            }
        }
        throw new AssertionError(name + " is not installed: run scripts/install-test-deps.sh (installs mosquitto, mosquitto-clients and openssl)");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
