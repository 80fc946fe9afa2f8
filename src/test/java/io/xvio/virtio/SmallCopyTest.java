package io.xvio.virtio;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

class SmallCopyTest {
    interface Copier { void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len); }

    @Test
    void copiesExactlyTheBytesAskedForAtEveryLengthAndAlignment() {
        checkEveryLengthAndAlignment(SmallCopy::copy, 0);
    }

    @Test
    void eachOfTheInLinePathsCopiesExactlyTheBytesAskedFor() {
        checkEveryLengthAndAlignment(SmallCopy::longs, 8);
        int w = VectorCopy.width();
        if (w > 0) checkEveryLengthAndAlignment(VectorCopy::copy, w);
    }

    @Test
    void theTestJvmUsesTheVectorPathWhereTheCpuHasWideVectors() {
        // the surefire JVM adds jdk.incubator.vector as bin/xvio does for the daemon: what it can use, it uses
        assertEquals(VectorCopy.width(), SmallCopy.VECTOR);
        String said = GuestMemory.copyMethod();
        assertTrue(said.contains(SmallCopy.VECTOR > 0 ? "with " + SmallCopy.VECTOR + "-byte vectors" : "this CPU's vectors are narrower"), said);
    }

    private static void checkEveryLengthAndAlignment(Copier copier, int minLen) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(512), dst = a.allocate(512);
            for (int i = 0; i < 512; i++) src.set(JAVA_BYTE, i, (byte) (i * 7 + 1));
            for (int len = minLen; len <= 200; len++) {
                for (int so = 0; so < 16; so++) {
                    for (int d = 0; d < 16; d += 5) {
                        dst.fill((byte) 0x55);
                        copier.copy(src, so, dst, 64 + d, len);
                        for (int i = 0; i < 512; i++) {
                            int at = i - 64 - d;
                            byte want = at >= 0 && at < len ? src.get(JAVA_BYTE, so + at) : 0x55;
                            if (dst.get(JAVA_BYTE, i) != want)
                                fail("length " + len + ", source offset " + so + ", destination offset " + (64 + d) + ": byte " + i + " is " + dst.get(JAVA_BYTE, i) + ", expected " + want);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aCopyPastTheEndOfASegmentIsRefusedAndWritesNothing() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(100), dst = a.allocate(100);
            dst.fill((byte) 1);
            assertThrows(IndexOutOfBoundsException.class, () -> SmallCopy.copy(src, 0, dst, 40, 64));
            assertThrows(IndexOutOfBoundsException.class, () -> SmallCopy.copy(src, 50, dst, 0, 64));
            for (int i = 0; i < 100; i++) assertEquals(1, dst.get(JAVA_BYTE, i));
        }
    }
}
