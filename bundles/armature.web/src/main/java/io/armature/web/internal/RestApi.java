package io.armature.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.control.ControlLoop;
import io.armature.control.LoopStatistics;
import io.armature.control.PidGains;
import io.armature.control.TunableLoop;
import io.armature.deploy.ApplyResult;
import io.armature.deploy.BundleChange;
import io.armature.deploy.FeatureDeployer;
import io.armature.hal.Actuator;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;
import io.armature.kit.motion.DirectStop;

/**
 * The JSON REST API under {@value #PATH}: status, loops, streams to read; setpoint, gains,
 * controller, e-stop and reset to act. Every request needs the Web Console's credentials, every
 * POST the CSRF token and a JSON body (see {@link ApiGuard}, {@link JsonBody}); a refused request
 * is a 4xx with {@code {"error": "..."}} and changes nothing.
 */
@Component(service = {Servlet.class, RestApi.class}, immediate = true, property = {
        "osgi.http.whiteboard.servlet.pattern=" + RestApi.PATH + "*",
        "osgi.http.whiteboard.servlet.name=armature-rest-api"})
public final class RestApi extends HttpServlet {

    private static final long serialVersionUID = 1L;

    static final String PATH = "/armature/api/";
    /** Who the supervisor hears an e-stop or reset came from. */
    static final String SOURCE = "web";
    static final int MAX_REASON = 200;

    private static final JsonFactory JSON = new JsonFactory();

    private final transient ApiGuard guard;
    private final transient Logger log;

    // During a side-by-side update two instances of a loop share a name: requests go to the one
    // that drives, statistics come from the newer engine (as the robot:* commands do).
    private final transient Map<String, List<TunableLoop>> loops = new ConcurrentHashMap<>();
    private final transient Map<String, List<LoopStatistics>> statistics = new ConcurrentHashMap<>();
    private final transient Set<SampleStream<?>> streams = ConcurrentHashMap.newKeySet();
    private final transient Set<Board> boards = ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile SafetySupervisor safety;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile FeatureDeployer deployer;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile MotionCommands commands;

    @Activate
    public RestApi(@Reference ConsoleCredentials credentials, @Reference(service = LoggerFactory.class) Logger log, BundleContext context) {
        this(new ApiGuard(credentials::accepts, new SecureRandom()), log);
        guard.allowHosts(context.getProperty(ApiGuard.ALLOWED_HOSTS_PROPERTY));
    }

    RestApi(ApiGuard guard, Logger log) {
        this.guard = guard;
        this.log = log;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop, Map<String, Object> props) {
        loops.computeIfAbsent(name(props), n -> new CopyOnWriteArrayList<>()).add(loop);
    }

    void removeLoop(TunableLoop loop, Map<String, Object> props) {
        loops.getOrDefault(name(props), List.of()).remove(loop);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStatistics(LoopStatistics s, Map<String, Object> props) {
        statistics.computeIfAbsent(name(props), n -> new CopyOnWriteArrayList<>()).add(s);
    }

    void removeStatistics(LoopStatistics s, Map<String, Object> props) {
        statistics.getOrDefault(name(props), List.of()).remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s) {
        streams.add(s);
    }

    void removeStream(SampleStream<?> s) {
        streams.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        boards.add(b);
    }

    void removeBoard(Board b) {
        boards.remove(b);
    }

    void setSafety(SafetySupervisor s) {
        safety = s;
    }

    void setCommands(MotionCommands c) {
        commands = c;
    }

    /** @return the motion-command path, through which every command of the web goes */
    MotionCommands requireCommands() {
        MotionCommands c = commands;
        if (c == null) {
            throw new IllegalStateException("no motion-command service is running (bundle armature.control): nothing moves");
        }
        return c;
    }

    void setDeployer(FeatureDeployer d) {
        deployer = d;
    }

    private static String name(Map<String, Object> props) {
        return String.valueOf(props.get(ControlLoop.PROPERTY_NAME));
    }

    /** A reply: status and JSON body. */
    record Reply(int status, String json) {
    }

    /** What the API needs of a request. */
    record Request(String method, String path, UnaryOperator<String> header, String scheme, long contentLength, InputStream body,
            String localAddress, int localPort) {
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        Reply reply = handle(new Request(req.getMethod(), path, req::getHeader, req.getScheme(), req.getContentLengthLong(), req.getInputStream(),
                req.getLocalAddr(), req.getLocalPort()));
        resp.setStatus(reply.status());
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        if (reply.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"" + ApiGuard.REALM + "\", charset=\"UTF-8\"");
        }
        byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** Handles one request; never throws: every failure is a reply with an error message. */
    Reply handle(Request r) {
        try {
            guard.authenticate(r.header().apply("Authorization"));
        } catch (ApiException e) {
            return error(e.status(), e.getMessage());
        }
        return handleAuthenticated(r);
    }

    /**
     * Handles a request whose caller has already shown the console's credentials (to the Web
     * Console, for the Robot page): every other check applies as in {@link #handle}.
     */
    Reply handleAuthenticated(Request r) {
        try {
            guard.checkHost(r.header().apply("Host"), r.localAddress(), r.localPort());
            guard.checkOrigin(r.header().apply("Origin"), r.scheme(), r.header().apply("Host"));
            String[] parts = r.path().replaceAll("^/+|/+$", "").split("/", -1);
            if (r.method().equals("GET")) {
                return new Reply(200, get(parts));
            }
            if (!r.method().equals("POST")) {
                throw new ApiException(405, "method " + oneWord(r.method()) + " is not allowed; use GET to read and POST to act");
            }
            guard.checkPost(r.header().apply(ApiGuard.CSRF_HEADER), r.header().apply("Content-Type"));
            if (parts.length == 3 && parts[0].equals("features") && parts[2].equals("apply")) {
                return applyFeature(parts[1], r);
            }
            return new Reply(200, post(parts, r));
        } catch (ApiException e) {
            return error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage()); // the loop or the gains refused the value; nothing changed
        } catch (SecurityException e) {
            return error(403, e.getMessage()); // a source without the right, for example to reset
        } catch (IllegalStateException e) {
            return error(409, e.getMessage()); // for example: reset while a condition is still unhealthy
        } catch (IOException | RuntimeException e) {
            log.error("REST API {} {} failed: {}", r.method(), r.path(), e.toString());
            return error(500, "internal error: " + e.getClass().getSimpleName() + "; the runtime log has the details");
        }
    }

