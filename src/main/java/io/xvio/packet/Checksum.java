package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * Internet checksums (RFC 1071) over frames in place. {@link #completePartial} finishes what a Linux sender
 * left to "hardware" (CHECKSUM_PARTIAL): frames captured from a veth carry a TCP/UDP checksum field that holds
 * only the pseudo-header sum, which a receiver without checksum offload (a virtio guest that did not negotiate
 * it) would reject. No allocation.
 */
public final class Checksum {
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE_LONG = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    public static final int PROTO_TCP = 6, PROTO_UDP = 17;

    private Checksum() {}

    /**
     * Completes the checksum a sender left to "hardware" (Linux's CHECKSUM_PARTIAL, virtio-net's
     * VIRTIO_NET_HDR_F_NEEDS_CSUM) in the frame s[frame, frame+len): the field at start+offset holds the folded
     * pseudo-header sum, and becomes the complement of the sum over the frame from start to its end (0 written as
     * 0xffff, as Linux does: the same value for TCP, and not "no checksum" for UDP). The offsets come from the
     * kernel, which works for any protocol it offloads; nothing is parsed here. Returns false, changing nothing, if
     * the field is not inside the frame.
     */
    public static boolean completePartial(MemorySegment s, long frame, int len, int start, int offset) {
        if (start < 0 || offset < 0 || (long) start + offset + 2 > len) return false;
        int c = ~fold(sum(s, frame + start, len - start)) & 0xffff;
        s.set(BE_SHORT, frame + start + offset, (short) (c == 0 ? 0xffff : c));
        return true;
    }

    /** The ones'-complement sum of n bytes at off as 16-bit big-endian words (an odd last byte padded), unfolded. */
    public static long sum(MemorySegment s, long off, long n) {
        long acc = 0;
        long i = 0;
        // 32-bit halves of 8-byte words: once folded, the same ones'-complement sum as 16-bit words (2^16 = 1
        // modulo 0xffff), in a quarter of the steps; the long cannot overflow within 2^30 steps (8 GiB)
        for (; i + 8 <= n; i += 8) {
            long v = s.get(BE_LONG, off + i);
            acc += (v >>> 32) + (v & 0xffffffffL);
        }
        if (i + 4 <= n) { acc += s.get(BE_INT, off + i) & 0xffffffffL; i += 4; }
        if (i + 2 <= n) { acc += be16(s, off + i); i += 2; }
        if (i < n) acc += (s.get(JAVA_BYTE, off + i) & 0xff) << 8;
        return acc;
    }

    /** Folds a sum to 16 bits with end-around carry. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    private static int be16(MemorySegment s, long off) {
        return s.get(BE_SHORT, off) & 0xffff;
    }
}
