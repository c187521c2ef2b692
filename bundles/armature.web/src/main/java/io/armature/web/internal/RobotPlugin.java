package io.armature.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.core.JsonGenerator;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.hal.AnalogInput;
import io.armature.hal.Board;
import io.armature.hal.Channel;
import io.armature.hal.DigitalInput;
import io.armature.hal.DigitalOutput;
import io.armature.hal.PwmOutput;

/**
 * The Web Console page "Robot" (category Armature) at {@code /system/console/robot}: live plots
 * of each loop from the WebSocket telemetry, lateness histograms and overruns, board channels,
 * safety state with e-stop and reset, PID tuning, step-response capture and links to the
 * configuration forms of the Armature PIDs.
 *
 * <p>The Web Console has already checked the user's credentials. Reads and actions go through
 * the REST API's own code ({@code robot/api/...} is {@link RestApi} without a second password
 * prompt), so the CSRF token, the Origin check and every refusal are the same.
 */
@Component(service = Servlet.class, immediate = true, property = {
        "felix.webconsole.label=" + RobotPlugin.LABEL,
        "felix.webconsole.title=Robot",
        "felix.webconsole.category=Armature"})
public final class RobotPlugin extends AbstractServlet {

    private static final long serialVersionUID = 1L;

    static final String LABEL = "robot";
    /** Longest step-response record, in s. */
    static final double MAX_STEP_SECONDS = 5.0;
    /** Width of a bar of the lateness histogram, in ns, and how many bars. */
    static final long HISTOGRAM_BUCKET_NANOS = 10_000;
    static final int HISTOGRAM_BUCKETS = 50;
    /** Points of a step-response record sent to the page; the figures use every sample. */
    static final int STEP_POINTS = 500;

    private final transient RestApi api;
    private final transient ConfigurationAdmin configAdmin;
    private final transient Logger log;
    private final transient ReentrantLock stepping = new ReentrantLock();

    @Activate
    public RobotPlugin(@Reference RestApi api, @Reference ConfigurationAdmin configAdmin,
            @Reference(service = LoggerFactory.class) Logger log) {
        this.api = api;
        this.configAdmin = configAdmin;
        this.log = log;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String rest = subPath(req);
        if (rest.startsWith("/api/")) {
            forward(req, resp, rest.substring("/api".length()));
        } else if (rest.equals("/data")) {
            send(resp, 200, ApiJson.json(this::writePage));
        } else {
            spoolResource(req, resp); // /res/...; anything else is the page itself (renderContent)
        }
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String rest = subPath(req);
        if (rest.startsWith("/api/")) {
            forward(req, resp, rest.substring("/api".length()));
        } else {
            RestApi.Reply r = rest.equals("/step") ? step(req) : ApiJson.error(404, "no such action; POST api/... or step");
            send(resp, r.status(), r.json());
        }
    }

