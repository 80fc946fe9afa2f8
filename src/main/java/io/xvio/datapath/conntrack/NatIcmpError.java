package io.xvio.datapath.conntrack;

import io.xvio.packet.Checksum;
import io.xvio.packet.FlowKey;
import io.xvio.packet.Rewrite;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * Translates an ICMP/ICMPv6 error related to a NAT connection, as OVS's reverse_nat_packet: the quoted packet
 * gets back the tuple it had on its side of the translation, and the outer header's addresses that belong to
 * the connection are translated like a packet of the error's direction (an error from a router keeps the
 * router's address). The inner IPv4 header checksum and, when quoted, the inner TCP/UDP checksum are updated
 * (as OVS does), and the ICMP checksum is recomputed (errors are rare).
 */
final class NatIcmpError {
    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfLong BE64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NatIcmpError() {}

    /**
     * reply: the error travels in the reply direction (it quotes an original-direction packet). Returns the
     * snat/dnat bit as for a packet of that direction.
     */
    static int translate(ConnPool p, int c, boolean reply, FlowKey key, MemorySegment s, long off, int end) {
        long[] K = p.rec;
        int f = c * ConnPool.STRIDE, r = f + ConnPool.KEY_WORDS;
        // the error's direction: packets of this direction arrive with tuple "from" and leave with the reverse
        // of "to"; the quoted packet went the other way and must read as tuple "to" (as sent on that side)
        int from = reply ? r : f, to = reply ? f : r;
        boolean v6 = ConnPool.v6(K[f + 4]);
        int proto = ConnPool.proto(K[f + 4]);
        int l3 = key.l3, l4 = key.l4, q = l4 + 8;
        long[] w = key.w;
        if (v6) {
            if (s.get(BE64, off + l3 + 8) == K[from] && s.get(BE64, off + l3 + 16) == K[from + 1]) {
                Rewrite.setIpv6Addr(s, off, l3, -1, 58, true, K[to + 2], K[to + 3]);
                w[FlowKey.IPV6_SRC_HI] = K[to + 2];
                w[FlowKey.IPV6_SRC_LO] = K[to + 3];
            }
            if (s.get(BE64, off + l3 + 24) == K[from + 2] && s.get(BE64, off + l3 + 32) == K[from + 3]) {
                Rewrite.setIpv6Addr(s, off, l3, -1, 58, false, K[to], K[to + 1]);
                w[FlowKey.IPV6_DST_HI] = K[to];
                w[FlowKey.IPV6_DST_LO] = K[to + 1];
            }
            int il4 = q + 40, csum = csumInside(il4, end, proto) ? il4 : -1;
            Rewrite.setIpv6Addr(s, off, q, csum, proto, true, K[to], K[to + 1]);
            Rewrite.setIpv6Addr(s, off, q, csum, proto, false, K[to + 2], K[to + 3]);
            innerPorts(s, off, il4, csum >= 0, proto, K[to + 4]);
        } else {
            long src = s.get(BE32, off + l3 + 12) & 0xffffffffL, dst = s.get(BE32, off + l3 + 16) & 0xffffffffL;
            if (src == K[from + 1]) {
                Rewrite.setIpv4Addr(s, off, l3, -1, 1, true, K[to + 3]);
                w[FlowKey.NW_SRC] = K[to + 3];
            }
            if (dst == K[from + 3]) {
                Rewrite.setIpv4Addr(s, off, l3, -1, 1, false, K[to + 1]);
                w[FlowKey.NW_DST] = K[to + 1];
            }
            int il4 = q + (s.get(JAVA_BYTE, off + q) & 15) * 4, csum = csumInside(il4, end, proto) ? il4 : -1;
            Rewrite.setIpv4Addr(s, off, q, csum, proto, true, K[to + 1]);
            Rewrite.setIpv4Addr(s, off, q, csum, proto, false, K[to + 3]);
            innerPorts(s, off, il4, csum >= 0, proto, K[to + 4]);
        }
        // the ICMP checksum over the whole message (ICMPv6: with the pseudo-header)
        s.set(BE16, off + l4 + 2, (short) 0);
        long sum = Checksum.sum(s, off + l4, end - l4);
        if (v6) sum += CtChecksums.pseudo(s, off, l3, 58, end - l4, true);
        s.set(BE16, off + l4 + 2, (short) ~Checksum.fold(sum));
        boolean snat = p.nat(c) == 1;
        return snat != reply ? CtState.SNAT : CtState.DNAT;
    }

    /** Whether the quoted TCP/UDP header at il4 holds its checksum field (a quoted TCP header is often cut). */
    private static boolean csumInside(int il4, int end, int proto) {
        return (proto == 17 && il4 + 8 <= end) || (proto == 6 && il4 + 18 <= end);
    }

    /** The quoted TCP/UDP ports become those of key meta m, with the quoted checksum updated when present. */
    private static void innerPorts(MemorySegment s, long off, int il4, boolean csum, int proto, long m) {
        if (proto != 6 && proto != 17) return;
        if (csum) {
            Rewrite.setPort(s, off, il4, proto, true, ConnPool.sport(m));
            Rewrite.setPort(s, off, il4, proto, false, ConnPool.dport(m));
        } else {
            s.set(BE16, off + il4, (short) ConnPool.sport(m));
            s.set(BE16, off + il4 + 2, (short) ConnPool.dport(m));
        }
    }
}
