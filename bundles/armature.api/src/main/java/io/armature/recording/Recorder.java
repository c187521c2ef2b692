package io.armature.recording;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Records sensor streams into an MCAP file, one recording at a time, from a thread of its own:
 * the streams' producers never wait for it, and a sample it falls behind on is counted as lost
 * (in the status and in the file's metadata), never blocking anyone.
 */
@ProviderType
public interface Recorder {

    /**
     * Starts a recording.
     *
     * @param file    the MCAP file to write; an existing file is refused, not overwritten
     * @param streams the streams to record by name; empty for every stream there is
     * @param seconds how long to record; 0 until {@link #stop()}
     * @return the recording as it starts
     * @throws IllegalStateException    while another recording runs
     * @throws IllegalArgumentException for a stream that is not there, or a negative time; one sentence
     * @throws IOException              when the file cannot be created
     */
    RecordingStatus start(Path file, List<String> streams, double seconds) throws IOException;

    /**
     * Stops the running recording and finishes its file (its summary, its metadata).
     *
     * @return the recording as it ended; empty when none ran
     */
    Optional<RecordingStatus> stop() throws IOException;

    /** @return the running recording, or the last one once ended; empty before the first */
    Optional<RecordingStatus> status();

    /**
     * @return where recordings that remote clients start are kept (the REST API and the Robot page
     *         name a file only, never a path): the recorder's data area, created when needed
     */
    Path directory() throws IOException;
}
