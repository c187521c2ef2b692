package io.armature.recording;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Plays the sensor streams of an MCAP recording back into live streams, as they were recorded:
 * the same samples in the same order, each stamped on this robot's clock at the recording's pace
 * from the moment the replay starts. Loop cycles, commands and the safety state are not played
 * into a running robot: a recording never commands anything.
 */
@ProviderType
public interface Player {

    /**
     * What a replay did.
     *
     * @param file      the recording
     * @param played    samples played, by the name of the stream they were played into, in the
     *                  order of the recording's topics
     * @param notPlayed the recording's other topics, which are not played
     * @param seconds   how long it took
     */
    record Replay(Path file, Map<String, Long> played, List<String> notPlayed, double seconds) {
        public Replay {
            played = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(played));
            notPlayed = List.copyOf(notPlayed);
        }
    }

    /**
     * Plays a recording, blocking until it ends. The whole file is read and checked first: a
     * damaged one is refused before any stream is registered.
     *
     * @param realTime true at the recording's pace; false as fast as possible
     * @param replace  false to play each stream into {@code <name>.replay}; true to play it under
     *                 its recorded name, ranked above the live stream of that name, so that the
     *                 live stream's readers (a wheel loop, the supervisor) read the recording while
     *                 it plays and the live stream again when it ends
     * @throws IOException              when the file cannot be read, or is not a whole MCAP file, naming what is wrong
     * @throws IllegalArgumentException when it holds no sensor stream to play
     */
    Replay play(Path file, boolean realTime, boolean replace) throws IOException;
}
