package io.armature.telemetry.mqtt.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.net.SocketFactory;

/**
 * Plain TCP sockets whose flushes are coalesced: Paho's sender writes and flushes every MQTT
 * packet on its own, one system call each, which on a small computer costs more than the packet.
 * Here a flush only asks for the bytes to go out within {@code delay}; a per-socket thread then
 * writes everything that arrived meanwhile in one call. Bytes never wait longer than the delay,
 * and a full 64 KiB buffer goes out at once.
 */
final class CoalescingSocketFactory extends SocketFactory {

    private final long delayNanos;
    private final String threadName;

    /**
     * @param delayMicros the longest a flushed byte waits, in us (1..10,000)
     * @param threadName  the name of each socket's writing thread
     */
    CoalescingSocketFactory(long delayMicros, String threadName) {
        if (delayMicros < 1 || delayMicros > 10_000) {
            throw new IllegalArgumentException("flush delay must be 1..10000 us, was " + delayMicros);
        }
        this.delayNanos = TimeUnit.MICROSECONDS.toNanos(delayMicros);
        this.threadName = threadName;
    }

    @Override
    public Socket createSocket() {
        return new CoalescingSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(localHost, localPort), new InetSocketAddress(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(localAddress, localPort), new InetSocketAddress(address, port));
    }

    private Socket connected(InetSocketAddress to) throws IOException {
        return connected(null, to);
    }

    private Socket connected(InetSocketAddress from, InetSocketAddress to) throws IOException {
        Socket s = createSocket();
        if (from != null) {
            s.bind(from);
        }
        s.connect(to);
        return s;
    }

    private final class CoalescingSocket extends Socket {
        private CoalescingStream out;

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (out == null) {
                out = new CoalescingStream(super.getOutputStream());
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            CoalescingStream o;
            synchronized (this) {
                o = out;
            }
            if (o != null) {
                o.drainAndStop(); // an orderly DISCONNECT flushed just before must still go out
            }
            super.close();
        }
    }

    private final class CoalescingStream extends OutputStream {
        private final OutputStream socket;
        private final byte[] buffer = new byte[64 * 1024];
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition flushAsked = lock.newCondition();
        private int count;
        private boolean flushPending;
        private volatile boolean stopped;
        private IOException failure;
        private final Thread writer;

        CoalescingStream(OutputStream socket) {
            this.socket = socket;
            this.writer = new Thread(this::run, threadName);
            writer.setDaemon(true);
            writer.start();
        }

        @Override
        public void write(int b) throws IOException {
            lock.lock();
            try {
                check();
                if (count == buffer.length) {
                    drain();
                }
                buffer[count++] = (byte) b;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                check();
                if (count + len > buffer.length) {
                    drain();
                    if (len > buffer.length) {
                        socket.write(b, off, len);
                        return;
                    }
                }
                System.arraycopy(b, off, buffer, count, len);
                count += len;
            } finally {
                lock.unlock();
            }
        }

        /** Asks for what is written to go out within the delay; does not wait for it. */
        @Override
        public void flush() throws IOException {
            lock.lock();
            try {
                check();
                if (count > 0 && !flushPending) {
                    flushPending = true;
                    flushAsked.signal();
                }
            } finally {
                lock.unlock();
            }
        }

        private void check() throws IOException {
            if (failure != null) {
                throw new IOException("the connection failed: " + failure.getMessage(), failure);
            }
            if (stopped) {
                throw new IOException("socket closed");
            }
        }

        /** With the lock held: writes the buffer to the socket. */
        private void drain() throws IOException {
            if (count > 0) {
                int n = count;
                count = 0;
                socket.write(buffer, 0, n);
            }
        }

        private void run() {
            while (true) {
                lock.lock();
                try {
                    while (!flushPending && !stopped) {
                        flushAsked.awaitUninterruptibly();
                    }
                    if (stopped) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(delayNanos); // let more packets join
                lock.lock();
                try {
                    flushPending = false;
                    if (failure == null && !stopped) {
                        drain();
                        socket.flush();
                    }
                } catch (IOException e) {
                    failure = e; // the next write or flush reports it, and Paho reconnects
                } finally {
                    lock.unlock();
                }
            }
        }

        /** Writes what is pending unless the writer is stuck on a peer that reads nothing (100 ms), and ends the writer. */
        void drainAndStop() {
            try {
                if (lock.tryLock(100, TimeUnit.MILLISECONDS)) {
                    try {
                        if (failure == null && !stopped) {
                            drain();
                        }
                    } catch (IOException e) {
                        // closing anyway
                    } finally {
                        stopped = true;
                        flushAsked.signal();
                        lock.unlock();
                    }
                } else {
                    stopped = true; // the writer ends when its write fails on the closed socket
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() throws IOException {
            drainAndStop();
            socket.close();
        }
    }
}
