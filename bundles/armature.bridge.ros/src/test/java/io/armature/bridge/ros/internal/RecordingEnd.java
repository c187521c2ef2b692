package io.armature.bridge.ros.internal;

import java.util.ArrayList;
import java.util.List;

/** An end of a topic that keeps what it is told. */
final class RecordingEnd implements TopicGraph.End {
    final List<String> heard = new ArrayList<>();
    private final String who;

    RecordingEnd(String who) {
        this.who = who;
    }

    @Override
    public void warn(String message) {
        heard.add(message);
    }

    @Override
    public void error(String message) {
        heard.add(message);
    }

    @Override
    public String who() {
        return who;
    }
}
