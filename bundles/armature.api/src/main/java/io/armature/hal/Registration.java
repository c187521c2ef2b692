package io.armature.hal;

import org.osgi.annotation.versioning.ProviderType;

/** A listener registration. Closing it removes the listener; closing twice is harmless. */
@ProviderType
public interface Registration extends AutoCloseable {
    @Override
    void close();
}