    private String get(String[] parts) throws ApiException, IOException {
        return switch (String.join("/", parts)) {
            case "csrf" -> json(g -> {
                g.writeStartObject();
                g.writeStringField("header", ApiGuard.CSRF_HEADER);
                g.writeStringField("token", guard.csrfToken());
                g.writeEndObject();
            });
            case "status" -> json(this::writeStatus);
            case "loops" -> json(g -> {
                g.writeStartArray();
                for (String name : loopNames()) {
                    writeLoop(g, name);
                }
                g.writeEndArray();
            });
            case "streams" -> json(this::writeStreams);
            case "features" -> {
                FeatureDeployer d = requireDeployer();
                yield json(g -> writeFeatures(g, d));
            }
            default -> {
                if (parts.length == 2 && parts[0].equals("loops")) {
                    String name = loop(parts[1]).name();
                    yield json(g -> writeLoop(g, name));
                }
                throw notFound(parts);
            }
        };
    }

    private String post(String[] parts, Request r) throws ApiException, IOException {
        if (parts.length == 3 && parts[0].equals("loops")) {
            TunableLoop loop = loop(parts[1]);
            switch (parts[2]) {
                case "setpoint" -> requireCommands().setpoint(SOURCE, loop.name(), body(r, "setpoint").number("setpoint"));
                case "gains" -> {
                    JsonBody b = body(r, "kp", "ki", "kd", "ks", "kv");
                    PidGains g = loop.gains();
                    if (!(b.has("kp") || b.has("ki") || b.has("kd") || b.has("ks") || b.has("kv"))) {
                        throw new ApiException(400, "give at least one of kp, ki, kd, ks, kv");
                    }
                    loop.setGains(new PidGains(b.number("kp", g.kp()), b.number("ki", g.ki()), b.number("kd", g.kd()),
                            b.number("ks", g.ks()), b.number("kv", g.kv())));
                }
                case "controller" -> loop.switchController(body(r, "name").string("name", null, MAX_REASON));
                default -> throw notFound(parts);
            }
            return json(g -> writeLoop(g, loop.name()));
        }
        switch (String.join("/", parts)) {
            case "estop" -> {
                String reason = body(r, "reason").string("reason", "e-stop from the REST API", MAX_REASON);
                MotionCommands c = commands;
                if (c != null) {
                    c.estop(SOURCE, reason); // never refused, also without a supervisor
                } else {
                    log.error("E-STOP from the web with no motion-command service running: {}", DirectStop.estop(SOURCE, reason, safety, boards));
                }
            }
            case "reset" -> {
                body(r);
                SafetySupervisor s = safety;
                if (s == null || !s.mayMove()) {
                    requireCommands().reset(SOURCE);
                }
            }
            default -> throw notFound(parts);
        }
        return json(this::writeSafety);
    }

    private static JsonBody body(Request r, String... fields) throws ApiException, IOException {
        return JsonBody.read(r.body(), r.contentLength(), Set.of(fields));
    }

