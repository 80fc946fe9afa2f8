package io.xvio.virtio;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Copies between guest memory and packet buffers. Frames of up to 128 bytes (what small-packet traffic is)
 * are copied in line: with 32-byte vector loads and stores ({@link VectorCopy}, when the jdk.incubator.vector
 * module is present and the CPU has vectors of at least 32 bytes), else with 8-byte ones; the
 * last piece overlaps the one before it when the length is not a multiple. Larger frames go to
 * {@link MemorySegment#copy}, whose stub is faster for them.
 *
 * <p>Why vectors: a receive burst writes into guest buffer lines the driver's CPU last held, and every store
 * waits in the store queue until its line arrives; three 32-byte stores per 76-byte frame instead of ten
 * 8-byte ones let the ownership requests of several times as many frames overlap. Measured on packed rings:
 * 8-12 ns less per packet.
 *
 * <p>Why they are off by default ({@code -Dxvio.vectorCopy=true} turns them on): guest memory truncated under a
 * queue (a hostile or broken front-end shrinking its memory file) makes the next access raise SIGBUS. The JVM
 * turns a SIGBUS into an InternalError, which faults that queue, only in code it compiled with Unsafe memory
 * accesses; a vector load or store compiled by C2 is not such code, so the JVM dies instead (seen in a unit test
 * and reproduced with a warmed loop: 8-byte segment accesses and MemorySegment.copy give the InternalError, vector
 * ones the crash). Every copy here has guest memory on one side.
 */
final class SmallCopy {
    static final int SMALL = 128;
    /** Bytes per vector copy step; 0 when vectors are not used. */
    static final int VECTOR = vectorWidth();

    private SmallCopy() {}

    static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        if (len < 8 || len > SMALL) {
            MemorySegment.copy(src, srcOff, dst, dstOff, len);
            return;
        }
        // both ranges checked first: a copy that does not fit writes nothing (as MemorySegment.copy). In line
        // arithmetic, not Objects.checkFromIndexSize: with the vector code inlined around it the JIT's budget
        // ran out and left those two as calls (4 % of the PMD's samples)
        if ((srcOff | dstOff) < 0 || srcOff > src.byteSize() - len || dstOff > dst.byteSize() - len)
            throw outOfRange(src, srcOff, dst, dstOff, len);
        if (VECTOR > 0 && len >= VECTOR) VectorCopy.copy(src, srcOff, dst, dstOff, len);
        else longs(src, srcOff, dst, dstOff, len);
    }

    private static IndexOutOfBoundsException outOfRange(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        return new IndexOutOfBoundsException("copy of " + len + " bytes from offset " + srcOff + " of " + src.byteSize()
                + " to offset " + dstOff + " of " + dst.byteSize() + " is out of range");
    }

    /** 8 bytes at a time, 8 <= len, both ranges checked by the caller. */
    static void longs(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) dst.set(JAVA_LONG_UNALIGNED, dstOff + i, src.get(JAVA_LONG_UNALIGNED, srcOff + i));
        if (i < len) dst.set(JAVA_LONG_UNALIGNED, dstOff + len - 8, src.get(JAVA_LONG_UNALIGNED, srcOff + len - 8));
    }

    /** How small frames are copied and why, for the daemon's start-up log. */
    static final String DESCRIPTION = VECTOR > 0 ? "small frames (up to " + SMALL + " bytes) are copied with " + VECTOR + "-byte vectors"
            : "small frames are copied 8 bytes at a time (" + why8() + ")";

    private static boolean wanted() { return Boolean.parseBoolean(System.getProperty("xvio.vectorCopy", "false")); }

    private static boolean modulePresent() { return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(); }

    private static int vectorWidth() {
        // VectorCopy is loaded only here and when used: it needs the module
        return wanted() && modulePresent() ? VectorCopy.width() : 0;
    }

    private static String why8() {
        if (!wanted()) return "vectors only with -Dxvio.vectorCopy=true: guest memory truncated under them would crash the JVM";
        if (!modulePresent()) return "the JVM runs without --add-modules jdk.incubator.vector";
        return "this CPU's vectors are narrower than 32 bytes";
    }
}
