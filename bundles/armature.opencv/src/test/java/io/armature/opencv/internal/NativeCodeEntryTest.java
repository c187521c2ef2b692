package io.armature.opencv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class NativeCodeEntryTest {

    private static final String HEADER = "nu/pattern/opencv/linux/x86_64/libopencv_java490.so;osname=Linux;processor=x86-64,"
            + "nu/pattern/opencv/linux/ARMv8/libopencv_java490.so;osname=Linux;processor=aarch64";

    @Test
    void picksTheClauseOfThisJvmsProcessorUnderEitherName() {
        assertEquals("nu/pattern/opencv/linux/x86_64/libopencv_java490.so", OpenCvActivator.nativeCodeEntry(HEADER, "amd64"));
        assertEquals("nu/pattern/opencv/linux/x86_64/libopencv_java490.so", OpenCvActivator.nativeCodeEntry(HEADER, "x86_64"));
        assertEquals("nu/pattern/opencv/linux/ARMv8/libopencv_java490.so", OpenCvActivator.nativeCodeEntry(HEADER, "aarch64"));
    }

    @Test
    void aProcessorWithoutALibraryIsNamedInTheError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpenCvActivator.nativeCodeEntry(HEADER, "riscv64"));
        assertEquals("Bundle-NativeCode has no library for processor riscv64: " + HEADER, e.getMessage());
    }
}
