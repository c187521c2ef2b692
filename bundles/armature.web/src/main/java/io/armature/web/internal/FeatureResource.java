package io.armature.web.internal;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonGenerator;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.BundleChange;
import io.armature.deploy.ChangeProgress;
import io.armature.deploy.FeatureDeployer;

/** The features of the REST API: {@code GET features}, {@code POST features/{name}/apply} and {@code GET deployment}, through the deployer. */
record FeatureResource(RobotServices robot) {

    /** @return the features in the repository, the installed one, and what applying each would change */
    String list() throws ApiException, IOException {
        FeatureDeployer d = robot.requireDeployer();
        return ApiJson.json(g -> {
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
        });
    }

    /**
     * Applies a feature; blocks until its health gate passed or the previous set is back. 200 when
     * applied or unchanged, 409 with the outcome when refused or rolled back.
     */
    RestApi.Reply apply(String name, RestApi.Request r) throws ApiException, IOException {
        FeatureDeployer d = robot.requireDeployer();
        r.jsonBody();
        if (!d.available().contains(name)) {
            try {
                d.diff(name);
            } catch (IllegalArgumentException e) {
                throw new ApiException(404, e.getMessage());
            }
        }
        return reply(d.apply(name));
    }

    /** @return 200 with the result when applied or unchanged, 409 with it (and its message as the error) when refused or rolled back */
    static RestApi.Reply reply(ApplyResult result) throws IOException {
        return new RestApi.Reply(refused(result) ? 409 : 200, ApiJson.json(g -> writeResult(g, result)));
    }

    private static boolean refused(ApplyResult result) {
        return result.outcome() == ApplyResult.Outcome.REFUSED || result.outcome() == ApplyResult.Outcome.ROLLED_BACK;
    }

    private static void writeResult(JsonGenerator g, ApplyResult result) throws IOException {
        g.writeStartObject();
        g.writeStringField("feature", result.feature());
        g.writeStringField("outcome", result.outcome().name());
        g.writeStringField("message", result.message());
        g.writeNumberField("millis", result.durationMillis());
        writeChanges(g, result.changes());
        if (refused(result)) {
            g.writeStringField("error", result.message()); // as every refusal of the API says why
        }
        g.writeEndObject();
    }

    /**
     * @return the change of the bundle set running now (an apply or a swap, which block their own
     *         request until the gate decided) or the last one: its steps so far and, once ended, its
     *         result; {@code {"change":null}} before the first
     */
    String progress() throws ApiException, IOException {
        Optional<ChangeProgress> p = robot.requireDeployer().progress();
        return ApiJson.json(g -> {
            g.writeStartObject();
            if (p.isEmpty()) {
                g.writeNullField("change");
            } else {
                ChangeProgress c = p.get();
                g.writeStringField("change", c.change());
                g.writeBooleanField("running", c.running());
                g.writeNumberField("elapsedMillis", c.elapsedMillis());
                g.writeArrayFieldStart("steps");
                for (String s : c.steps()) {
                    g.writeString(s);
                }
                g.writeEndArray();
                if (c.result() == null) {
                    g.writeNullField("result");
                } else {
                    g.writeFieldName("result");
                    writeResult(g, c.result());
                }
            }
            g.writeEndObject();
        });
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
}
