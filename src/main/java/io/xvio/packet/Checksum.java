package io.xvio.packet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * Internet checksums (RFC 1071) over frames in place. {@link #completeL4} finishes what a Linux sender left
 * to "hardware" (CHECKSUM_PARTIAL): frames captured from a veth or TAP carry a TCP/UDP checksum field that holds
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
     * Completes the TCP or UDP checksum of the Ethernet frame s[frame, frame+len) (IPv4, or IPv6 without
     * extension headers, behind up to two VLAN tags), whose checksum field holds the folded pseudo-header sum:
     * the checksum becomes the complement of the sum over the L4 header and payload. Returns false, changing
     * nothing, for any other frame or one whose lengths do not add up.
     */
    public static boolean completeL4(MemorySegment s, long frame, int len) {
        if (len < Ethernet.HEADER) return false;
        int l2 = Ethernet.HEADER;
        int type = be16(s, frame + 12);
        for (int tags = 0; tags < 2 && (type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) && l2 + 4 <= len; tags++) {
            type = be16(s, frame + l2 + 2);
            l2 += 4;
        }
        long l3 = frame + l2;
        int proto;
        long l4, end;
        if (type == Ethernet.TYPE_IPV4) {
            if (len < l2 + 20) return false;
            int vihl = s.get(JAVA_BYTE, l3) & 0xff;
            int ihl = (vihl & 0xf) * 4;
            if (vihl >> 4 != 4 || ihl < 20) return false;
            if ((be16(s, l3 + 6) & 0x3fff) != 0) return false;      // a fragment: no partial checksum there
            proto = s.get(JAVA_BYTE, l3 + 9) & 0xff;
            l4 = l3 + ihl;
            end = l3 + be16(s, l3 + 2);
        } else if (type == Ethernet.TYPE_IPV6) {
            if (len < l2 + 40) return false;
            proto = s.get(JAVA_BYTE, l3 + 6) & 0xff;
            l4 = l3 + 40;
            end = l4 + be16(s, l3 + 4);
        } else {
            return false;
        }
        if (end > frame + len || l4 > end) return false;
        long field;
        if (proto == PROTO_TCP && end - l4 >= 20) field = l4 + 16;
        else if (proto == PROTO_UDP && end - l4 >= 8) field = l4 + 6;
        else return false;
        int c = ~fold(sum(s, l4, end - l4)) & 0xffff;
        if (proto == PROTO_UDP && c == 0) c = 0xffff;          // UDP: 0 means "no checksum"
        s.set(BE_SHORT, field, (short) c);
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
