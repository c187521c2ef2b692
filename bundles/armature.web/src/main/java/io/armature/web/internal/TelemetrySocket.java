package io.armature.web.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.Handshaker;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;

/**
 * Live telemetry over a WebSocket at {@value #PATH}, on the HTTP port of the Web Console: every
 * {@code 1/rateHz} seconds one JSON text message with each loop's setpoint, measurement, output,
 * cycles and overruns, and the safety state with its trip reason.
 *
 * <p>The handshake is refused (before any upgrade) unless its {@code token} query parameter is
 * the REST API's CSRF token, which only a caller with the console's credentials gets (from
 * {@code GET /armature/api/csrf} or the Robot page); a browser page of another site fails the
 * Origin check; wrong credentials, when sent, are refused too. A plain GET with the credentials
 * answers the socket's counters as JSON.
 *
 * <p>Jetty's WebSocket core (websocket-core-server) does the protocol, called from this
 * whiteboard servlet: it needs neither the Jetty WebSocket API bundles (which import
 * org.eclipse.jetty.webapp) nor a ServiceLoader mediator such as SPI Fly. Messages are built on
 * the component's own thread, never on a control loop's; each client has a bounded queue
 * ({@link TelemetryClient}).
 */
@Component(service = Servlet.class, immediate = true, configurationPid = TelemetrySocket.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = {
        "osgi.http.whiteboard.servlet.pattern=" + TelemetrySocket.PATH,
        "osgi.http.whiteboard.servlet.name=armature-telemetry-socket"})
@Designate(ocd = TelemetrySocket.Config.class)
public final class TelemetrySocket extends HttpServlet implements TelemetryClient.Owner {

    private static final long serialVersionUID = 1L;

    static final String PID = "armature.web.telemetry";
    static final String PATH = "/armature/ws";
    /** A client dropped as too slow whose close frame could not be written is cut off after this long. */
    static final long ABORT_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final JsonFactory JSON = new JsonFactory();

    @ObjectClassDefinition(name = "Armature WebSocket telemetry",
            description = "Live loop and safety telemetry at /armature/ws for the Robot page and scripts.")
    public @interface Config {
        @AttributeDefinition(name = "Rate (Hz)", description = "Telemetry messages per second to each client, 1..200.")
        double rateHz() default 50.0;

        @AttributeDefinition(name = "Queue (messages)", description = "Messages that may wait for a client, 1..1024; a client that falls this far behind is dropped.")
        int queueMessages() default 32;

        @AttributeDefinition(name = "Largest incoming message (bytes)", description = "16..65536; a larger message closes the socket with 1009.")
        int maxIncomingBytes() default 1024;

        @AttributeDefinition(name = "Incoming messages per second", description = "1..10000; a client sending more is closed with 1008.")
        int maxIncomingPerSecond() default 50;

        @AttributeDefinition(name = "Clients", description = "Most clients at once, 1..1000; more are refused with 503.")
        int maxClients() default 100;

        @AttributeDefinition(name = "Socket send buffer (bytes)", description = "The kernel's send buffer of each telemetry connection, "
                + "4096..4194304 (Linux reserves twice this). It bounds what the kernel holds for a client that stopped reading, "
                + "which otherwise grows to megabytes on a fast link, and lets such a client be found out sooner.")
        int sendBufferBytes() default 65536;
    }

    /** A checked configuration. */
    record Settings(double rateHz, int queueMessages, int maxIncomingBytes, int maxIncomingPerSecond, int maxClients, int sendBufferBytes) {
        static Settings of(Config c) {
            if (!(c.rateHz() >= 1 && c.rateHz() <= 200)) {
                throw new IllegalArgumentException("rateHz must be 1..200, was " + c.rateHz());
            }
            check("queueMessages", c.queueMessages(), 1, 1024);
            check("maxIncomingBytes", c.maxIncomingBytes(), 16, 65536);
            check("maxIncomingPerSecond", c.maxIncomingPerSecond(), 1, 10_000);
            check("maxClients", c.maxClients(), 1, 1000);
            check("sendBufferBytes", c.sendBufferBytes(), 4096, 4 << 20);
            return new Settings(c.rateHz(), c.queueMessages(), c.maxIncomingBytes(), c.maxIncomingPerSecond(), c.maxClients(),
                    c.sendBufferBytes());
        }

