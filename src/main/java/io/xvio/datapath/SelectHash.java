package io.xvio.datapath;

import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The hash a select group chooses its bucket by. Default (and {@code selection_method=dp_hash}): the 5-tuple,
 * symmetric, so both directions of a connection take the same bucket: IPv4/IPv6 addresses and protocol, and TCP,
 * UDP or SCTP ports; non-IP frames hash their Ethernet addresses. {@code fields(...)}: the listed fields. The
 * fields hashed are recorded for the megaflow cache, so each cached entry covers one value of them.
 */
final class SelectHash {
    private SelectHash() {}

    static long hash(Group.Selection sel, FlowKey k, MegaflowCache.Recorder rec) {
        long[] w = k.w;
        if (!sel.fields().isEmpty()) {
            long h = 0x9E3779B97F4A7C15L;
            for (Field f : sel.fields()) {
                h = mix(h ^ f.get(w[f.word]));
                if (rec != null) rec.unwildcard(f.word, f.fullMask());
                if (f.words() == 2) {
                    h = mix(h ^ w[f.word + 1]);
                    if (rec != null) rec.unwildcard(f.word + 1, -1L);
                }
            }
            return h;
        }
        if (rec != null) rec.unwildcard(FlowKey.DL_TYPE, 0xffff);
        long type = w[FlowKey.DL_TYPE];
        long h;
        if (type == Ethernet.TYPE_IPV4 || type == Ethernet.TYPE_IPV6) {
            long a, b;
            if (type == Ethernet.TYPE_IPV4) {
                a = w[FlowKey.NW_SRC];
                b = w[FlowKey.NW_DST];
                if (rec != null) { rec.unwildcard(FlowKey.NW_SRC, 0xffffffffL); rec.unwildcard(FlowKey.NW_DST, 0xffffffffL); }
            } else {
                a = mix(w[FlowKey.IPV6_SRC_HI]) ^ w[FlowKey.IPV6_SRC_LO];
                b = mix(w[FlowKey.IPV6_DST_HI]) ^ w[FlowKey.IPV6_DST_LO];
                if (rec != null)
                    for (int x = FlowKey.IPV6_SRC_HI; x <= FlowKey.IPV6_DST_LO; x++) rec.unwildcard(x, -1L);
            }
            long proto = w[FlowKey.NW_PROTO];
            if (rec != null) rec.unwildcard(FlowKey.NW_PROTO, 0xff);
            if (rec != null && hasPorts(proto)) { rec.unwildcard(FlowKey.TP_SRC, 0xffff); rec.unwildcard(FlowKey.TP_DST, 0xffff); }
            return l3l4(a, b, proto, w[FlowKey.TP_SRC], w[FlowKey.TP_DST]);
        } else {
            if (rec != null) { rec.unwildcard(FlowKey.DL_SRC, 0xffffffffffffL); rec.unwildcard(FlowKey.DL_DST, 0xffffffffffffL); }
            h = mix(w[FlowKey.DL_SRC]) + mix(w[FlowKey.DL_DST]) + type;
        }
        return mix(h);
    }

    private static boolean hasPorts(long proto) { return proto == 6 || proto == 17 || proto == 132; }

    /**
     * The IP part of the default hash, 32 bits: the addresses a and b by their sum and their xor, the ports likewise
     * (the same both ways), with the protocol, multiplied by two odd constants; the high half of the sum of the
     * products depends on every input bit (multiplicative hashing), so no final mix is needed.
     */
    private static long l3l4(long a, long b, long proto, long tpSrc, long tpDst) {
        long addrs = ((a + b) << 32) ^ (a ^ b);
        long ports = hasPorts(proto) ? ((tpSrc + tpDst) << 17) ^ (tpSrc ^ tpDst) : 0;
        return (addrs * 0x9E3779B97F4A7C15L + ((ports << 8 | proto) * 0xC2B2AE3D27D4EB4FL)) >>> 32;
    }

    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * dp_hash straight from an untagged, unfragmented IPv4 frame with a 20-byte header (and, for TCP, UDP and SCTP,
     * a whole L4 header): the same value {@link #dpHash} gives for its extracted key, without extracting it. -1 for
     * any other frame (the caller extracts the key then).
     */
    static long frameDpHash(MemorySegment d, long o, int len) {
        if (len < 34) return -1;
        long l0 = d.get(BE64, o + 12);           // type, version/ihl, tos, total length, id
        long l1 = d.get(BE64, o + 20);           // flags/fragment offset, ttl, protocol, checksum, source's first half
        if ((l0 & 0xffff_0f00_0000_0000L) != 0x0800_0500_0000_0000L) return -1;   // IPv4, 20-byte header
        int total = (int) (l0 >>> 16) & 0xffff;
        if (total < 20 || total > len - 14 || (l1 & 0x3fff_0000_0000_0000L) != 0) return -1;   // whole, not a fragment
        int proto = (int) (l1 >>> 32) & 0xff;
        long addrs = d.get(BE64, o + 26);
        long a = addrs >>> 32, b = addrs & 0xffffffffL;
        long ports = 0;
        if (hasPorts(proto)) {
            int l4 = total - 20;
            if (proto == 6) {
                if (l4 < 20) return -1;
                int doff = ((d.get(ValueLayout.JAVA_BYTE, o + 46) & 0xff) >>> 4) * 4;
                if (doff < 20 || doff > l4) return -1;
            } else if (l4 < (proto == 17 ? 8 : 12)) {
                return -1;
            }
            ports = d.get(BE32, o + 34) & 0xffffffffL;
        }
        return l3l4(a, b, proto, ports >>> 16, ports & 0xffff);
    }

    /** dp_hash: the symmetric 5-tuple hash of key k, 32 bits (as the datapath's hash action computes it). */
    static long dpHash(FlowKey k) { return hash(Group.Selection.DEFAULT, k, null) & 0xffffffffL; }

    /** SplitMix64's finaliser: every input bit reaches every output bit. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
