package io.armature.board.pi4j.internal;

import java.io.IOException;

import io.armature.hal.ChannelInfo;
import io.armature.hal.ChannelType;
import io.armature.hal.I2cBus;

/**
 * An ADS1115 at register level, as the datasheet describes it: config register reset to
 * 0x8583; a single-shot conversion starts when OS is written 1 and takes {@code busyPolls}
 * reads of the config register, which read OS = 0 meanwhile; the conversion register keeps the
 * previous result until a conversion completes; codes saturate at 0x7FFF / 0x8000.
 */
final class Ads1115Fake implements I2cBus {

    final double[] inputMillivolts = new double[4];
    int config = 0x8583;
    int conversion;
    int busyPolls = 2;
    int configWrites;
    private int pollsLeft;
    private final int address;

    Ads1115Fake(int address) {
        this.address = address;
    }

    @Override
    public ChannelInfo info() {
        return new ChannelInfo("i2c.fake", ChannelType.I2C, 0, "fake ADS1115", "");
    }

    private int fullScale() {
        return Ads1115.FULL_SCALE_MV.get(Math.min(5, (config >> 9) & 7));
    }

    private int convert() {
        int mux = (config >> 12) & 7;
        if (mux < 4) {
            throw new IllegalStateException("the fake converts single-ended inputs only");
        }
        long code = Math.round(inputMillivolts[mux - 4] * 32768.0 / fullScale());
        return (int) Math.max(-32768, Math.min(32767, code));
    }

    @Override
    public void writeRegister(int address, int register, byte[] data, int offset, int length) throws IOException {
        ack(address);
        if (register != Ads1115.REG_CONFIG || length != 2) {
            throw new IOException("the fake takes 2-byte writes to the config register only");
        }
        int written = ((data[offset] & 0xFF) << 8) | (data[offset + 1] & 0xFF);
        configWrites++;
        boolean singleShot = (written & Ads1115.MODE_SINGLE_SHOT) != 0;
        config = written & 0x7FFF; // OS reads 0 while a conversion runs
        if (singleShot && (written & Ads1115.OS) != 0) {
            pollsLeft = busyPolls;
            if (pollsLeft == 0) {
                finish();
            }
        } else if (!singleShot) {
            conversion = convert();
        }
    }

    private void finish() {
        conversion = convert();
        config |= Ads1115.OS;
    }

    @Override
    public void readRegister(int address, int register, byte[] buffer, int offset, int length) throws IOException {
        ack(address);
        int value;
        if (register == Ads1115.REG_CONFIG) {
            if (pollsLeft > 0 && --pollsLeft == 0) {
                finish();
            }
            value = config;
        } else if (register == Ads1115.REG_CONVERSION) {
            if ((config & Ads1115.MODE_SINGLE_SHOT) == 0) {
                conversion = convert(); // continuous: always the latest
            }
            value = conversion;
        } else {
            throw new IOException("register " + register);
        }
        buffer[offset] = (byte) (value >> 8);
        buffer[offset + 1] = (byte) value;
    }

    private void ack(int address) throws IOException {
        if (address != this.address) {
            throw new IOException(String.format("no device acknowledged at 0x%02X", address));
        }
    }
}
