package io.xvio.virtio;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Copies between guest memory and packet buffers. Frames of up to 128 bytes (what small-packet traffic is)
 * are copied with 8-byte loads and stores the JIT compiles in line, the last 8 bytes overlapping when the
 * length is not a multiple of 8; larger ones go to {@link MemorySegment#copy}.
 */
final class SmallCopy {
    static final int SMALL = 128;

    private SmallCopy() {}

    static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        if (len < 8 || len > SMALL) {
            MemorySegment.copy(src, srcOff, dst, dstOff, len);
            return;
        }
        // both ranges checked first: a copy that does not fit writes nothing (as MemorySegment.copy)
        Objects.checkFromIndexSize(srcOff, len, src.byteSize());
        Objects.checkFromIndexSize(dstOff, len, dst.byteSize());
        int i = 0;
        for (; i + 8 <= len; i += 8) dst.set(JAVA_LONG_UNALIGNED, dstOff + i, src.get(JAVA_LONG_UNALIGNED, srcOff + i));
        if (i < len) dst.set(JAVA_LONG_UNALIGNED, dstOff + len - 8, src.get(JAVA_LONG_UNALIGNED, srcOff + len - 8));
    }
}
