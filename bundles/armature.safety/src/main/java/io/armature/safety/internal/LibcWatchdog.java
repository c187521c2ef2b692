package io.armature.safety.internal;

import java.io.IOException;
import java.nio.file.Path;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;

/** The watchdog through libc, so its timeout can be set with ioctl. Loaded only when a timeout is configured. */
final class LibcWatchdog extends Watchdog {

    /** {@code _IOWR('W', 6, int)} from linux/watchdog.h */
    static final int WDIOC_SETTIMEOUT = 0xC0045706;
    /** {@code _IOR('W', 7, int)} from linux/watchdog.h */
    static final int WDIOC_GETTIMEOUT = 0x80045707;
    private static final int O_WRONLY = 1;
    private static final int O_CLOEXEC = 0x80000;

    interface C extends Library {
        int open(String path, int flags) throws LastErrorException;

        NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

        int ioctl(int fd, NativeLong request, IntByReference argument) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final C LIBC = Native.load("c", C.class);

    private final int fd;
    private final int timeout;
    private final byte[] one = new byte[1];
    private static final NativeLong ONE_BYTE = new NativeLong(1);

    private LibcWatchdog(Path device, int fd, int timeout) {
        super(device);
        this.fd = fd;
        this.timeout = timeout;
    }

    static LibcWatchdog open(Path device, int seconds) throws IOException {
        int fd;
        try {
            fd = LIBC.open(device.toString(), O_WRONLY | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException(message(e));
        }
        try {
            IntByReference t = new IntByReference(seconds);
            LIBC.ioctl(fd, new NativeLong(WDIOC_SETTIMEOUT & 0xFFFF_FFFFL), t);
            IntByReference actual = new IntByReference();
            LIBC.ioctl(fd, new NativeLong(WDIOC_GETTIMEOUT & 0xFFFF_FFFFL), actual);
            return new LibcWatchdog(device, fd, actual.getValue());
        } catch (LastErrorException e) {
            LIBC.close(fd); // no magic character: a real watchdog stays armed at its default timeout
            throw new IOException("cannot set its timeout to " + seconds + " s: " + message(e));
        }
    }

    /** errno as words: JNA's message is "[25] Inappropriate ioctl for device" */
    private static String message(LastErrorException e) {
        String m = e.getMessage();
        return m != null && m.startsWith("[") && m.indexOf(']') > 0 ? m.substring(m.indexOf(']') + 1).trim() : String.valueOf(m);
    }

    @Override
    int timeoutSeconds() {
        return timeout;
    }

    @Override
    void feed() throws IOException {
        write(FEED);
    }

    private void write(byte b) throws IOException {
        one[0] = b;
        try {
            LIBC.write(fd, one, ONE_BYTE);
        } catch (LastErrorException e) {
            throw new IOException(message(e));
        }
    }

    @Override
    void disarmAndClose() throws IOException {
        try {
            write(MAGIC_CLOSE);
        } finally {
            close();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            LIBC.close(fd);
        } catch (LastErrorException e) {
            throw new IOException(message(e));
        }
    }
}
