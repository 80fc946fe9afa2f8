package io.xvio.virtio;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Copies between guest memory and packet buffers. Every copy here has guest memory on one side, and guest memory
 * can vanish under a copy: a hostile or broken front-end that shrinks its memory file makes the next access
 * raise SIGBUS. The JVM turns that SIGBUS into an InternalError, which faults the queue, only in its copy stubs and
 * in code it compiled with Unsafe memory accesses; a C2-compiled vector access (jdk.incubator.vector) is not such
 * code, and the JVM dies instead (seen in a unit test, reproduced with a warmed loop).
 *
 * <p>So: frames under 64 bytes are copied in line 8 bytes at a time (the last piece overlaps the one before it
 * when the length is not a multiple); from 64 bytes on, {@link MemorySegment#copy} calls the JVM's copy stub,
 * which moves 32 bytes per instruction and is SIGBUS-safe. Wide stores matter: a receive burst writes into
 * guest buffer lines the driver's CPU last held, and every store waits in the store queue until its line arrives;
 * three 32-byte stores per 76-byte frame instead of ten 8-byte ones let the ownership requests of several times as
 * many frames overlap (rig, in_port, 64-byte frames, 2026-12-04: 8-byte copies 15.0 Mpps, the stub 19.4, in-line
 * vectors 19.8).
 *
 * <p>{@code -Dxvio.vectorCopy=true} copies frames of up to 128 bytes with in-line 32-byte vectors ({@link
 * VectorCopy}, when the jdk.incubator.vector module is present and the CPU has them): no call, but a crash
 * instead of a queue error if guest memory shrinks under it.
 */
final class SmallCopy {
    static final int SMALL = 128;
    /** Bytes per vector copy step; 0 when vectors are not used. */
    static final int VECTOR = vectorWidth();
    /** Largest frame copied in line; larger ones go to MemorySegment.copy (from 64 bytes on, its stub). */
    static final int IN_LINE = VECTOR > 0 ? SMALL : 63;

    private SmallCopy() {}

    static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        if (len < 8 || len > IN_LINE) {
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
            : "frames of up to " + IN_LINE + " bytes are copied 8 bytes at a time, larger ones by the JVM's copy stub (" + why8() + ")";

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
