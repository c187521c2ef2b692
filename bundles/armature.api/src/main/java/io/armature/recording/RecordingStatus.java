package io.armature.recording;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A recording as it runs, or as it ended.
 *
 * @param file     the MCAP file
 * @param running  true until it ends (its time is up, or it was stopped)
 * @param seconds  how long it has run, or ran
 * @param messages messages written, by stream name
 * @param lost     samples lost, by stream name: overwritten before the recorder read them
 * @param bytes    bytes written to the file so far
 * @param error    why it ended early (the disk is full, a stream went away), or null
 */
public record RecordingStatus(Path file, boolean running, double seconds, Map<String, Long> messages, Map<String, Long> lost, long bytes,
        String error) {

    public RecordingStatus {
        Objects.requireNonNull(file, "file");
        messages = Map.copyOf(messages);
        lost = Map.copyOf(lost);
    }

    /** @return the streams recorded, by name, sorted */
    public List<String> streams() {
        return messages.keySet().stream().sorted().toList();
    }
}
