package io.armature.web.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonGenerator;

import io.armature.recording.Recorder;
import io.armature.recording.RecordingStatus;

/**
 * Recording through the REST API: {@code GET recording} (the running or last recording),
 * {@code POST recording/start} and {@code recording/stop}, {@code GET recordings} (the files) and
 * {@code GET recordings/{name}} (one file, to download). A client names a file, never a path: it
 * goes into the recorder's own directory.
 */
record RecordingResource(RobotServices robot) {

    /** What a recording's file may be called: a name of letters, digits, '.', '_' and '-', ending in .mcap. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}\\.mcap");

    String status() throws ApiException, IOException {
        Optional<RecordingStatus> s = robot.requireRecorder().status();
        return ApiJson.json(g -> write(g, s));
    }

    /**
     * Starts a recording: {@code {"streams": "imu,encoder.left", "seconds": 10, "name": "run.mcap"}},
     * each optional (every stream, until stopped, a name of the date and time).
     */
    String start(RestApi.Request r) throws ApiException, IOException {
        Recorder recorder = robot.requireRecorder();
        JsonBody body = r.jsonBody("streams", "seconds", "name");
        String which = body.string("streams", "all", 500);
        List<String> streams = which.equals("all") ? List.of() : List.of(which.split(","));
        double seconds = body.number("seconds", 0);
        String name = body.string("name", "armature-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".mcap", 105);
        Path file = file(recorder, name);
        if (Files.exists(file)) {
            throw new ApiException(409, "a recording named " + name + " exists; choose another name");
        }
        try {
            RecordingStatus s = recorder.start(file, streams, seconds);
            return ApiJson.json(g -> write(g, Optional.of(s)));
        } catch (IllegalStateException e) {
            throw new ApiException(409, e.getMessage());
        }
    }

    String stop() throws ApiException, IOException {
        Optional<RecordingStatus> s = robot.requireRecorder().stop();
        return ApiJson.json(g -> write(g, s));
    }

    /** @return the recordings kept, newest first: name and size */
    String list() throws ApiException, IOException {
        Path dir = robot.requireRecorder().directory();
        List<Path> files;
        try (Stream<Path> all = Files.list(dir)) {
            files = all.filter(p -> NAME.matcher(p.getFileName().toString()).matches()).sorted((a, b) -> {
                try {
                    return Files.getLastModifiedTime(b).compareTo(Files.getLastModifiedTime(a));
                } catch (IOException e) {
                    return 0;
                }
            }).toList();
        }
        return ApiJson.json(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("recordings");
            for (Path f : files) {
                g.writeStartObject();
                g.writeStringField("name", f.getFileName().toString());
                g.writeNumberField("bytes", Files.size(f));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** @return one recording's file, to download; 404 for a name that is none */
    RestApi.Reply download(String name) throws ApiException, IOException {
        Path file = file(robot.requireRecorder(), name);
        if (!Files.isRegularFile(file)) {
            throw new ApiException(404, "no recording named " + ApiJson.oneWord(name));
        }
        return RestApi.Reply.file(file, "application/octet-stream");
    }

    /** @return the file of a recording's name in the recorder's directory; a name that is not one is refused */
    private static Path file(Recorder recorder, String name) throws ApiException, IOException {
        if (!NAME.matcher(name).matches()) {
            throw new ApiException(400, "a recording's name is letters, digits, '.', '_' and '-', ending in .mcap, was " + ApiJson.oneWord(name));
        }
        return recorder.directory().resolve(name);
    }

    private static void write(JsonGenerator g, Optional<RecordingStatus> status) throws IOException {
        g.writeStartObject();
        if (status.isEmpty()) {
            g.writeNullField("recording");
        } else {
            RecordingStatus s = status.get();
            g.writeObjectFieldStart("recording");
            g.writeStringField("name", s.file().getFileName().toString());
            g.writeBooleanField("running", s.running());
            g.writeNumberField("seconds", s.seconds());
            g.writeNumberField("bytes", s.bytes());
            g.writeObjectFieldStart("messages");
            for (String stream : s.streams()) {
                g.writeNumberField(stream, s.messages().get(stream));
            }
            g.writeEndObject();
            g.writeObjectFieldStart("lost");
            for (String stream : s.streams()) {
                g.writeNumberField(stream, s.lost().get(stream));
            }
            g.writeEndObject();
            g.writeStringField("error", s.error());
            g.writeEndObject();
        }
        g.writeEndObject();
    }
}
