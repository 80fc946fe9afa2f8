package io.xvio.datapath.conntrack;

import io.xvio.packet.Checksum;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Checksum checks done before tracking, as OVS's conntrack does (a packet with a bad IPv4 header or L4
 * checksum is +inv, so corrupt segments cannot move a TCP window). Offsets are relative to the frame at off.
 */
final class CtChecksums {
    private static final ValueLayout.OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private CtChecksums() {}

    static boolean ipv4Header(MemorySegment s, long off, int l3, int ihl) {
        return Checksum.fold(Checksum.sum(s, off + l3, ihl)) == 0xffff;
    }

    /** TCP, UDP (an IPv4 UDP checksum of 0 means none), ICMP (no pseudo-header) or ICMPv6 over [l4, end). */
    static boolean l4(MemorySegment s, long off, int l3, int l4, int end, int proto, boolean v6) {
        int n = end - l4;
        if (proto == 17 && !v6 && s.get(BE16, off + l4 + 6) == 0) return true;
        long sum = Checksum.sum(s, off + l4, n);
        if (proto != 1) sum += pseudo(s, off, l3, proto, n, v6);
        return Checksum.fold(sum) == 0xffff;
    }

    static long pseudo(MemorySegment s, long off, int l3, int proto, int n, boolean v6) {
        return (v6 ? Checksum.sum(s, off + l3 + 8, 32) : Checksum.sum(s, off + l3 + 12, 8)) + proto + n;
    }
}
