package io.armature.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

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

import io.armature.control.LoopStatistics;
import io.armature.control.TunableLoop;
import io.armature.deploy.FeatureDeployer;
import io.armature.recording.Recorder;
import io.armature.hal.Board;
import io.armature.motion.MotionCommands;
import io.armature.safety.SafetySupervisor;
import io.armature.sensor.SampleStream;

/**
 * The JSON REST API under {@value #PATH}: status, loops, streams to read; setpoint, gains,
 * controller, e-stop and reset to act. Every request needs the Web Console's credentials, every
 * POST the CSRF token and a JSON body (see {@link ApiGuard}, {@link JsonBody}); a refused request
 * is a 4xx with {@code {"error": "..."}} and changes nothing. This class checks and routes; the
 * resources ({@link LoopResource}, {@link SafetyResource}, {@link StatusResource},
 * {@link FeatureResource}) answer.
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

    private final transient ApiGuard guard;
    private final transient Logger log;
    private final transient RobotServices robot = new RobotServices();
    private final transient LoopResource loops = new LoopResource(robot);
    private final transient SafetyResource safety;
    private final transient StatusResource status;
    private final transient FeatureResource features = new FeatureResource(robot);
    private final transient BundleResource bundles = new BundleResource(robot);
    private final transient RecordingResource recordings = new RecordingResource(robot);

    @Activate
    public RestApi(@Reference ConsoleCredentials credentials, @Reference(service = LoggerFactory.class) Logger log, BundleContext context) {
        this(new ApiGuard(credentials::accepts, new SecureRandom()), log);
        guard.allowHosts(context.getProperty(ApiGuard.ALLOWED_HOSTS_PROPERTY));
    }

    RestApi(ApiGuard guard, Logger log) {
        this.guard = guard;
        this.log = log;
        this.safety = new SafetyResource(robot, log);
        this.status = new StatusResource(robot, safety);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addLoop(TunableLoop loop, Map<String, Object> props) {
        robot.loops.add(loop, props);
    }

    void removeLoop(TunableLoop loop) {
        robot.loops.remove(loop);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStatistics(LoopStatistics s, Map<String, Object> props) {
        robot.statistics.add(s, props);
    }

    void removeStatistics(LoopStatistics s) {
        robot.statistics.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addStream(SampleStream<?> s, Map<String, Object> props) {
        robot.streams.add(s, props);
    }

    void removeStream(SampleStream<?> s) {
        robot.streams.remove(s);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoard(Board b) {
        robot.boards.add(b);
    }

    void removeBoard(Board b) {
        robot.boards.remove(b);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setSafety(SafetySupervisor s) {
        robot.setSafety(s);
    }

    void unsetSafety(SafetySupervisor s) {
        robot.unsetSafety(s);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setCommands(MotionCommands c) {
        robot.setCommands(c);
    }

    void unsetCommands(MotionCommands c) {
        robot.unsetCommands(c);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setDeployer(FeatureDeployer d) {
        robot.setDeployer(d);
    }

    void unsetDeployer(FeatureDeployer d) {
        robot.unsetDeployer(d);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setRecorder(Recorder r) {
        robot.recorder.set(r);
    }

    void unsetRecorder(Recorder r) {
        robot.recorder.compareAndSet(r, null);
    }

    /** A reply: status and JSON body, or a file to download (its JSON then unused). */
    record Reply(int status, String json, Path file, String contentType) {

        Reply(int status, String json) {
            this(status, json, null, null);
        }

        /** @return 200 with the file as an attachment */
        static Reply file(Path file, String contentType) {
            return new Reply(200, "", file, contentType);
        }
    }

    /** Writes a reply: JSON, never cached nor sniffed, or a file as an attachment; a 401 asks for the credentials. */
    static void write(HttpServletResponse resp, Reply reply) throws IOException {
        resp.setStatus(reply.status());
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        if (reply.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Basic realm=\"" + ApiGuard.REALM + "\", charset=\"UTF-8\"");
        }
        if (reply.file() != null) {
            resp.setContentType(reply.contentType());
            resp.setHeader("Content-Disposition", "attachment; filename=\"" + reply.file().getFileName() + "\"");
            resp.setContentLengthLong(Files.size(reply.file()));
            Files.copy(reply.file(), resp.getOutputStream());
            return;
        }
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** What the API needs of a request. */
    record Request(String method, String path, UnaryOperator<String> header, String scheme, long contentLength, InputStream body,
            String localAddress, int localPort) {

        /** @return the JSON body, which may hold only {@code fields} */
        JsonBody jsonBody(String... fields) throws ApiException, IOException {
            return JsonBody.read(body, contentLength, Set.of(fields));
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        Reply reply = handle(new Request(req.getMethod(), path, req::getHeader, req.getScheme(), req.getContentLengthLong(), req.getInputStream(),
                req.getLocalAddr(), req.getLocalPort()));
        write(resp, reply);
    }

    /** Handles one request; never throws: every failure is a reply with an error message. */
    Reply handle(Request r) {
        try {
            guard.authenticate(r.header().apply("Authorization"));
        } catch (ApiException e) {
            return ApiJson.error(e.status(), e.getMessage());
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
                if (parts.length == 2 && parts[0].equals("recordings")) {
                    return recordings.download(parts[1]); // a file, not JSON
                }
                return new Reply(200, get(parts));
            }
            if (!r.method().equals("POST")) {
                throw new ApiException(405, "method " + ApiJson.oneWord(r.method()) + " is not allowed; use GET to read and POST to act");
            }
            if (parts.length == 3 && parts[0].equals("bundles") && parts[2].equals("swap")) {
                guard.checkCsrf(r.header().apply(ApiGuard.CSRF_HEADER));
                return bundles.swap(parts[1], r); // the body is a jar, not JSON
            }
            guard.checkPost(r.header().apply(ApiGuard.CSRF_HEADER), r.header().apply("Content-Type"));
            if (parts.length == 3 && parts[0].equals("features") && parts[2].equals("apply")) {
                return features.apply(parts[1], r);
            }
            return new Reply(200, post(parts, r));
        } catch (ApiException e) {
            return ApiJson.error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return ApiJson.error(400, e.getMessage()); // the loop or the gains refused the value; nothing changed
        } catch (SecurityException e) {
            return ApiJson.error(403, e.getMessage()); // a source without the right, for example to reset
        } catch (IllegalStateException e) {
            return ApiJson.error(409, e.getMessage()); // for example: reset while a condition is still unhealthy
        } catch (IOException | RuntimeException e) {
            log.error("REST API {} {} failed: {}", r.method(), r.path(), e.toString());
            return ApiJson.error(500, "internal error: " + e.getClass().getSimpleName() + "; the runtime log has the details");
        }
    }

    private String get(String[] parts) throws ApiException, IOException {
        return switch (String.join("/", parts)) {
            case "csrf" -> ApiJson.json(g -> {
                g.writeStartObject();
                g.writeStringField("header", ApiGuard.CSRF_HEADER);
                g.writeStringField("token", guard.csrfToken());
                g.writeEndObject();
            });
            case "status" -> status.status();
            case "loops" -> loops.list();
            case "streams" -> status.streams();
            case "features" -> features.list();
            case "deployment" -> features.progress();
            case "recording" -> recordings.status();
            case "recordings" -> recordings.list();
            case "bundles" -> bundles.list();
            default -> {
                if (parts.length == 2 && parts[0].equals("loops")) {
                    yield loops.get(parts[1]);
                }
                throw notFound(parts);
            }
        };
    }

    private String post(String[] parts, Request r) throws ApiException, IOException {
        String reply = switch (parts.length == 3 && parts[0].equals("loops") ? "loops/{name}/{action}" : String.join("/", parts)) {
            case "loops/{name}/{action}" -> loops.post(parts[1], parts[2], r);
            case "estop" -> safety.estop(r);
            case "reset" -> safety.reset(r);
            case "recording/start" -> recordings.start(r);
            case "recording/stop" -> {
                r.jsonBody();
                yield recordings.stop();
            }
            default -> null;
        };
        if (reply == null) {
            throw notFound(parts);
        }
        return reply;
    }

    private static ApiException notFound(String[] parts) {
        return new ApiException(404, "no such resource " + PATH + ApiJson.oneWord(String.join("/", parts))
                + "; see status, loops, loops/{name}, streams, features, deployment, bundles, recording, recordings, recordings/{name}, csrf (GET) and "
                + "loops/{name}/setpoint|gains|controller, estop, reset, features/{name}/apply, bundles/{name}/swap, recording/start|stop (POST)");
    }

    ApiGuard guard() {
        return guard;
    }

    /** @return what the web reads and drives */
    RobotServices robot() {
        return robot;
    }

    /** @return the safety state as every interface of the web shows it */
    SafetyResource safety() {
        return safety;
    }
}
