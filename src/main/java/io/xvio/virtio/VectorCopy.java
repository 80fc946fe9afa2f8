package io.xvio.virtio;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link SmallCopy}'s vector path: the CPU's widest byte vectors, which the JIT turns into single loads and
 * stores (the vectors never reach the heap: no allocation in steady state). Loaded only when the
 * jdk.incubator.vector module is present.
 */
final class VectorCopy {
    private static final VectorSpecies<Byte> S = ByteVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorCopy() {}

    /** Bytes per step, or 0 if the CPU's vectors are under 32 bytes (then 8-byte copies are as good). */
    static int width() { return S.vectorBitSize() >= 256 ? S.length() : 0; }

    /** Copies len >= width() bytes; both ranges checked by the caller. */
    static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int len) {
        int w = S.length(), i = 0;
        for (; i + w <= len; i += w) ByteVector.fromMemorySegment(S, src, srcOff + i, LE).intoMemorySegment(dst, dstOff + i, LE);
        if (i < len) ByteVector.fromMemorySegment(S, src, srcOff + len - w, LE).intoMemorySegment(dst, dstOff + len - w, LE);
    }
}
