package io.armature.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import io.armature.deploy.ApplyResult;
import io.armature.deploy.FeatureDeployer;

/**
 * The robot's bundles in the REST API: {@code GET bundles} lists them, {@code POST
 * bundles/{name}/swap} takes a newer version's jar as the body and swaps it in side by side
 * through the deployer (health gate, rollback), as {@code feature:swap} does.
 */
record BundleResource(RobotServices robot) {

    /** @return the installed feature and every bundle with its id, version and state */
    String list() throws ApiException, IOException {
        Bundle self = FrameworkUtil.getBundle(BundleResource.class);
        BundleContext context = self == null ? null : self.getBundleContext();
        Bundle[] all = context == null ? new Bundle[0] : context.getBundles();
        FeatureDeployer d = robot.requireDeployer();
        return ApiJson.json(g -> {
            g.writeStartObject();
            g.writeStringField("installed", d.installed().orElse(null));
            g.writeArrayFieldStart("bundles");
            for (Bundle b : all) {
                g.writeStartObject();
                g.writeNumberField("id", b.getBundleId());
                g.writeStringField("symbolicName", b.getSymbolicName());
                g.writeStringField("version", b.getVersion().toString());
                g.writeStringField("state", state(b.getState()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static String state(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            default -> "UNINSTALLED";
        };
    }

    /**
     * Swaps a bundle in; blocks until the health gate passed or the running version is back. 200
     * when swapped, 409 with the outcome when refused or rolled back.
     */
    RestApi.Reply swap(String name, RestApi.Request r) throws ApiException, IOException {
        FeatureDeployer d = robot.requireDeployer();
        String type = r.header().apply("Content-Type");
        String mediaType = type == null ? "" : type.toLowerCase(Locale.ROOT).split(";")[0].trim();
        if (!mediaType.equals("application/java-archive") && !mediaType.equals("application/octet-stream")) {
            throw new ApiException(415, "Content-Type must be application/java-archive (the jar is the body)");
        }
        ApplyResult result = d.swap(name, jar(r.body(), r.contentLength()));
        return FeatureResource.reply(result);
    }

    private static byte[] jar(InputStream in, long contentLength) throws ApiException, IOException {
        if (contentLength > FeatureDeployer.MAX_JAR_BYTES) {
            throw new ApiException(413, "the jar is larger than " + FeatureDeployer.MAX_JAR_BYTES / (1024 * 1024) + " MB");
        }
        byte[] bytes = in.readNBytes(FeatureDeployer.MAX_JAR_BYTES + 1);
        if (bytes.length > FeatureDeployer.MAX_JAR_BYTES) {
            throw new ApiException(413, "the jar is larger than " + FeatureDeployer.MAX_JAR_BYTES / (1024 * 1024) + " MB");
        }
        return bytes;
    }
}
