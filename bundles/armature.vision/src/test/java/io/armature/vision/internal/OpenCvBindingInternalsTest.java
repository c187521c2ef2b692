package io.armature.vision.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opencv.core.Mat;
import org.opencv.dnn.Net;

/** Finding the binding's native entry points: all of them in the pinned OpenCV, and a clear name for one a build lacks. */
class OpenCvBindingInternalsTest {

    @BeforeAll
    static void opencv() {
        OpenCvNatives.load();
    }

    @Test
    void thePinnedOpenCvHasEveryEntryPoint() {
        assertTrue(OpenCvBindingInternals.available(), "missing: " + OpenCvBindingInternals.missing());
        assertNull(OpenCvBindingInternals.missing());
    }

    @Test
    void anEntryPointABuildLacksIsNamedWithItsSignature() {
        List<String> missing = new ArrayList<>();
        assertNotNull(OpenCvBindingInternals.find(missing, Mat.class, "n_delete", void.class, long.class));
        assertNull(OpenCvBindingInternals.find(missing, Net.class, "forward_9", long.class, long.class));
        assertNull(OpenCvBindingInternals.find(missing, Mat.class, "n_delete", void.class, int.class), "same name, other signature");
        assertEquals(List.of("Net.forward_9(long)long", "Mat.n_delete(int)void"), missing);
    }
}