    private void writeStatus(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeFieldName("safety");
        writeSafety(g);
        g.writeArrayFieldStart("boards");
        for (Board b : boards) {
            List<Channel> channels = b.channels();
            g.writeStartObject();
            g.writeStringField("id", b.info().id());
            g.writeStringField("model", b.info().model());
            g.writeStringField("backend", b.info().backend());
            g.writeNumberField("channels", b.info().channels().size());
            g.writeNumberField("actuators", channels.stream().filter(Actuator.class::isInstance).count());
            g.writeNumberField("actuatorsSafe", channels.stream().filter(c -> c instanceof Actuator a && a.isSafe()).count());
            g.writeBooleanField("motionPermitted", b.motionPermitted());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("loops");
        for (String name : loopNames()) {
            g.writeString(name);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("streams");
        for (String name : streamsByName().keySet()) {
            g.writeString(name);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    void writeSafety(JsonGenerator g) throws IOException {
        SafetySupervisor s = safety;
        g.writeStartObject();
        if (s == null) {
            g.writeStringField("state", "UNSUPERVISED");
            g.writeStringField("message", "no safety supervisor is installed: nothing moves");
        } else {
            g.writeStringField("state", s.state().name());
            g.writeBooleanField("mayMove", s.mayMove());
            var trip = s.tripReason();
            if (trip.isPresent()) {
                g.writeObjectFieldStart("trip");
                g.writeStringField("source", trip.get().source());
                g.writeStringField("reason", trip.get().message());
                g.writeNumberField("secondsAgo", Math.round((System.nanoTime() - trip.get().monotonicNanos()) / 1e8) / 10.0);
                g.writeEndObject();
            }
        }
        g.writeEndObject();
    }

    /** One loop: what robot:loops and robot:pid show, in their units. */
    private void writeLoop(JsonGenerator g, String name) throws IOException {
        TunableLoop l = pick(loops.get(name));
        LoopStatistics s = newest(statistics.get(name));
        g.writeStartObject();
        g.writeStringField("name", name);
        if (l != null) {
            g.writeStringField("unit", l.unit());
            writeNumber(g, "setpoint", l.setpoint());
            MotionCommands c = commands;
            String owner = c == null ? null : c.owner(name).orElse(null);
            if (owner != null) {
                g.writeStringField("commandedBy", owner);
            }
            writeNumber(g, "measurement", l.measurement());
            writeNumber(g, "output", l.output());
            g.writeStringField("controller", l.controller());
            PidGains p = l.gains();
            g.writeObjectFieldStart("gains");
            writeNumber(g, "kp", p.kp());
            writeNumber(g, "ki", p.ki());
            writeNumber(g, "kd", p.kd());
            writeNumber(g, "ks", p.ks());
            writeNumber(g, "kv", p.kv());
            g.writeEndObject();
            if (l.fault().isPresent()) {
                g.writeStringField("fault", l.fault().get());
            }
        }
        if (s != null) {
            writeNumber(g, "rateHz", s.rateHz());
            g.writeNumberField("cycles", s.cycles());
            g.writeNumberField("overruns", s.overruns());
            g.writeNumberField("latenessP99Micros", s.latenessNanos(99.0) / 1000.0);
            g.writeNumberField("latenessP999Micros", s.latenessNanos(99.9) / 1000.0);
            g.writeBooleanField("realTime", s.realTime());
            if (s.failure().isPresent()) {
                g.writeStringField("failure", s.failure().get());
            }
        }
        g.writeEndObject();
    }

    private void writeStreams(JsonGenerator g) throws IOException {
        g.writeStartArray();
        for (SampleStream<?> s : streamsByName().values()) {
            g.writeStartObject();
            g.writeStringField("name", s.name());
            writeNumber(g, "rateHz", s.rateHz());
            g.writeNumberField("readers", s.readers());
            g.writeNumberField("published", s.published());
            g.writeNumberField("lost", s.lostCount());
            g.writeNumberField("invalid", s.invalidCount());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** The features in the repository, the installed one, and what applying each would change. */
    private static void writeFeatures(JsonGenerator g, FeatureDeployer d) throws IOException {
        g.writeStartObject();
        g.writeStringField("installed", d.installed().orElse(null));
        g.writeArrayFieldStart("features");
        for (String name : d.available()) {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeBooleanField("installed", d.installed().filter(name::equals).isPresent());
            try {
                writeChanges(g, d.diff(name));
            } catch (IllegalArgumentException e) {
                g.writeStringField("error", e.getMessage());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /**
     * Applies a feature; blocks until its health gate passed or the previous set is back. 200 when
     * applied or unchanged, 409 with the outcome when refused or rolled back.
     */
    private Reply applyFeature(String name, Request r) throws ApiException, IOException {
        FeatureDeployer d = requireDeployer();
        body(r);
        if (!d.available().contains(name)) {
            try {
                d.diff(name);
            } catch (IllegalArgumentException e) {
                throw new ApiException(404, e.getMessage());
            }
        }
        ApplyResult result = d.apply(name);
        String json = json(g -> {
            g.writeStartObject();
            g.writeStringField("feature", result.feature());
            g.writeStringField("outcome", result.outcome().name());
            g.writeStringField("message", result.message());
            g.writeNumberField("millis", result.durationMillis());
            writeChanges(g, result.changes());
            if (result.outcome() == ApplyResult.Outcome.REFUSED || result.outcome() == ApplyResult.Outcome.ROLLED_BACK) {
                g.writeStringField("error", result.message()); // as every refusal of the API says why
            }
            g.writeEndObject();
        });
        boolean refused = result.outcome() == ApplyResult.Outcome.REFUSED || result.outcome() == ApplyResult.Outcome.ROLLED_BACK;
        return new Reply(refused ? 409 : 200, json);
    }

    private static void writeChanges(JsonGenerator g, List<BundleChange> changes) throws IOException {
        g.writeArrayFieldStart("changes");
        for (BundleChange c : changes) {
            g.writeStartObject();
            g.writeStringField("kind", c.kind().name());
            g.writeStringField("bundle", c.symbolicName());
            g.writeStringField("from", c.fromVersion());
            g.writeStringField("to", c.toVersion());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private FeatureDeployer requireDeployer() throws ApiException {
        FeatureDeployer d = deployer;
        if (d == null) {
            throw new ApiException(404, "no feature deployer is installed (bundle armature.deploy)");
        }
        return d;
    }

    /** JSON has no NaN or infinity: such a value (a loop before its first measurement) is null. */
    static void writeNumber(JsonGenerator g, String field, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(field, v);
        } else {
            g.writeNullField(field);
        }
    }

    ApiGuard guard() {
        return guard;
    }

    /** @return the supervisor, or null when none is installed */
    SafetySupervisor safety() {
        return safety;
    }

    Set<Board> boards() {
        return boards;
    }

    /** @return the instance of that loop that drives, or null when there is none */
    TunableLoop tunableLoop(String name) {
        return pick(loops.get(name));
    }

    /** @return the statistics of the newest engine that runs that loop, or null */
    LoopStatistics loopStatistics(String name) {
        return newest(statistics.get(name));
    }

    private Map<String, SampleStream<?>> streamsByName() {
        Map<String, SampleStream<?>> byName = new TreeMap<>();
        streams.forEach(s -> byName.put(s.name(), s));
        return byName;
    }

    Set<String> loopNames() {
        Set<String> names = new java.util.TreeSet<>();
        loops.forEach((n, all) -> {
            if (!all.isEmpty()) {
                names.add(n);
            }
        });
        statistics.forEach((n, all) -> {
            if (!all.isEmpty()) {
                names.add(n);
            }
        });
        return names;
    }

    private TunableLoop loop(String name) throws ApiException {
        TunableLoop l = pick(loops.get(name));
        if (l == null) {
            Set<String> known = new java.util.TreeSet<>();
            loops.forEach((n, all) -> {
                if (!all.isEmpty()) {
                    known.add(n);
                }
            });
            throw new ApiException(404, "no loop '" + oneWord(name) + "'; loops: " + (known.isEmpty() ? "none running" : String.join(", ", known)));
        }
        return l;
    }

    private static TunableLoop pick(List<TunableLoop> all) {
        if (all == null || all.isEmpty()) {
            return null;
        }
        for (TunableLoop l : all) {
            if (!l.isStandby()) {
                return l;
            }
        }
        return all.get(0);
    }

    private static LoopStatistics newest(List<LoopStatistics> all) {
        return all == null || all.isEmpty() ? null : all.get(all.size() - 1);
    }

    private static ApiException notFound(String[] parts) {
        return new ApiException(404, "no such resource " + PATH + oneWord(String.join("/", parts))
                + "; see status, loops, loops/{name}, streams, features, csrf (GET) and loops/{name}/setpoint|gains|controller, estop, reset, features/{name}/apply (POST)");
    }

    private static String oneWord(String s) {
        String clean = s.replaceAll("[^\\w./{}-]", "?");
        return clean.length() <= 60 ? clean : clean.substring(0, 60) + "...";
    }

    static Reply error(int status, String message) {
        try {
            return new Reply(status, json(g -> {
                g.writeStartObject();
                g.writeStringField("error", message);
                g.writeEndObject();
            }));
        } catch (IOException cannotHappen) { // writing to a StringWriter
            throw new IllegalStateException(cannotHappen);
        }
    }

    @FunctionalInterface
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    static String json(JsonWriter w) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            w.write(g);
        }
        return out.toString();
    }
}
