package io.armature.itest;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.safety.SafetySupervisor;

/**
 * What WebSocket telemetry costs the control loop. In interleaved slices (without clients, with
 * clients, ...) the wheel loop {@code left} of sim-rover runs at 1 kHz holding a setpoint while,
 * in the "with" slices, 50 telemetry clients read, one floods the server with messages
 * (reconnecting each time it is closed for it) and one never reads. Lateness histograms of the
 * loop are pooled per side. Prints p99 and p99.9 with and without clients and their ratio, missed
 * deadlines (wake-ups a period or more late, and skipped periods) on each side, the messages the
 * readers got, what the server dropped and closed, the most it ever queued, and the heap after a
 * full collection before and after. Prints figures; asserts nothing.
 *
 * <p>Arguments: [pairs (10)] [slice seconds (3)] [readers (50)].
 */
public final class WebBenchmark {

    private static final int BUCKETS = 20_000; // 1 us buckets up to 20 ms; the last holds the rest
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        int readers = args.length > 2 ? Integer.parseInt(args[2]) : 50;

        // A small kernel send buffer, so that the client that never reads fills it and its queue within a
        // slice and is dropped there (with the default 64 KiB it takes about 10 s on loopback).
        try (FeatureRuntime robot = FeatureRuntime.startReady("sim-rover", Map.of(),
                configDir -> java.nio.file.Files.writeString(configDir.resolve("armature.web.telemetry.cfg"), "sendBufferBytes=4096\n"))) {
            int port = robot.httpPort();
            String password = robot.consolePassword();
            String token = WsClient.token(port, password);
            LoopStatistics stats = robot.service(LoopStatistics.class, "(armature.loop.name=left)", 10_000);
            TunableLoop left = robot.service(TunableLoop.class, "(armature.loop.name=left)", 10_000);
            SafetySupervisor safety = robot.service(SafetySupervisor.class, null, 10_000);
            if (!safety.mayMove()) {
                safety.reset("benchmark"); // a stall while the runtime started
            }
            left.setSetpoint(10);
            Thread.sleep(1000);
            long heapBefore = heapAfterGc();
            System.out.printf(Locale.ROOT, "web benchmark: loop left at %.0f Hz (%s), %d interleaved pairs of %.1f s slices, "
                    + "%d readers + 1 flooding + 1 never reading, GC %s%n", stats.rateHz(), stats.realTime() ? "SCHED_FIFO" : "normal priority",
                    pairs, seconds, readers, LoopBenchmark.gcNames());

            long[] without = new long[BUCKETS];
            long[] with = new long[BUCKETS];
            long overrunsWithout = 0;
            long overrunsWith = 0;
            long received = 0;
            double clientSeconds = 0;
            AtomicLong floodSent = new AtomicLong();
            for (int i = 0; i < pairs; i++) {
                LoopBenchmark.LatenessSlice a = LoopBenchmark.slice(stats, seconds, BUCKETS);
                LoopBenchmark.add(without, a.counts());
                overrunsWithout += a.overruns();

                List<WsClient> clients = new ArrayList<>();
                for (int c = 0; c < readers; c++) {
                    clients.add(WsClient.connect(port, "?token=" + token, Map.of()));
                }
                Socket stalled = WsClient.neverReading(port, token);
                AtomicBoolean flooding = new AtomicBoolean(true);
                Thread flooder = new Thread(() -> flood(port, token, flooding, floodSent), "flooder");
                flooder.setDaemon(true);
                flooder.start();
                Thread.sleep(300); // past the handshakes
                long got = clients.stream().mapToLong(c -> c.messages.get()).sum();
                long start = System.nanoTime();
                LoopBenchmark.LatenessSlice b = LoopBenchmark.slice(stats, seconds, BUCKETS);
                received += clients.stream().mapToLong(c -> c.messages.get()).sum() - got;
                clientSeconds += (System.nanoTime() - start) / 1e9 * readers;
                LoopBenchmark.add(with, b.counts());
                overrunsWith += b.overruns();
                flooding.set(false);
                flooder.join(5000);
                clients.forEach(WsClient::close);
                stalled.close();
                Thread.sleep(300); // let the closes settle outside the next slice
            }
            if (!safety.mayMove()) {
                System.out.println("note: the supervisor tripped during the run: " + safety.tripReason().map(Object::toString).orElse(""));
            }
            left.setSetpoint(0);
            long heapAfter = heapAfterGc();

            long period = Math.round(1e6 / stats.rateHz());
            double w99 = LoopBenchmark.percentile(without, 99);
            double w999 = LoopBenchmark.percentile(without, 99.9);
            double c99 = LoopBenchmark.percentile(with, 99);
            double c999 = LoopBenchmark.percentile(with, 99.9);
            System.out.printf(Locale.ROOT, "%n%-16s %10s %8s %9s %16s %16s%n", "", "wake-ups", "p99 us", "p99.9 us", ">= 1 period late", "periods skipped");
            System.out.printf(Locale.ROOT, "%-16s %10d %8.0f %9.0f %16d %16d%n", "without clients", LoopBenchmark.total(without), w99, w999, LoopBenchmark.countFrom(without, period), overrunsWithout);
            System.out.printf(Locale.ROOT, "%-16s %10d %8.0f %9.0f %16d %16d%n", "with clients", LoopBenchmark.total(with), c99, c999, LoopBenchmark.countFrom(with, period), overrunsWith);
            System.out.printf(Locale.ROOT, "ratio with/without: p99 %.2f (target <= 1.1), p99.9 %.2f%n", c99 / Math.max(1, w99), c999 / Math.max(1, w999));
            System.out.printf(Locale.ROOT, "missed deadlines with clients minus without: %d late wake-ups, %d skipped periods (target: none more with clients)%n",
                    LoopBenchmark.countFrom(with, period) - LoopBenchmark.countFrom(without, period), overrunsWith - overrunsWithout);
            System.out.printf(Locale.ROOT, "readers got %.1f messages/s each; the flooder sent %d messages%n", received / Math.max(1e-9, clientSeconds), floodSent.get());
            System.out.println("server counters: " + counters(port, password));
            System.out.printf(Locale.ROOT, "heap after a full GC: %.1f MB before, %.1f MB after%n", heapBefore / 1e6, heapAfter / 1e6);
        }
    }

    /** Sends small messages as fast as the socket takes them; when the server closes it for that, connects again. */
    private static void flood(int port, String token, AtomicBoolean flooding, AtomicLong sent) {
        while (flooding.get()) {
            try (WsClient c = WsClient.connect(port, "?token=" + token, Map.of())) {
                while (flooding.get() && !c.closeCode.isDone()) {
                    c.socket().sendText("{\"flood\": true}", true).get(5, TimeUnit.SECONDS);
                    sent.incrementAndGet();
                }
            } catch (Exception closedForFlooding) {
                // connect again
            }
        }
    }

    private static String counters(int port, String password) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/armature/ws"))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static long heapAfterGc() throws InterruptedException {
        System.gc();
        Thread.sleep(500);
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
