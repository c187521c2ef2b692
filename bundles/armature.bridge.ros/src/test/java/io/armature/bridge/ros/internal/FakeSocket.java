package io.armature.bridge.ros.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A client socket that keeps what is sent to it; {@link #queued} says how far behind the client is. */
class FakeSocket implements Outbox.Socket {
    final List<String> texts = new ArrayList<>();
    final List<ByteBuffer> binaries = new ArrayList<>();
    final String remote;
    int queued;
    String closedWith;

    FakeSocket(String remote) {
        this.remote = remote;
    }

    @Override
    public void send(String text) {
        texts.add(text);
    }

    @Override
    public void send(ByteBuffer binary) {
        binaries.add(binary);
    }

    @Override
    public int queued() {
        return queued;
    }

    @Override
    public void close(int code, String reason) {
        closedWith = code + " " + reason;
    }

    @Override
    public String remote() {
        return remote;
    }

    /** @return the texts sent since the last call */
    List<String> take() {
        List<String> t = new ArrayList<>(texts);
        texts.clear();
        return t;
    }
}
