package io.xvio.datapath.conntrack;

/**
 * What one {@link ConnTracker#track} call found: the per-packet metadata the ct() action sets (ct_state,
 * ct_zone, ct_mark, ct_label, the original-direction tuple) plus a handle to the connection for commit's exec().
 * One instance per PMD thread (or per batch slot), reused: nothing is allocated per packet.
 */
public final class CtResult {
    public int state, zone, mark;
    public long labelHi, labelLo;
    /** Original-direction tuple (ct_nw_proto, ct_nw_src/dst or ct_ipv6_src/dst, ct_tp_src/dst; ICMP type/code). */
    public int origProto, origTpSrc, origTpDst;
    public boolean origV6;
    /** IPv4: address in origSrcLo/origDstLo (hi 0). IPv6: the two 64-bit halves. */
    public long origSrcHi, origSrcLo, origDstHi, origDstLo;
    /** The connection, or -1 when none was committed; conn is valid while its generation is gen. */
    int conn = -1, gen;

    void reset(int zone) {
        state = mark = 0;
        this.zone = zone;
        labelHi = labelLo = 0;
        origProto = origTpSrc = origTpDst = 0;
        origV6 = false;
        origSrcHi = origSrcLo = origDstHi = origDstLo = 0;
        conn = -1;
    }

    /** True when the packet belongs to a committed connection (ct_mark/ct_label can be set). */
    public boolean committed() { return conn >= 0; }

    @Override public String toString() { return "ct_state=" + CtState.format(state) + ",ct_zone=" + zone + ",ct_mark=" + mark; }
}
