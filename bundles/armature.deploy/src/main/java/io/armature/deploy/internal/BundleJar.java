package io.armature.deploy.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/** What a bundle jar says it is. JDK only: the repository builder runs outside a framework. */
final class BundleJar {

    private BundleJar() {
    }

    /** @return Bundle-SymbolicName (without directives) and Bundle-Version of a jar; "?" and "0.0.0" where absent */
    static String[] identity(byte[] jar) {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest m = in.getManifest();
            Attributes a = m == null ? new Attributes() : m.getMainAttributes();
            String bsn = a.getValue("Bundle-SymbolicName");
            String version = a.getValue("Bundle-Version");
            return new String[] {bsn == null ? "?" : bsn.split(";")[0].strip(), version == null ? "0.0.0" : version.strip()};
        } catch (IOException e) {
            return new String[] {"?", "?"};
        }
    }
}
