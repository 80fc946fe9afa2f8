package io.xvio.datapath;

import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Clone;
import io.xvio.datapath.action.Ct;
import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.CtResult;
import io.xvio.datapath.conntrack.CtState;
import io.xvio.datapath.conntrack.FragmentStore;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.VnetHeader;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What ct() and ct_clear do to a packet in a bridge's datapath, the same on a cache miss and at replay: the
 * tracker's verdict goes into the packet's ct_* key words (FlowKey.CT_*), which the next pass's lookups match. After
 * a ct() the packet itself goes on untracked (OVS clears the flow's ct fields after ct(); only the recirculated
 * pass sees them), and after a ct(nat) its header words are put back as they were for the rest of this pass (OVS's
 * translation does not see the datapath's NAT either; the frame keeps it). A later ct() of the same pass tracks the
 * frame as it is, its addresses and ports read again (OVS's datapath conntrack parses the packet: OVN's load balancer
 * hairpin DNATs, SNATs and tracks again in one pass). Per-thread state only; no allocation.
 */
final class CtExecution {
    /** Header words a NAT may rewrite, saved around a ct(nat) that the packet itself continues after. */
    private static final int[] NAT_WORDS = {FlowKey.NW_SRC, FlowKey.NW_DST, FlowKey.IPV6_SRC_HI, FlowKey.IPV6_SRC_LO,
            FlowKey.IPV6_DST_HI, FlowKey.IPV6_DST_LO, FlowKey.TP_SRC, FlowKey.TP_DST};

    private final Conntrack conntrack;
    /** Per thread (index thread + 2; 0 is a trace's): the tracker's result and the saved header words. */
    private final CtResult[] results = new CtResult[BridgeDatapath.MAX_THREADS + 2];
    private final long[][] saved = new long[BridgeDatapath.MAX_THREADS + 2][];
    /** Per thread: the last ct() found the frame's addresses or ports rewritten by an earlier nat of the pass. */
    private final boolean[] viewed = new boolean[BridgeDatapath.MAX_THREADS + 2];
    /** Per thread: the last ct()'s verdict was a fixed point (the tracker's, or one taken from the memo). */
    private final boolean[] fixed = new boolean[BridgeDatapath.MAX_THREADS + 2];
    /** Per thread: fixed-point verdicts of this burst, for the packets of the same tuple after them. */
    private final CtVerdictMemo[] memos = new CtVerdictMemo[BridgeDatapath.MAX_THREADS + 2];

    CtExecution(Conntrack conntrack) { this.conntrack = conntrack; }

    Conntrack conntrack() { return conntrack; }

    /** IP fragments meeting ct(table=T): held until their datagram is whole (set by the bridge). */
    private CtFragments fragments;

    void fragments(CtFragments f) { this.fragments = f; }

    CtFragments fragments() { return fragments; }

    /** Per thread: the ct words of a completed datagram's fragments. */
    private final long[][] fragWords = new long[BridgeDatapath.MAX_THREADS + 2][];

    /** Once per burst: fragments of completed datagrams still waiting go on; incomplete ones expire. */
    void beforeBurst(PacketBatch b, int thread, long now) {
        ConnTracker tr = conntrack.get();
        if (tr != null && fragments != null && thread != BridgeDatapath.TRACE_THREAD) fragments.beforeBurst(tr, b, thread, now);
    }

    /**
     * Tracks packet i in zone as ct does (a trace only pretends: +trk+new, nothing stored, as ofproto/trace).
     * Returns false if the packet is an IP fragment the tracker holds: it goes no further in this pass (with its
     * datagram's other fragments it goes on once the datagram is whole: recirculated with a table; without, the
     * fragments are in {@link #fragments()}'s released slots for the caller to continue). resumeId: for a ct(table=T),
     * the recirc_id the caller resumes T with (the register stack frozen in it), which held fragments resume with too;
     * -1 if there is none. A packet whose tuple met the same ct() in this burst already, with a fixed-point verdict,
     * takes that verdict ({@link CtVerdictMemo}) once its checksums are verified.
     */
    boolean track(PacketBatch b, int i, Ct ct, int zone, int resumeId, int thread, long now) {
        FlowKey k = b.keys[i];
        long[] w = k.w;
        int slot = thread + 2;
        long[] s = saved[slot];
        if (s == null) s = saved[slot] = new long[NAT_WORDS.length];      // once per thread
        for (int x = 0; x < NAT_WORDS.length; x++) s[x] = w[NAT_WORDS[x]];
        ConnTracker tr = conntrack.get();
        // an earlier ct(nat) of this pass rewrote the frame but not the words the flows match (OVS's translation
        // keeps the flow as it was): this ct() tracks the frame as it is, as OVS's datapath conntrack parses the packet
        viewed[slot] = thread != BridgeDatapath.TRACE_THREAD && tr != null && frameWords(k, b.data, b.off[i]);
        k.extended = true;
        if (tr == null || thread == BridgeDatapath.TRACE_THREAD) {
            clear(k);
            k.extended = true;
            w[FlowKey.CT_MISC] = CtState.TRK | CtState.NEW | (long) (zone & 0xffff) << 32;
            return true;
        }
        CtResult r = results[slot];
        if (r == null) r = results[slot] = new CtResult();
        CtVerdictMemo memo = memos[slot];
        if (memo == null) memo = memos[slot] = new CtVerdictMemo();      // once per thread
        fixed[slot] = false;
        long frag = w[FlowKey.NW_FRAG];
        int rid = (frag & FlowKey.FRAG_ANY) == 0 || fragments == null ? -1 : ct.table() == Ct.NO_TABLE ? 0 : resumeId;
        if (rid >= 0 && (frag & FlowKey.L3_INVALID) == 0) {
            memo.clear();                       // a datagram tracked whole may change a connection
            int d = tr.fragments().offer(k, b.data, b.off[i], b.len[i], fragments.bridge, zone, ct.commit(), ct.force(),
                    ct.natAction(), now, slot, rid, r);
            if (d == FragmentStore.HELD) return false;
            if (d >= 0) {                       // the datagram is whole and tracked: its fragments go on
                exec(tr, ct, r);
                long[] fw = fragWords[slot];
                if (fw == null) fw = fragWords[slot] = new long[FlowKey.WORDS];     // once per thread
                write(fw, r);
                tr.fragments().setResult(d, fw);
                fragments.drain(tr.fragments(), b, thread);
                return false;
            }
            write(w, r);                        // rejected: +trk+inv, and on it goes
            return true;
        }
        int csum = csum(b, i);
        boolean useMemo = !viewed[slot] && memo.on(now);
        if (useMemo) {
            int m = memo.find(ct, zone, w, now);
            if (m >= 0 && tr.verifiesAgain(k, b.data, b.off[i], csum)) {
                if (csum == 0) b.checksumsGood(i);
                memo.apply(m, w);
                fixed[slot] = true;
                return true;
            }
        }
        // the NAT bits an earlier ct() of this zone left (a recirculated pass's key): the packet is translated already
        long misc = w[FlowKey.CT_MISC];
        int natted = ((misc >>> 32) & 0xffff) == (zone & 0xffff) ? (int) misc & (CtState.SNAT | CtState.DNAT) : 0;
        int st = tr.track(k, b.data, b.off[i], b.len[i], zone, ct.commit(), ct.force(), ct.natAction(), now, slot, r, csum, natted);
        if (csum == 0 && (st & CtState.INV) == 0) b.checksumsGood(i);      // verified (NAT keeps them good)
        exec(tr, ct, r);
        // a fixed point of an IPv4 tuple (the tracker read the frame as the words say) serves this burst's next
        // packets; anything else may have changed a connection a kept verdict came from (a first reply: +new to +est)
        boolean f = fixed[slot] = tr.repeatable(slot);
        if (!f) memo.clear();
        int m = f && useMemo && w[FlowKey.DL_TYPE] == 0x0800 ? memo.claim(ct, zone, w, now) : -1;
        write(w, r);
        if (m >= 0) memo.keep(m, w);
        return true;
    }

    /**
     * Packet i, whose frame has the key bytes of packet prev just before it in the burst (the same flow key), takes
     * prev's ct() verdict if it was a fixed point ({@link ConnTracker#repeatable}) and i's checksums hold: it takes
     * prev's whole key (the same key bytes give the same words, and prev's ct_* words are the verdict), so it is not
     * extracted. For a ct(table=T) without nat or exec that ends a translation (nothing after it in this pass reads
     * or restores the header words). Returns false when packet i must be tracked (its key is then not set).
     */
    boolean repeat(PacketBatch b, int i, int prev, int thread) {
        ConnTracker tr = conntrack.get();
        if (tr == null || thread == BridgeDatapath.TRACE_THREAD) return false;
        FlowKey k = b.keys[prev];        // i's key bytes are prev's: so are its key's words (the ct_* ones: the verdict)
        int csum = csum(b, i);
        if (!fixed[thread + 2] || !tr.verifiesAgain(k, b.data, b.off[i], csum)) return false;
        if (csum == 0) b.checksumsGood(i);
        b.keys[i].copyFrom(k);
        return true;
    }

    /** Whether the tracker's last verdict on this thread may be repeated for the same flow key (see {@link #repeat}). */
    boolean repeatable(int thread) {
        ConnTracker tr = conntrack.get();
        return tr != null && thread != BridgeDatapath.TRACE_THREAD && fixed[thread + 2];
    }

    /**
     * The tracker's csum flags for packet i: a guest's partial (or already verified) L4 checksum is its offload's
     * business, not a corrupt segment; checksums an earlier ct() of this packet verified are not verified again.
     */
    private static int csum(PacketBatch b, int i) {
        int c = b.offloads && (b.vflags[i] & (VnetHeader.F_NEEDS_CSUM | VnetHeader.F_DATA_VALID)) != 0 ? ConnTracker.CSUM_L4_OFFLOADED : 0;
        return b.checksumsChecked(i) ? c | ConnTracker.CSUM_CHECKED : c;
    }

    /** exec(set_field:...->ct_mark/ct_label) of a commit. */
    private static void exec(ConnTracker tr, Ct ct, CtResult r) {
        Ct.Exec x = ct.sets();
        if (ct.commit() && r.committed()) {
            if (x.setsMark()) tr.setMark(r, x.mark(), x.markMask());
            if (x.setsLabel()) tr.setLabel(r, x.labelHi(), x.labelLo(), x.labelMaskHi(), x.labelMaskLo());
        }
    }

    /** The tracker's verdict into the ct_* key words. */
    private static void write(long[] w, CtResult r) {
        boolean valid = r.origProto != 0;
        w[FlowKey.CT_MISC] = (r.state & 0xff) | (long) (r.zone & 0xffff) << 32 | (long) (r.origProto & 0xff) << 48;
        w[FlowKey.CT_MARK] = r.mark & 0xffffffffL;
        w[FlowKey.CT_LABEL_HI] = r.labelHi;
        w[FlowKey.CT_LABEL_LO] = r.labelLo;
        if (valid && !r.origV6) {
            w[FlowKey.CT_IPV4] = (r.origSrcLo & 0xffffffffL) << 32 | (r.origDstLo & 0xffffffffL);
            w[FlowKey.CT_IPV6_SRC_HI] = w[FlowKey.CT_IPV6_SRC_LO] = w[FlowKey.CT_IPV6_DST_HI] = w[FlowKey.CT_IPV6_DST_LO] = 0;
        } else {
            w[FlowKey.CT_IPV4] = 0;
            w[FlowKey.CT_IPV6_SRC_HI] = valid ? r.origSrcHi : 0;
            w[FlowKey.CT_IPV6_SRC_LO] = valid ? r.origSrcLo : 0;
            w[FlowKey.CT_IPV6_DST_HI] = valid ? r.origDstHi : 0;
            w[FlowKey.CT_IPV6_DST_LO] = valid ? r.origDstLo : 0;
        }
        w[FlowKey.CT_TP] = valid ? (long) (r.origTpSrc & 0xffff) << 16 | (r.origTpDst & 0xffff) : 0;
    }

    /** Packet i took another's place after a ct(): its header words are the ones to put back after a nat. */
    void resave(PacketBatch b, int i, int thread) {
        long[] s = saved[thread + 2];
        if (s != null) for (int x = 0; x < NAT_WORDS.length; x++) s[x] = b.keys[i].w[NAT_WORDS[x]];
    }

    /**
     * The packet goes on untracked after ct(): ct_* cleared, and after a nat (or when the ct() tracked a frame an
     * earlier nat had rewritten) the header words as the flows saw them before it.
     */
    void done(PacketBatch b, int i, boolean restore, int thread) {
        FlowKey k = b.keys[i];
        clear(k);
        int slot = thread + 2;
        if (restore || viewed[slot]) {
            long[] s = saved[slot];
            for (int x = 0; x < NAT_WORDS.length; x++) k.w[NAT_WORDS[x]] = s[x];
        }
        viewed[slot] = false;
    }

    /**
     * The addresses and ports a NAT rewrites, read from the frame into k's words (IPv4 or IPv6 addresses; TCP, UDP
     * and SCTP ports; ICMP's type and code stay). Returns whether any differed: a ct(nat) before, in the same pass.
     */
    static boolean frameWords(FlowKey k, MemorySegment s, long off) {
        long[] w = k.w;
        int l3 = k.l3, l4 = k.l4;
        if (l3 < 0 || (w[FlowKey.NW_FRAG] & FlowKey.L3_INVALID) != 0) return false;
        boolean changed = false;
        int type = (int) w[FlowKey.DL_TYPE];
        if (type == 0x0800) {
            changed |= put(w, FlowKey.NW_SRC, s.get(BE32, off + l3 + 12) & 0xffffffffL);
            changed |= put(w, FlowKey.NW_DST, s.get(BE32, off + l3 + 16) & 0xffffffffL);
        } else if (type == 0x86dd) {
            changed |= put(w, FlowKey.IPV6_SRC_HI, s.get(BE64, off + l3 + 8));
            changed |= put(w, FlowKey.IPV6_SRC_LO, s.get(BE64, off + l3 + 16));
            changed |= put(w, FlowKey.IPV6_DST_HI, s.get(BE64, off + l3 + 24));
            changed |= put(w, FlowKey.IPV6_DST_LO, s.get(BE64, off + l3 + 32));
        } else {
            return false;
        }
        int proto = (int) w[FlowKey.NW_PROTO];
        if (l4 >= 0 && (proto == 6 || proto == 17 || proto == 132)) {
            int ports = s.get(BE32, off + l4);
            changed |= put(w, FlowKey.TP_SRC, ports >>> 16);
            changed |= put(w, FlowKey.TP_DST, ports & 0xffff);
        }
        return changed;
    }

    private static boolean put(long[] w, int at, long v) {
        if (w[at] == v) return false;
        w[at] = v;
        return true;
    }

    private static final java.lang.foreign.ValueLayout.OfInt BE32 =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final java.lang.foreign.ValueLayout.OfLong BE64 =
            java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /** ct_clear: every ct_* word back to 0. */
    static void clear(FlowKey k) {
        if (!k.extended) return;
        long[] w = k.w;
        for (int x = FlowKey.CT_MISC; x <= FlowKey.CT_TP; x++) w[x] = 0;
    }

    /** Makes the tracker if a flow or group bucket among these needs it (control thread, on install). */
    void prepare(List<Flow> flows, java.util.Collection<Group> groups) {
        if (conntrack.get() != null) return;
        boolean any = false;
        for (Flow f : flows) any |= uses(f.actions);
        for (Group g : groups) for (Group.Bucket bk : g.buckets) any |= uses(bk.executed());
        if (any) conntrack.ensure();
    }

    private static boolean uses(List<Action> acts) {
        for (Action a : acts) {
            if (a instanceof Ct) return true;
            if (a instanceof Clone c && uses(c.actions())) return true;
        }
        return false;
    }
}