        private static void check(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", was " + value);
            }
        }
    }

    private final transient RestApi api;
    private final transient Logger log;
    private final transient Set<TelemetryClient> clients = ConcurrentHashMap.newKeySet();
    private final transient Handshaker handshaker = Handshaker.newInstance();
    private final AtomicLong connected = new AtomicLong();
    /** Clients connected or being upgraded: at most maxClients. */
    private final java.util.concurrent.atomic.AtomicInteger slots = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong droppedSlow = new AtomicLong();
    private final AtomicLong closedTooLarge = new AtomicLong();
    private final AtomicLong closedFlooding = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong maxQueuedBytes = new AtomicLong();
    private final long startNanos = System.nanoTime();

    private transient volatile Settings settings;
    private transient volatile Thread broadcaster;
    private transient WebSocketComponents components;
    private transient Server componentsServer;

    @Activate
    public TelemetrySocket(@Reference RestApi api, @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this.api = api;
        this.log = log;
        this.settings = Settings.of(config);
        Thread t = new Thread(this::broadcast, "armature-web-telemetry");
        t.setDaemon(true);
        t.setUncaughtExceptionHandler((th, e) -> log.error("telemetry thread died: {}", e.toString()));
        broadcaster = t;
        t.start();
    }

    @Modified
    void modified(Config config) {
        try {
            settings = Settings.of(config);
        } catch (IllegalArgumentException e) {
            log.error("WebSocket telemetry configuration refused: {}; the previous configuration stays", e.getMessage());
        }
    }

    @Deactivate
    void deactivate() throws Exception {
        Thread t = broadcaster;
        broadcaster = null;
        t.interrupt();
        t.join(2000);
        for (TelemetryClient c : clients) {
            c.close(TelemetryClient.GOING_AWAY, "telemetry stopped");
        }
        synchronized (this) {
            if (components != null) {
                components.stop();
                components = null;
            }
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        RestApi.Reply refusal;
        boolean slotTaken = false;
        try {
            String authorization = req.getHeader("Authorization");
            if (authorization != null) {
                api.guard().authenticate(authorization);
            }
            api.guard().checkHost(req.getHeader("Host"), req.getLocalAddr(), req.getLocalPort());
            api.guard().checkOrigin(req.getHeader("Origin"), req.getScheme(), req.getHeader("Host"));
            if (!"websocket".equalsIgnoreCase(req.getHeader("Upgrade"))) {
                if (authorization == null) {
                    api.guard().authenticate(null);
                }
                if (!req.getMethod().equals("GET")) {
                    throw new ApiException(405, "method " + req.getMethod().replaceAll("\\W", "?") + " is not allowed: GET reads the counters, a WebSocket handshake subscribes");
                }
                send(resp, new RestApi.Reply(200, counters()));
                return;
            }
            if (!api.guard().tokenMatches(req.getParameter("token"))) {
                throw new ApiException(403, "missing or wrong token parameter: ws://<host>" + PATH + "?token=<the token of GET /armature/api/csrf>");
            }
            Settings s = settings;
            // A slot is taken before the upgrade and given back when the client closes (or the
            // upgrade fails): concurrent handshakes cannot pass the bound together.
            if (slots.incrementAndGet() > s.maxClients()) {
                slots.decrementAndGet();
                throw new ApiException(503, "too many telemetry clients: " + s.maxClients() + " at most");
            }
            slotTaken = true;
            String remote = req.getRemoteAddr() + ":" + req.getRemotePort();
            WebSocketNegotiator negotiator = WebSocketNegotiator.from(
                    n -> new TelemetryClient(this, s.queueMessages(), s.maxIncomingBytes(), s.maxIncomingPerSecond(), remote),
                    c -> configure(c, s));
            WebSocketComponents ws = components(req);
            limitSendBuffer(req, s.sendBufferBytes());
            if (handshaker.upgradeRequest(negotiator, req, resp, ws, null)) {
                return;
            }
            refusal = ApiJson.error(400, "not a valid WebSocket handshake");
        } catch (ApiException e) {
            refusal = ApiJson.error(e.status(), e.getMessage());
        }
        if (slotTaken) {
            slots.decrementAndGet();
        }
        refused.incrementAndGet();
        if (refusal.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"" + ApiGuard.REALM + "\", charset=\"UTF-8\"");
        }
        send(resp, refusal);
    }

    private void limitSendBuffer(HttpServletRequest req, int bytes) {
        EndPoint endPoint = Request.getBaseRequest(req).getHttpChannel().getEndPoint();
        if (endPoint instanceof SocketChannelEndPoint socket) {
            try {
                socket.getChannel().setOption(StandardSocketOptions.SO_SNDBUF, bytes);
            } catch (IOException e) {
                log.warn("cannot limit the send buffer of telemetry client {}: {}", req.getRemoteAddr(), e.toString());
            }
        }
    }

    private static void configure(Configuration c, Settings s) {
        c.setAutoFragment(false); // a frame over the limit closes with 1009 instead of being split
        c.setMaxFrameSize(s.maxIncomingBytes());
        c.setMaxTextMessageSize(s.maxIncomingBytes());
        c.setMaxBinaryMessageSize(s.maxIncomingBytes());
        c.setMaxOutgoingFrames(s.queueMessages() + 4); // we write one message at a time; this is a backstop
        c.setWriteTimeout(Duration.ofSeconds(2));
        c.setIdleTimeout(Duration.ofSeconds(60));
    }

    private static void send(HttpServletResponse resp, RestApi.Reply reply) throws IOException {
        byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
        resp.setStatus(reply.status());
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** The WebSocket machinery, on the thread pool and buffers of the Jetty server that took the request. */
    private synchronized WebSocketComponents components(HttpServletRequest req) throws ApiException {
        Request base = Request.getBaseRequest(req);
        if (base == null) {
            throw new ApiException(500, "internal error: the HTTP service does not expose Jetty's request; WebSocket unavailable");
        }
        Server server = base.getHttpChannel().getServer();
        if (components == null || componentsServer != server) {
            try {
                if (components != null) {
                    components.stop();
                }
                WebSocketComponents c = new WebSocketComponents(null, null, server.getBean(ByteBufferPool.class), null, null, server.getThreadPool());
                c.unmanage(server.getThreadPool());
                c.start();
                components = c;
                componentsServer = server;
            } catch (Exception e) {
                log.error("cannot start the WebSocket components: {}", e.toString());
                throw new ApiException(500, "internal error: WebSocket unavailable; the runtime log has the details");
            }
        }
        return components;
    }

    @Override
    public void opened(TelemetryClient client) {
        clients.add(client);
        connected.incrementAndGet();
    }

    @Override
    public void tooSlow(TelemetryClient client) {
        long n = droppedSlow.incrementAndGet();
        log.warn("telemetry client {} dropped: too slow, its queue of {} messages was full ({} dropped since start)",
                client.remote(), settings.queueMessages(), n);
    }

    @Override
    public void closed(TelemetryClient client, int code, String reason) {
        if (clients.remove(client)) {
            slots.decrementAndGet();
        }
        if (code == TelemetryClient.MESSAGE_TOO_LARGE) {
            closedTooLarge.incrementAndGet();
        } else if (code == TelemetryClient.POLICY_VIOLATION && reason != null && reason.startsWith("more than")) {
            closedFlooding.incrementAndGet();
        }
    }

    /** The broadcaster: builds one message per period and offers it to every client. */
    private void broadcast() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(2048);
        long seq = 0;
        long next = System.nanoTime();
        while (broadcaster == Thread.currentThread()) {
            long period = (long) (1e9 / settings.rateHz());
            next += period;
            long now = System.nanoTime();
            if (next < now - period) {
                next = now; // a long pause (GC, suspend): start again from now rather than burst
            }
            LockSupport.parkNanos(next - now);
            if (Thread.interrupted() && broadcaster != Thread.currentThread()) {
                return;
            }
            if (clients.isEmpty()) {
                continue;
            }
            buffer.reset();
            try (JsonGenerator g = JSON.createGenerator(buffer)) {
                writeTelemetry(g, ++seq);
            } catch (IOException | RuntimeException e) {
                log.error("telemetry message not built: {}", e.toString());
                continue;
            }
            byte[] message = buffer.toByteArray();
            long queued = 0;
            now = System.nanoTime();
            for (TelemetryClient c : clients) {
                c.offer(message);
                c.abortIfStuck(now, ABORT_GRACE_NANOS);
                queued += Math.max(0, c.queuedBytes());
            }
            sent.incrementAndGet();
            maxQueuedBytes.accumulateAndGet(queued, Math::max);
        }
    }

    private void writeTelemetry(JsonGenerator g, long seq) throws IOException {
        g.writeStartObject();
        g.writeNumberField("seq", seq);
        g.writeNumberField("t", Math.round((System.nanoTime() - startNanos) / 1e6) / 1000.0);
        g.writeFieldName("safety");
        api.safety().write(g);
        g.writeArrayFieldStart("loops");
        for (String name : api.robot().loopNames()) {
            TunableLoop l = api.robot().tunableLoop(name);
            LoopStatistics s = api.robot().loopStatistics(name);
            g.writeStartObject();
            g.writeStringField("name", name);
            if (l != null) {
                ApiJson.writeNumber(g, "setpoint", l.setpoint());
                ApiJson.writeNumber(g, "measurement", l.measurement());
                ApiJson.writeNumber(g, "output", l.output());
            }
            if (s != null) {
                g.writeNumberField("cycles", s.cycles());
                g.writeNumberField("overruns", s.overruns());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** @return the counters as JSON: clients now, and since start connected, dropped, closed, refused, messages sent */
    String counters() {
        int queuedMessages = 0;
        long queuedBytes = 0;
        for (TelemetryClient c : clients) {
            queuedMessages += c.queuedMessages();
            queuedBytes += Math.max(0, c.queuedBytes());
        }
        Settings s = settings;
        return "{\"clients\":" + clients.size() + ",\"connected\":" + connected.get() + ",\"droppedSlow\":" + droppedSlow.get()
                + ",\"closedTooLarge\":" + closedTooLarge.get() + ",\"closedFlooding\":" + closedFlooding.get()
                + ",\"refused\":" + refused.get() + ",\"messages\":" + sent.get() + ",\"queuedMessages\":" + queuedMessages
                + ",\"queuedBytes\":" + queuedBytes + ",\"maxQueuedBytes\":" + maxQueuedBytes.get()
                + ",\"rateHz\":" + s.rateHz() + ",\"queueMessages\":" + s.queueMessages() + ",\"maxIncomingBytes\":" + s.maxIncomingBytes() + "}";
    }
}
