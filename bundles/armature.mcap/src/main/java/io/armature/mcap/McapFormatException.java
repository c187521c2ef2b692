package io.armature.mcap;

import java.io.IOException;

/** A file that is not well-formed MCAP: what is wrong, and at which byte offset of the file. */
public final class McapFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;

    public McapFormatException(long offset, String message) {
        super("MCAP at byte " + offset + ": " + message);
        this.offset = offset;
    }

    /** @return the offset of the record (or the bytes) found wrong */
    public long offset() {
        return offset;
    }
}
