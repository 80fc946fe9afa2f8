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
    void vectorsAreOffUnlessAskedForAndTheLogSaysWhy() {
        // the surefire JVM adds jdk.incubator.vector as bin/xvio does for the daemon, without -Dxvio.vectorCopy=true
        assertEquals(0, SmallCopy.VECTOR);
        String said = GuestMemory.copyMethod();
        assertTrue(said.contains("8 bytes at a time") && said.contains("-Dxvio.vectorCopy=true"), said);
    }

    /**
     * Guest memory truncated under a copy the JIT has compiled (the PMD's steady state) must surface as the JVM's
     * InternalError, which faults the queue, and not kill the JVM: true of 8-byte segment accesses and
     * MemorySegment.copy, not of C2-compiled vector accesses (why vectors are off by default).
     */
    @Test
    void truncatedGuestMemoryUnderAWarmCopyIsAnErrorNotACrash() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile(java.nio.file.Path.of("/dev/shm"), "xvio-smallcopy", ".ram");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE); Arena a = Arena.ofShared()) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.allocate(16384), 0);
            MemorySegment ram = ch.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, 16384, a);
            MemorySegment buf = a.allocate(256);
            int[] lens = {60, 64, 76, 100, 128, 1500};
            for (int r = 0; r < 400_000; r++) {                 // compiled by C2 by the end (~1 s)
                int len = lens[r % lens.length];
                SmallCopy.copy(buf, 0, ram, 8192 + (r & 7) * 8, Math.min(len, 256));
                SmallCopy.copy(ram, 8192 + (r & 7) * 8, buf, 0, Math.min(len, 256));
            }
            ch.truncate(4096);
            for (int len : lens) {
                int n = Math.min(len, 256);
                assertThrows(InternalError.class, () -> SmallCopy.copy(buf, 0, ram, 8192, n), "into gone memory, " + n + " bytes");
                assertThrows(InternalError.class, () -> SmallCopy.copy(ram, 8192, buf, 0, n), "from gone memory, " + n + " bytes");
            }
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
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
