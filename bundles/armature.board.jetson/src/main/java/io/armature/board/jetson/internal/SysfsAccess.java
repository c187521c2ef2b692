package io.armature.board.jetson.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes sysfs attributes. {@link #FILES} is the real thing; tests substitute a model
 * of the kernel's PWM class that answers as the kernel does ({@code EINVAL}, {@code EBUSY}).
 */
interface SysfsAccess {

    /** @return the attribute's value without the trailing newline */
    String read(Path attribute) throws IOException;

    /**
     * Writes a value to an existing attribute, as {@code echo value > attribute} does. Never
     * creates a file: an attribute that does not exist is {@link java.nio.file.NoSuchFileException}.
     */
    void write(Path attribute, String value) throws IOException;

    /** @return true when the attribute exists and this process may write it */
    boolean writable(Path attribute);

    SysfsAccess FILES = new SysfsAccess() {
        @Override
        public String read(Path attribute) throws IOException {
            // sysfs reports a size of 4096 whatever the content: read the stream
            try (InputStream in = Files.newInputStream(attribute)) {
                return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
            }
        }

        @Override
        public void write(Path attribute, String value) throws IOException {
            Files.writeString(attribute, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public boolean writable(Path attribute) {
            return Files.isWritable(attribute);
        }
    };
}