    /** @return the request's path below the page, such as {@code /api/loops} or {@code /data} */
    private static String subPath(HttpServletRequest req) {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        return path.startsWith("/" + LABEL) ? path.substring(LABEL.length() + 1) : path;
    }

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/res/robot.html")) {
            resp.getWriter().write(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private void forward(HttpServletRequest req, HttpServletResponse resp, String apiPath) throws IOException {
        RestApi.Reply r = api.handleAuthenticated(new RestApi.Request(req.getMethod(), apiPath, req::getHeader, req.getScheme(),
                req.getContentLengthLong(), req.getInputStream(), req.getLocalAddr(), req.getLocalPort()));
        RestApi.write(resp, r);
    }

    private static void send(HttpServletResponse resp, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        setNoCache(resp);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** What the page shows besides the telemetry: token, loops with histograms, channels, configurations. */
    private void writePage(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("token", api.guard().csrfToken());
        g.writeStringField("csrfHeader", ApiGuard.CSRF_HEADER);
        g.writeArrayFieldStart("loops");
        for (String name : api.robot().loopNames()) {
            LoopStatistics s = api.robot().loopStatistics(name);
            g.writeStartObject();
            g.writeStringField("name", name);
            if (s != null) {
                g.writeNumberField("overruns", s.overruns());
                g.writeNumberField("cycles", s.cycles());
                g.writeNumberField("latenessP99Micros", s.latenessNanos(99.0) / 1000.0);
                g.writeNumberField("latenessP999Micros", s.latenessNanos(99.9) / 1000.0);
                g.writeNumberField("latenessMaxMicros", s.maxLatenessNanos() / 1000.0);
                ApiJson.writeLatenessCauses(g, s.latenessCauses());
                g.writeNumberField("bucketMicros", HISTOGRAM_BUCKET_NANOS / 1000.0);
                g.writeArrayFieldStart("lateness");
                for (long c : s.latenessCounts(HISTOGRAM_BUCKET_NANOS, HISTOGRAM_BUCKETS)) {
                    g.writeNumber(c);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("channels");
        for (Board b : api.robot().boards()) {
            for (Channel c : b.channels()) {
                g.writeStartObject();
                g.writeStringField("board", b.info().id());
                g.writeStringField("name", c.name());
                g.writeStringField("type", c.info().type().name());
                g.writeStringField("value", channelValue(c));
                g.writeStringField("safeState", c.info().safeState());
                g.writeEndObject();
            }
        }
        g.writeEndArray();
        g.writeArrayFieldStart("configurations");
        for (Map.Entry<String, String> e : armatureConfigurations().entrySet()) {
            g.writeStartObject();
            g.writeStringField("pid", e.getKey());
            g.writeStringField("title", e.getValue());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static String channelValue(Channel c) {
        try {
            if (c instanceof PwmOutput p) {
                return Integer.toString(p.duty());
            } else if (c instanceof DigitalOutput d) {
                return d.get() ? "1" : "0";
            } else if (c instanceof DigitalInput d) {
                return d.read() ? "1" : "0";
            } else if (c instanceof AnalogInput a) {
                return a.readMillivolts() + " mV";
            }
            return "";
        } catch (RuntimeException e) {
            return "error: " + e.getMessage();
        }
    }

    /** @return PID to a title (the loop or device name where it has one), of every Armature configuration */
    private Map<String, String> armatureConfigurations() {
        Map<String, String> out = new TreeMap<>();
        out.put(TelemetrySocket.PID, TelemetrySocket.PID);
        try {
            Configuration[] all = configAdmin.listConfigurations("(service.pid=armature.*)");
            for (Configuration c : all == null ? new Configuration[0] : all) {
                Object loop = c.getProperties() == null ? null : c.getProperties().get("armature.loop.name");
                out.put(c.getPid(), loop == null ? c.getPid() : c.getFactoryPid() + " (" + loop + ")");
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            log.warn("cannot list the Armature configurations: {}", e.toString());
        }
        return out;
    }

    /**
     * Applies a step to a loop's setpoint (through the motion-command path as the web's source, as
     * the REST API does), samples its measurement about every millisecond for the requested time and answers the
     * figures with the record. One capture at a time.
     */
    RestApi.Reply step(HttpServletRequest req) {
        try {
            api.guard().checkHost(req.getHeader("Host"), req.getLocalAddr(), req.getLocalPort());
            api.guard().checkOrigin(req.getHeader("Origin"), req.getScheme(), req.getHeader("Host"));
            api.guard().checkPost(req.getHeader(ApiGuard.CSRF_HEADER), req.getHeader("Content-Type"));
            JsonBody b = JsonBody.read(req.getInputStream(), req.getContentLengthLong(), Set.of("loop", "setpoint", "seconds"));
            String name = b.string("loop", null, RestApi.MAX_REASON);
            TunableLoop loop = name == null ? null : api.robot().tunableLoop(name);
            if (loop == null) {
                throw new ApiException(404, "no loop '" + (name == null ? "" : name.replaceAll("[^\\w.-]", "?")) + "'; give {\"loop\": name, \"setpoint\": value, \"seconds\": 0.2.." + MAX_STEP_SECONDS + "}");
            }
            double target = b.number("setpoint");
            double seconds = b.number("seconds", 1.0);
            if (!(seconds >= 0.2 && seconds <= MAX_STEP_SECONDS)) {
                throw new ApiException(400, "seconds must be 0.2.." + MAX_STEP_SECONDS + ", was " + seconds);
            }
            if (!stepping.tryLock()) {
                throw new ApiException(409, "a step response is being recorded; try again when it is done");
            }
            try {
                return new RestApi.Reply(200, record(loop, target, seconds));
            } finally {
                stepping.unlock();
            }
        } catch (ApiException e) {
            return ApiJson.error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return ApiJson.error(400, e.getMessage());
        } catch (IllegalStateException e) {
            return ApiJson.error(409, e.getMessage()); // tripped, or no supervisor: nothing moved
        } catch (IOException | RuntimeException e) {
            log.error("step response failed: {}", e.toString());
            return ApiJson.error(500, "internal error: " + e.getClass().getSimpleName() + "; the runtime log has the details");
        }
    }

    private String record(TunableLoop loop, double target, double seconds) throws IOException {
        double initial = loop.setpoint();
        if (initial == target) {
            throw new IllegalArgumentException("the loop is already at setpoint " + target + "; step to another value");
        }
        int n = (int) Math.ceil(seconds * 1000);
        double[] t = new double[n];
        double[] y = new double[n];
        api.robot().requireCommands().setpoint(RestApi.SOURCE, loop.name(), target); // refused beyond the loop's limit or while tripped: nothing changed
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + TimeUnit.MILLISECONDS.toNanos(i);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            t[i] = (System.nanoTime() - start) / 1e9;
            y[i] = loop.measurement();
        }
        StepResponse r = StepResponse.of(initial, target, t, y);
        return ApiJson.json(g -> {
            g.writeStartObject();
            g.writeStringField("loop", loop.name());
            g.writeNumberField("from", initial);
            g.writeNumberField("to", target);
            ApiJson.writeNumber(g, "riseSeconds", r.riseSeconds());
            ApiJson.writeNumber(g, "overshootPercent", r.overshootPercent());
            ApiJson.writeNumber(g, "settlingSeconds", r.settlingSeconds());
            ApiJson.writeNumber(g, "finalValue", r.finalValue());
            ApiJson.writeNumber(g, "steadyStateErrorPercent", r.steadyStateErrorPercent());
            g.writeArrayFieldStart("t");
            int every = Math.max(1, n / STEP_POINTS);
            for (int i = 0; i < n; i += every) {
                g.writeNumber(Math.round(t[i] * 1e4) / 1e4);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("y");
            for (int i = 0; i < n; i += every) {
                if (Double.isFinite(y[i])) {
                    g.writeNumber(y[i]);
                } else {
                    g.writeNull();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }
}
