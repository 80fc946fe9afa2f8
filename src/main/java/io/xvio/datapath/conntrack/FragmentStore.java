package io.xvio.datapath.conntrack;

import io.xvio.packet.Checksum;
import io.xvio.packet.FlowKey;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * IP fragments held for ct(), as Open vSwitch's userspace datapath does (lib/ipf.c): a fragment that meets ct() is
 * copied into a preallocated store, keyed by addresses, protocol (IPv4), IP id (IPv6: the fragment header's), zone
 * and where it met ct() (bridge, recirc_id), and leaves the current pass. When a datagram's fragments are complete
 * it is reassembled into a scratch buffer and tracked (commit, nat as the ct() says); then every original fragment
 * goes on, in order of offset as OVS sends them, with the reassembled packet's ct_* fields ({@link #drain}). OVS
 * translates fragments of a NAT connection too: addresses in every fragment, the L4 header in the first (copied
 * from the translated datagram, its checksum covering the whole datagram); so does this store.
 *
 * <p>Rejected, as OVS, and counted: fragments overlapping one held (frag-overlap), non-last fragments shorter than
 * {@link #MIN_V4_DEFAULT}/{@link #MIN_V6_DEFAULT} bytes of IP packet (frag-too-small), fragments beyond the store's
 * {@link #MAX_FRAGS_DEFAULT} or a datagram's {@link #MAX_PER_DATAGRAM} (frag-too-many): these go on +trk+inv (the
 * usual "drop +inv" flow drops them). A datagram that reassembles to more than 65535 bytes, or a fragment frame
 * larger than a store slot ({@link #FRAME_MAX}), is dropped (frag-too-big); a datagram still incomplete
 * {@link #TIMEOUT_NANOS} after its first fragment is dropped (frag-expired, its fragments counted).
 *
 * <p><b>Threads.</b> Shared by every PMD thread (a datagram's fragments may arrive on several queues), so it takes
 * one spin lock for each fragment. Fragments are rare (path MTU discovery and TCP's MSS keep them away; a busy
 * vSwitch sees a handful per million packets), and the lock is never touched by an unfragmented packet: the
 * datapath looks at a fragment bit of the flow key first. The section is a copy of one frame (at most 9 KB) or,
 * once per datagram, a reassembly of at most 64 KB and one {@link ConnTracker#track} call.
 *
 * <p><b>Memory.</b> Everything is preallocated (the frame slots on the first fragment: 1000 x 9.3 KB): holding,
 * reassembling, sending on and expiring allocate nothing.
 */
public final class FragmentStore {
    public static final int MAX_FRAGS_DEFAULT = 1000, MIN_V4_DEFAULT = 1200, MIN_V6_DEFAULT = 1280;
    /** Fragments one datagram may have: OVS's IPv4 list size for its 1200-byte minimum, ceil(65475 / 1140). */
    public static final int MAX_PER_DATAGRAM = 58;
    /** Largest fragment frame held (a 9000-byte MTU frame with VLAN tags fits). */
    public static final int FRAME_MAX = 9216;
    public static final long TIMEOUT_NANOS = 15_000_000_000L;
    /** offer: the fragment is held (goes no further now); invalid: it goes on with +trk+inv (out). */
    public static final int HELD = -1, INVALID = -2;
    public static final int REASSEMBLED = 0, SENT = 1, OVERLAP = 2, TOO_SMALL = 3, TOO_MANY = 4, TOO_BIG = 5,
            EXPIRED = 6, COUNTERS = 7;
    static final String[] COUNTER_NAMES = {"frag-reassembled", "frag-sent", "frag-overlap", "frag-too-small",
            "frag-too-many", "frag-too-big", "frag-expired"};
    private static final int OPEN = 1, COMPLETE = 2;
    private static final int FIRST = 1, LAST = 2;
    /** CT words a completed datagram's fragments take (FlowKey.CT_MISC .. CT_TP). */
    public static final int CT_WORDS = FlowKey.CT_TP - FlowKey.CT_MISC + 1;
    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfLong BE64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Receives a completed datagram's fragments, one at a time; false when it has no room (the rest wait). */
    public interface Sink {
        boolean emit(MemorySegment s, long off, int len, long[] words, int wordsAt, long[] ct, int ctAt, int rid);
    }

    private final ConnTracker tracker;
    private final SpinLocks lock = new SpinLocks(1, 16);
    private volatile int maxFrags = MAX_FRAGS_DEFAULT, minV4 = MIN_V4_DEFAULT, minV6 = MIN_V6_DEFAULT;
    private final int slots;
    private MemorySegment frames, rbuf;
    private final FlowKey rkey = new FlowKey();
    private final long[] counters = new long[COUNTERS];
    // fragments: frame in frames at f * FRAME_MAX, its key words, data range [start, end), sorted list per datagram
    private final int[] fLen, fL3, fData, fStart, fEnd, fNext;
    private final long[] fWords;
    private final int[] freeFrags;
    private int nFree, held;
    // datagrams: key (src hi/lo, dst hi/lo, id|proto|zone|v6, bridge<<32|recirc), state, owner, result
    private final long[] dKey;
    private final int[] dState, dFlags, dHead, dCount, dTotal, dOwner, dBridge, dRid, dV6Frag;
    private final long[] dExpiry, dCt;
    private final int[] freeDgrams, active;
    private int nFreeD, nActive;
    private final long[] probe = new long[6];

    ConnTracker tracker() { return tracker; }

    public FragmentStore(ConnTracker tracker, int slots) {
        this.tracker = tracker;
        this.slots = slots;
        fLen = new int[slots]; fL3 = new int[slots]; fData = new int[slots]; fStart = new int[slots];
        fEnd = new int[slots]; fNext = new int[slots];
        fWords = new long[slots * FlowKey.WORDS];
        freeFrags = new int[slots];
        dKey = new long[slots * 6];
        dState = new int[slots]; dFlags = new int[slots]; dHead = new int[slots]; dCount = new int[slots];
        dTotal = new int[slots]; dOwner = new int[slots]; dBridge = new int[slots]; dRid = new int[slots];
        dV6Frag = new int[slots];
        dExpiry = new long[slots];
        dCt = new long[slots * CT_WORDS];
        freeDgrams = new int[slots];
        active = new int[slots];
        for (int i = 0; i < slots; i++) { freeFrags[i] = slots - 1 - i; freeDgrams[i] = slots - 1 - i; }
        nFree = nFreeD = slots;
    }

    /** ipf-set-max-nfrags: fragments held at most (up to the slots preallocated). */
    public void setMaxFragments(int n) {
        if (n < 0 || n > slots) throw new IllegalArgumentException("max fragments must be 0.." + slots);
        maxFrags = n;
    }

    /** ipf-set-min-frag: the smallest non-last fragment (IP header and payload), at least 400 as in OVS. */
    public void setMinFragmentSize(boolean v6, int n) {
        if (n < 400 || n > 65535) throw new IllegalArgumentException("minimum fragment size must be 400..65535");
        if (v6) minV6 = n; else minV4 = n;
    }

    /** Fragments held now (a racy read: no lock). */
    public int held() { return held; }

    /** Datagrams in the store (a racy read, for a cheap "anything to do?" check). */
    public int datagrams() { return nActive; }

    long counter(int which) { return counters[which]; }

    /**
     * A fragment (key.w[NW_FRAG] has FRAG_ANY, header valid) meets ct(zone, commit, force, nat) on bridge (with
     * recirc_id from key) in thread: held (HELD), rejected (INVALID, out is +trk+inv), or it completed its
     * datagram: returns the datagram, whose reassembled packet was tracked into out; the caller stores the ct
     * words ({@link #setResult}) and sends the fragments on ({@link #drain}). rid: the recirc_id they go on with
     * (0: a ct() without table, the caller continues them at once; those that find no room are dropped).
     */
    public int offer(FlowKey key, MemorySegment s, long off, int len, int bridge, int zone, boolean commit, boolean force,
                     NatAction nat, long now, int thread, int rid, CtResult out) {
        long[] w = key.w;
        boolean v6 = w[FlowKey.DL_TYPE] == 0x86dd;
        int l3 = key.l3;
        int start, data, end, aux = 0;
        boolean more;
        long id;
        int reason = -1;
        if (v6) {
            int plen = s.get(BE16, off + l3 + 4) & 0xffff, stop = l3 + 40 + plen;
            int next = s.get(JAVA_BYTE, off + l3 + 6) & 0xff, q = l3 + 40, nextAt = l3 + 6;
            while (next != 44) {          // FlowKey walked these and found the fragment header: they fit
                int nn = s.get(JAVA_BYTE, off + q) & 0xff;
                nextAt = q;               // this header's next-header byte points to what follows it
                q += hdrLen(s, off, q, next);
                next = nn;
            }
            int offlg = s.get(BE16, off + q + 2) & 0xffff;
            start = offlg & 0xfff8;
            more = (offlg & 1) != 0;
            id = s.get(BE32, off + q + 4) & 0xffffffffL;
            data = q + 8;
            end = start + stop - data;
            aux = q << 16 | nextAt;
            if (more && 40 + plen < minV6) reason = TOO_SMALL;
        } else {
            int ihl = (s.get(JAVA_BYTE, off + l3) & 15) * 4, total = s.get(BE16, off + l3 + 2) & 0xffff;
            int frag = s.get(BE16, off + l3 + 6) & 0xffff;
            if (tracker.verifiesChecksums() && Checksum.fold(Checksum.sum(s, off + l3, ihl)) != 0xffff)
                return tracker.invalid(thread, ConnTracker.INV_CHECKSUM, zone, out);
            start = (frag & 0x1fff) * 8;
            more = (frag & 0x2000) != 0;
            id = (s.get(BE16, off + l3 + 4) & 0xffffL) | (w[FlowKey.NW_PROTO] & 0xff) << 16;
            data = l3 + ihl;
            end = start + total - ihl;
            if (more && total < minV4) reason = TOO_SMALL;
        }
        if (end <= start) reason = TOO_SMALL;
        else if (end > 65535 || len > FRAME_MAX) reason = TOO_BIG;
        lock.lock(0);
        try {
            long[] k = probe;           // shared: filled under the lock
            if (v6) {
                k[0] = w[FlowKey.IPV6_SRC_HI]; k[1] = w[FlowKey.IPV6_SRC_LO]; k[2] = w[FlowKey.IPV6_DST_HI]; k[3] = w[FlowKey.IPV6_DST_LO];
            } else {
                k[0] = 0; k[1] = w[FlowKey.NW_SRC]; k[2] = 0; k[3] = w[FlowKey.NW_DST];
            }
            if (frames == null) {          // once: the frame slots, and the buffer a datagram is reassembled in
                frames = Arena.ofAuto().allocate((long) slots * FRAME_MAX, 64);
                rbuf = Arena.ofAuto().allocate(65536 + FRAME_MAX, 64);
            }
            if (reason >= 0) return reject(reason, zone, out);
            expireLocked(now, 4);
            k[4] = id << 24 | (long) zone << 8 | (v6 ? 1 : 0);
            k[5] = (long) bridge << 32 | (w[FlowKey.RECIRC_ID] & 0xffffffffL);
            int d = find(k);
            if (d >= 0 && dState[d] != OPEN) return reject(OVERLAP, zone, out);
            if (held >= maxFrags || nFree == 0) return reject(TOO_MANY, zone, out);
            if (d >= 0 && dCount[d] >= MAX_PER_DATAGRAM) return reject(TOO_MANY, zone, out);
            // the list is sorted by start: find where this one goes, refusing any overlap
            int prev = -1;
            if (d >= 0) {
                for (int f = dHead[d]; f >= 0 && fStart[f] < end; f = fNext[f]) {
                    if (fEnd[f] > start) return reject(OVERLAP, zone, out);
                    prev = f;
                }
            } else {
                if (nFreeD == 0) return reject(TOO_MANY, zone, out);
                d = freeDgrams[--nFreeD];
                System.arraycopy(k, 0, dKey, d * 6, 6);
                dState[d] = OPEN;
                dFlags[d] = 0;
                dHead[d] = -1;
                dCount[d] = 0;
                dTotal[d] = -1;
                dExpiry[d] = now + TIMEOUT_NANOS;
                active[nActive++] = d;
            }
            int f = freeFrags[--nFree];
            held++;
            MemorySegment.copy(s, off, frames, (long) f * FRAME_MAX, len);
            System.arraycopy(w, 0, fWords, f * FlowKey.WORDS, FlowKey.WORDS);
            fLen[f] = len; fL3[f] = l3; fData[f] = data; fStart[f] = start; fEnd[f] = end;
            if (prev < 0) { fNext[f] = dHead[d]; dHead[d] = f; } else { fNext[f] = fNext[prev]; fNext[prev] = f; }
            dCount[d]++;
            if (start == 0) { dFlags[d] |= FIRST; dV6Frag[d] = aux; }
            if (!more) { dFlags[d] |= LAST; dTotal[d] = end; }
            if (dFlags[d] != (FIRST | LAST)) return HELD;
            int expect = 0;
            for (int g = dHead[d]; g >= 0; g = fNext[g]) {
                if (fStart[g] != expect) return HELD;
                expect = fEnd[g];
            }
            if (expect != dTotal[d]) return HELD;
            return complete(d, v6, zone, commit, force, nat, now, thread, rid, bridge, out);
        } finally {
            lock.unlock(0);
        }
    }

    private static int hdrLen(MemorySegment s, long off, int at, int type) {
        return type == 51 ? ((s.get(JAVA_BYTE, off + at + 1) & 0xff) + 2) * 4
                : type == 44 ? 8 : ((s.get(JAVA_BYTE, off + at + 1) & 0xff) + 1) * 8;
    }

    private int reject(int reason, int zone, CtResult out) {
        counters[reason]++;
        out.reset(zone & 0xffff);
        out.state = CtState.INV | CtState.TRK;
        return INVALID;
    }

    private int find(long[] k) {
        for (int x = 0; x < nActive; x++) {
            int d = active[x], o = d * 6;
            if (dKey[o] == k[0] && dKey[o + 1] == k[1] && dKey[o + 2] == k[2] && dKey[o + 3] == k[3]
                    && dKey[o + 4] == k[4] && dKey[o + 5] == k[5]) return d;
        }
        return -1;
    }

    /** Datagram d is whole: reassembles and tracks it; its fragments then wait for the owner's drain. */
    private int complete(int d, boolean v6, int zone, boolean commit, boolean force, NatAction nat, long now,
                         int thread, int rid, int bridge, CtResult out) {
        int first = dHead[d];
        long fo = (long) first * FRAME_MAX;
        int l3 = fL3[first], hdr, rlen;
        if (v6) {
            int fh = dV6Frag[d] >>> 16, nextAt = dV6Frag[d] & 0xffff;
            int nh = frames.get(JAVA_BYTE, fo + fh) & 0xff;
            MemorySegment.copy(frames, fo, rbuf, 0, fh);
            hdr = fh;
            rlen = append(d, hdr);
            int plen = rlen - l3 - 40;
            if (plen > 65535) return tooBig(d, zone, out);
            rbuf.set(JAVA_BYTE, nextAt, (byte) nh);
            rbuf.set(BE16, l3 + 4, (short) plen);
        } else {
            int ihl = fData[first] - l3;
            MemorySegment.copy(frames, fo, rbuf, 0, l3 + ihl);
            hdr = l3 + ihl;
            rlen = append(d, hdr);
            if (rlen - l3 > 65535) return tooBig(d, zone, out);
            rbuf.set(BE16, l3 + 2, (short) (rlen - l3));
            rbuf.set(BE16, l3 + 6, (short) (rbuf.get(BE16, l3 + 6) & 0x4000));   // DF stays; MF and offset go
            rbuf.set(BE16, l3 + 10, (short) 0);
            rbuf.set(BE16, l3 + 10, (short) ~Checksum.fold(Checksum.sum(rbuf, l3, ihl)));
        }
        FlowKey rk = rkey;
        rk.extract(rbuf, 0, rlen, (int) fWords[first * FlowKey.WORDS + FlowKey.IN_PORT]);
        tracker.track(rk, rbuf, 0, rlen, zone, commit, force, nat, now, thread, out);
        counters[REASSEMBLED]++;
        if ((out.state & (CtState.SNAT | CtState.DNAT)) != 0) natFragments(d, v6, l3);
        dState[d] = COMPLETE;
        dExpiry[d] = now + TIMEOUT_NANOS;     // sent on now or at the owner's next bursts, not expired meanwhile
        dOwner[d] = thread;
        dBridge[d] = bridge;
        dRid[d] = rid;
        return d;
    }

    /** Appends the data of d's fragments to rbuf at at; returns the length. */
    private int append(int d, int at) {
        for (int g = dHead[d]; g >= 0; g = fNext[g]) {
            int n = fEnd[g] - fStart[g];
            MemorySegment.copy(frames, (long) g * FRAME_MAX + fData[g], rbuf, at, n);
            at += n;
        }
        return at;
    }

    private int tooBig(int d, int zone, CtResult out) {
        counters[TOO_BIG] += dCount[d];
        free(d);
        out.reset(zone & 0xffff);
        return HELD;      // the fragments are gone, the last one with them
    }

    /** The translated datagram's addresses into every fragment, its L4 header into the first (as OVS). */
    private void natFragments(int d, boolean v6, int l3) {
        int first = dHead[d];
        for (int g = first; g >= 0; g = fNext[g]) {
            long fo = (long) g * FRAME_MAX;
            int gl3 = fL3[g];
            if (v6) {
                MemorySegment.copy(rbuf, l3 + 8, frames, fo + gl3 + 8, 32);
            } else {
                MemorySegment.copy(rbuf, l3 + 12, frames, fo + gl3 + 12, 8);
                int ihl = fData[g] - gl3;
                frames.set(BE16, fo + gl3 + 10, (short) 0);
                frames.set(BE16, fo + gl3 + 10, (short) ~Checksum.fold(Checksum.sum(frames, fo + gl3, ihl)));
            }
        }
        int hdr = v6 ? (dV6Frag[d] >>> 16) : fData[first];
        MemorySegment.copy(rbuf, hdr, frames, (long) first * FRAME_MAX + fData[first], fEnd[first] - fStart[first]);
    }

    /** The ct words (FlowKey.CT_MISC .. CT_TP) completed datagram d's fragments go on with. */
    public void setResult(int d, long[] w) { System.arraycopy(w, FlowKey.CT_MISC, dCt, d * CT_WORDS, CT_WORDS); }

    /**
     * Sends on the fragments of the datagrams that thread completed on bridge, in order of offset, as long as sink
     * has room; returns true if some are left for a later call.
     */
    public boolean drain(int bridge, int thread, Sink sink) {
        lock.lock(0);
        try {
            boolean left = false;
            for (int x = 0; x < nActive; x++) {
                int d = active[x];
                if (dState[d] != COMPLETE || dOwner[d] != thread || dBridge[d] != bridge) continue;
                while (dHead[d] >= 0) {
                    int f = dHead[d];
                    if (!sink.emit(frames, (long) f * FRAME_MAX, fLen[f], fWords, f * FlowKey.WORDS, dCt, d * CT_WORDS, dRid[d])) {
                        if (dRid[d] == 0) {          // rid 0 (ct() without table): no continuation later, dropped
                            counters[TOO_MANY] += dCount[d];
                            free(d);
                            x--;
                            break;
                        }
                        left = true;
                        break;
                    }
                    counters[SENT]++;
                    dHead[d] = fNext[f];
                    dCount[d]--;
                    freeFrags[nFree++] = f;
                    held--;
                }
                if (dState[d] == COMPLETE && dHead[d] < 0) {
                    free(d);
                    x--;           // free moved another datagram into slot x
                }
                if (left) break;
            }
            return left;
        } finally {
            lock.unlock(0);
        }
    }

    /** Drops datagrams incomplete (or not sent on) for {@link #TIMEOUT_NANOS}; at most budget of them. */
    public void expire(long now, int budget) {
        if (nActive == 0 || !lock.tryLock(0)) return;
        try {
            expireLocked(now, budget);
        } finally {
            lock.unlock(0);
        }
    }

    private void expireLocked(long now, int budget) {
        for (int x = 0; x < nActive && budget > 0; x++) {
            int d = active[x];
            if (dExpiry[d] - now >= 0) continue;
            counters[EXPIRED] += dCount[d];
            free(d);
            x--;
            budget--;
        }
    }

    /** Frees datagram d and the fragments it still holds. */
    private void free(int d) {
        for (int f = dHead[d]; f >= 0; f = fNext[f]) {
            freeFrags[nFree++] = f;
            held--;
        }
        dHead[d] = -1;
        dCount[d] = 0;
        dState[d] = 0;
        for (int x = 0; x < nActive; x++) {
            if (active[x] == d) {
                active[x] = active[--nActive];
                break;
            }
        }
        freeDgrams[nFreeD++] = d;
    }
}
