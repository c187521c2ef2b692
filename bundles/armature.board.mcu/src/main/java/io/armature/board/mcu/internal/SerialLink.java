package io.armature.board.mcu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fazecast.jSerialComm.SerialPort;

/** One open serial port through jSerialComm: blocking reads of at most 100 ms, whole writes. */
final class SerialLink implements AutoCloseable {

    static {
        // a second bundle refresh otherwise fails: "already loaded in another classloader"
        if (System.getProperty("jSerialComm.library.randomizeNativeName") == null) {
            System.setProperty("jSerialComm.library.randomizeNativeName", "true");
        }
    }

    /** The line settings: baud rate and 8N1-style framing. */
    record Settings(String port, int baudRate, int dataBits, String parity, int stopBits) {

        Settings {
            if (port == null || port.isBlank()) {
                throw new IllegalArgumentException("port must name the serial device, for example /dev/ttyACM0");
            }
            if (baudRate < 1200 || baudRate > 4_000_000) {
                throw new IllegalArgumentException("baudRate must be 1200..4000000, was " + baudRate);
            }
            if (dataBits < 5 || dataBits > 8) {
                throw new IllegalArgumentException("dataBits must be 5..8, was " + dataBits);
            }
            if (!parity.equals("none") && !parity.equals("even") && !parity.equals("odd")) {
                throw new IllegalArgumentException("parity must be none, even or odd, was '" + parity + "'");
            }
            if (stopBits != 1 && stopBits != 2) {
                throw new IllegalArgumentException("stopBits must be 1 or 2, was " + stopBits);
            }
        }

        @Override
        public String toString() {
            return port + " " + baudRate + " " + dataBits + Character.toUpperCase(parity.charAt(0)) + stopBits;
        }
    }

    private final SerialPort port;

    private SerialLink(SerialPort port) {
        this.port = port;
    }

    /**
     * @return the open port
     * @throws IOException when the device is missing or refuses to open
     */
    static SerialLink open(Settings s) throws IOException {
        if (!Files.exists(Path.of(s.port()))) {
            throw new IOException("serial port " + s.port() + " is not there (unplugged?)");
        }
        SerialPort p = SerialPort.getCommPort(s.port());
        int parity = switch (s.parity()) {
            case "even" -> SerialPort.EVEN_PARITY;
            case "odd" -> SerialPort.ODD_PARITY;
            default -> SerialPort.NO_PARITY;
        };
        p.setComPortParameters(s.baudRate(), s.dataBits(), s.stopBits() == 2 ? SerialPort.TWO_STOP_BITS : SerialPort.ONE_STOP_BIT, parity);
        p.setFlowControl(SerialPort.FLOW_CONTROL_DISABLED);
        p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING, 100, 100);
        if (!p.openPort()) {
            throw new IOException("cannot open " + s.port() + " (error " + p.getLastErrorCode() + ")");
        }
        return new SerialLink(p);
    }

    /**
     * @return bytes read into {@code buf}, 0 when none came within 100 ms
     * @throws IOException when the port is gone
     */
    int read(byte[] buf) throws IOException {
        int n = port.readBytes(buf, buf.length);
        if (n < 0) {
            throw new IOException("serial port " + port.getSystemPortPath() + " went away");
        }
        return n;
    }

    void write(byte[] b, int length) throws IOException {
        int n = port.writeBytes(b, length);
        if (n != length) {
            throw new IOException("serial port " + port.getSystemPortPath() + " took " + n + " of " + length + " bytes");
        }
    }

    @Override
    public void close() {
        port.closePort();
    }
}
