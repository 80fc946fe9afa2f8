package io.xvio.datapath;

import io.xvio.packet.FlowKey;

/**
 * One PMD thread's direct-mapped front for its cache of recirculated packets (OVS keeps its exact-match cache
 * in front of recirculated lookups too). It serves the megaflow entries whose mask reads nothing but the
 * recirc_id, the input port, dp_hash's low bits (a select group's bucket choice), the Ethernet type, nw_frag and
 * the conntrack verdict (ct_state, ct_zone, ct_nw_proto: one word; ct_mark): {@link MegaflowCache.Entry#recircFront}.
 * Those are the second passes of a dp_hash select group and of a security group's {@code ct(table=T)}; they are
 * found here by those words with one hash and four compares instead of a probe per megaflow mask. Any key with
 * the same values of these words matches such an entry, so a hit is always the entry the megaflow lookup would
 * give. A slot is trusted only in the cache epoch it was filled in (like the {@link ExactMatchCache}).
 * Allocates nothing.
 */
final class RecircFront {
    static final int SLOTS = 1024;
    private static final int STRIDE = 4;       // per slot: recirc_id|in_port|dp_hash slot (top bit: filled), ct_misc, ct_mark, dl_type|nw_frag
    private final long[] tags = new long[SLOTS * STRIDE];
    private final int[] epochs = new int[SLOTS];
    private final MegaflowCache.Entry[] entries = new MegaflowCache.Entry[SLOTS];

    /** Whether an entry of this mask may be served by the front: it reads only words the front compares. */
    static boolean covers(long[] mask, int[] maskWords) {
        if ((mask[FlowKey.DP_HASH] & ~(long) (Group.DP_HASH_SLOTS - 1)) != 0) return false;
        for (int w : maskWords) {
            if (w != FlowKey.RECIRC_ID && w != FlowKey.IN_PORT && w != FlowKey.DP_HASH && w != FlowKey.CT_MISC
                    && w != FlowKey.CT_MARK && w != FlowKey.DL_TYPE && w != FlowKey.NW_FRAG) return false;
        }
        return true;
    }

    /** recirc_id, in_port and dp_hash's low {@link Group#DP_HASH_SLOTS} bits of key k in one word; the top bit set. */
    private static long packed(long[] k) {
        return (k[FlowKey.RECIRC_ID] & 0xffffffffL) << 24 | (k[FlowKey.IN_PORT] & 0xffff) << 8
                | (k[FlowKey.DP_HASH] & (Group.DP_HASH_SLOTS - 1)) | Long.MIN_VALUE;
    }

    /** dl_type and nw_frag in one word (a ct() pass reads both: the type, and whether the packet is a fragment). */
    private static long l3(long[] k) { return k[FlowKey.DL_TYPE] | k[FlowKey.NW_FRAG] << 32; }

    private static int slot(long p, long[] k) {
        long x = p * 0x9E3779B97F4A7C15L + k[FlowKey.CT_MISC] * 0xC2B2AE3D27D4EB4FL + k[FlowKey.CT_MARK] * 0x165667B19E3779F9L
                + l3(k) * 0xD6E8FEB86659FD93L;
        x ^= x >>> 29;
        return (int) (x >>> 40) & (SLOTS - 1);
    }

    /** The entry for key k (recirc_id set), if filled in this epoch; else null. */
    MegaflowCache.Entry find(long[] k, int epoch) {
        long p = packed(k);
        int s = slot(p, k), b = s * STRIDE;
        long[] t = tags;
        return t[b] == p && t[b + 1] == k[FlowKey.CT_MISC] && t[b + 2] == k[FlowKey.CT_MARK] && t[b + 3] == l3(k)
                && epochs[s] == epoch ? entries[s] : null;
    }

    /** Serves e (an entry it {@linkplain #covers covers}) for key k's values of the front's words. */
    void insert(long[] k, int epoch, MegaflowCache.Entry e) {
        long p = packed(k);
        int s = slot(p, k), b = s * STRIDE;
        long[] t = tags;
        t[b] = p;
        t[b + 1] = k[FlowKey.CT_MISC];
        t[b + 2] = k[FlowKey.CT_MARK];
        t[b + 3] = l3(k);
        epochs[s] = epoch;
        entries[s] = e;
    }
}
