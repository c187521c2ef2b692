package io.armature.telemetry.mqtt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class CoalescingSocketFactoryTest {

    private static final String WRITER = "coalescing-test-writer";

    /** Everything the peer reads until the connection ends. */
    private static CompletableFuture<byte[]> readAll(ServerSocket server) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                in.transferTo(got);
                return got.toByteArray();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void packetsFlushedOneByOneArriveWholeAndInOrder() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<byte[]> received = readAll(server);
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            Random random = new Random(7);
            try (Socket s = new CoalescingSocketFactory(500, WRITER).createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < 20_000; i++) {
                    byte[] packet = new byte[1 + random.nextInt(i % 100 == 0 ? 100_000 : 300)]; // some beyond the 64 KiB buffer
                    random.nextBytes(packet);
                    out.write(packet[0]);
                    out.write(packet, 1, packet.length - 1);
                    out.flush();
                    sent.write(packet);
                }
            } // closing right after the last flush still delivers it, as Paho's DISCONNECT needs
            assertArrayEquals(sent.toByteArray(), received.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void aFlushedPacketGoesOutWithoutAnotherWrite() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket s = new CoalescingSocketFactory(2_000, WRITER).createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                Socket peer = server.accept()) {
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {0x30, 2, 'h', 'i'});
            out.flush();
            peer.setSoTimeout(5_000);
            byte[] got = peer.getInputStream().readNBytes(4);
            assertArrayEquals(new byte[] {0x30, 2, 'h', 'i'}, got, "the packet arrives, with nothing written after it");
        }
    }

    @Test
    void aConnectionThePeerDroppedFailsTheNextWriteAndTheWriterEnds() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Socket s = new CoalescingSocketFactory(200, WRITER).createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
            server.accept().close();
            OutputStream out = s.getOutputStream();
            IOException failed = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 100_000; i++) { // the first writes may still land in the socket buffer
                    out.write(new byte[1_000]);
                    out.flush();
                    Thread.sleep(1);
                }
            });
            assertTrue(failed.getMessage() != null, "the failure says why");
            s.close();
            assertTrue(writerEnds(), "no writer thread is left after close");
        }
    }

    @Test
    void closingEndsTheWriterThread() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 5; i++) {
                try (Socket s = new CoalescingSocketFactory(500, WRITER).createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                        Socket peer = server.accept()) {
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                }
            }
            assertTrue(writerEnds(), "no writer thread is left after close");
        }
    }

    @Test
    void aDelayOutOfRangeIsRefused() {
        assertEquals("flush delay must be 1..10000 us, was 0",
                assertThrows(IllegalArgumentException.class, () -> new CoalescingSocketFactory(0, WRITER)).getMessage());
        assertEquals("flush delay must be 1..10000 us, was 10001",
                assertThrows(IllegalArgumentException.class, () -> new CoalescingSocketFactory(10_001, WRITER)).getMessage());
    }

    private static boolean writerEnds() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals(WRITER))) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
