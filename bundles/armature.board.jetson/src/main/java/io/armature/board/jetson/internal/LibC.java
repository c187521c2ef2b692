package io.armature.board.jetson.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

/** The few C library calls the GPIO character device needs (64-bit Linux: size_t and unsigned long are Java longs). */
interface LibC extends Library {

    int O_RDWR = 2;
    int O_CLOEXEC = 0x80000;
    short POLLIN = 1;

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int ioctl(int fd, long request, Structure argument) throws LastErrorException;

    int poll(Structure fds, long count, int timeoutMillis) throws LastErrorException;

    long read(int fd, Structure buffer, long count) throws LastErrorException;

    /** Loaded on first use, so that a bundle that never opens a chip never loads native code. */
    final class Holder {
        static final LibC INSTANCE = Native.load("c", LibC.class);

        private Holder() {
        }
    }
}
