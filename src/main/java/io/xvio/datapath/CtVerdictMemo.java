package io.xvio.datapath;

import io.xvio.datapath.action.Ct;
import io.xvio.packet.FlowKey;

/**
 * One PMD thread's last fixed-point ct() verdicts ({@link io.xvio.datapath.conntrack.ConnTracker#repeatable}: a
 * packet of an existing UDP connection that changed nothing), by ct action and zone, for the packets of the same
 * tuple later in the same burst: they take the verdict without the tracker (their checksums verified by the caller).
 * A cached translation's ct action is the resolved one (its exec's values are constants), so the action, the zone
 * and the tuple words (with the NAT bits an earlier ct() left in ct_state) decide the verdict; the clock (read once
 * per poll of the thread's queues) keeps a verdict from outliving its burst, and any tracking on this thread that is
 * not a fixed point empties the memo. IPv4 only (the tuple has no IPv6 words). OVN sends every packet through four
 * ct() calls in three passes: a run of one flow's packets tracks each call once. Sixteen slots in sets of two; no
 * allocation.
 */
final class CtVerdictMemo {
    /** Sets of two slots, chosen by a hash of the action, zone and tuple: a miss costs a hash and two compares. */
    static final int SETS = 8, SLOTS = SETS * 2;
    /**
     * The key words a verdict depends on, read before the ct() writes its own: dl_type, nw_proto, nw_frag, nw_src,
     * nw_dst, tp_src, tp_dst and CT_MISC (the NAT bits an earlier ct() left), in that order ({@link #claim}).
     */
    private static final int TUPLE_WORDS = 8;
    private static final int VERDICT = FlowKey.CT_TP - FlowKey.CT_MISC + 1;

    private final Ct[] ct = new Ct[SLOTS];
    private final int[] zone = new int[SLOTS];
    private final long[] now = new long[SLOTS];
    private final long[] tuple = new long[SLOTS * TUPLE_WORDS];
    private final long[] verdict = new long[SLOTS * VERDICT];
    /** Per set: the slot the next claim takes (the two alternate). */
    private final byte[] victim = new byte[SETS];
    private int live;
    /** Polls the memo sits out after one in which it kept verdicts and none was taken (every packet another flow). */
    static final int REST = 64;
    private long poll;
    private int hits, claims, resting;

    private static int set(Ct c, int z, long[] w) {
        long h = w[FlowKey.NW_SRC] * 0x9E3779B97F4A7C15L ^ w[FlowKey.NW_DST] * 0xC2B2AE3D27D4EB4FL
                ^ (w[FlowKey.TP_SRC] << 16 | w[FlowKey.TP_DST] | (long) z << 32) * 0x165667B19E3779F9L
                ^ System.identityHashCode(c);
        return (int) (h ^ h >>> 29 ^ h >>> 47) & (SETS - 1);
    }

    /**
     * Whether to use the memo in the poll of clock t: not for {@link #REST} polls after one that kept at least a few
     * verdicts and served none (then keeping them is pure cost), so traffic of many interleaved flows pays nothing.
     */
    boolean on(long t) {
        if (t != poll) {
            poll = t;
            if (resting > 0) resting--;
            else if (claims >= 4 && hits == 0) resting = REST;
            hits = claims = 0;
        }
        return resting == 0;
    }

    /** The slot holding the verdict of c in zone z for key words w at clock t, or -1. */
    int find(Ct c, int z, long[] w, long t) {
        if (live == 0) return -1;
        int first = set(c, z, w) * 2;
        for (int s = first; s < first + 2; s++) {
            if (ct[s] != c || zone[s] != z || now[s] != t) continue;
            if (sameTuple(s * TUPLE_WORDS, w)) {
                hits++;
                return s;
            }
        }
        return -1;
    }

    /** Takes a slot for the verdict of c in zone z at clock t on key words w (before the ct() writes them). */
    int claim(Ct c, int z, long[] w, long t) {
        int set = set(c, z, w), s = set * 2 + victim[set];
        victim[set] ^= 1;
        claims++;
        if (ct[s] == null) live++;
        ct[s] = c;
        zone[s] = z;
        now[s] = t;
        int at = s * TUPLE_WORDS;
        long[] k = tuple;
        k[at] = w[FlowKey.DL_TYPE];
        k[at + 1] = w[FlowKey.NW_PROTO];
        k[at + 2] = w[FlowKey.NW_FRAG];
        k[at + 3] = w[FlowKey.NW_SRC];
        k[at + 4] = w[FlowKey.NW_DST];
        k[at + 5] = w[FlowKey.TP_SRC];
        k[at + 6] = w[FlowKey.TP_DST];
        k[at + 7] = w[FlowKey.CT_MISC];
        return s;
    }

    /**
     * Whether the tuple kept at {@code at} is key words w's. Written out word by word: with constant indices the JIT
     * checks w's bounds once (a loop over an index array loads and checks each; it was most of a lookup's time).
     */
    private boolean sameTuple(int at, long[] w) {
        long[] t = tuple;
        return t[at + 7] == w[FlowKey.CT_MISC] && t[at + 3] == w[FlowKey.NW_SRC] && t[at + 4] == w[FlowKey.NW_DST]
                && t[at + 5] == w[FlowKey.TP_SRC] && t[at + 6] == w[FlowKey.TP_DST] && t[at + 1] == w[FlowKey.NW_PROTO]
                && t[at] == w[FlowKey.DL_TYPE] && t[at + 2] == w[FlowKey.NW_FRAG];
    }

    /** Slot s's verdict: the ct_* words w holds after the ct(). */
    void keep(int s, long[] w) { System.arraycopy(w, FlowKey.CT_MISC, verdict, s * VERDICT, VERDICT); }

    /** Slot s's verdict into key words w. */
    void apply(int s, long[] w) { System.arraycopy(verdict, s * VERDICT, w, FlowKey.CT_MISC, VERDICT); }

    /**
     * Forgets every verdict: this thread's tracker changed a connection (state, a new one, one deleted), which a
     * kept verdict may have come from. Another thread's changes race with this burst as they do without the memo.
     */
    void clear() {
        if (live == 0) return;
        java.util.Arrays.fill(ct, null);
        live = 0;
    }
}
