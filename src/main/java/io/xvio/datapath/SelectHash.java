package io.xvio.datapath;

import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;

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
            h = mix(a) + mix(b) + proto;                  // a sum: the same both ways
            if (proto == 6 || proto == 17 || proto == 132) {
                if (rec != null) { rec.unwildcard(FlowKey.TP_SRC, 0xffff); rec.unwildcard(FlowKey.TP_DST, 0xffff); }
                h = mix(h) + mix(w[FlowKey.TP_SRC] + 0x10000) + mix(w[FlowKey.TP_DST] + 0x10000);
            }
        } else {
            if (rec != null) { rec.unwildcard(FlowKey.DL_SRC, 0xffffffffffffL); rec.unwildcard(FlowKey.DL_DST, 0xffffffffffffL); }
            h = mix(w[FlowKey.DL_SRC]) + mix(w[FlowKey.DL_DST]) + type;
        }
        return mix(h);
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
