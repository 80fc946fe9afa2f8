package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import io.xvio.packet.Rewrite;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.*;

/**
 * The connection tracker behind the ct() action, with the semantics of OVS's userspace conntrack
 * (lib/conntrack.c): IPv4 and IPv6; TCP with state and sequence-window checks, UDP, ICMP/ICMPv6 echo as
 * connections and ICMP errors quoting a tracked connection as related, other protocols by address pair; zones;
 * connection limits; SNAT/DNAT with port allocation. A fragment given to track() is +inv; the datapath first offers
 * fragments to the {@link FragmentStore} ({@link #fragments}), which tracks their reassembled datagram.
 *
 * <p><b>Threads.</b> One tracker is shared by every PMD thread. Lookups go through a {@link ConnIndex} of 64
 * shards (lock-free reads checked by a sequence number; writers take the shard's spin lock), after each thread's
 * memo of the connection it tracked last ({@link ConnMemo}: a run of one connection skips the hash and the probe); a
 * connection's fields are then read and updated under
 * its own spin lock (both directions of a connection may be handled by two threads at once). Creating and
 * deleting connections is serialised by one creation lock, as in OVS (its ct_lock): connection setup is the
 * rare, expensive case, and one creator keeps the free list, limits and NAT tuple allocation simple and exact.
 * No lock is ever held while waiting for another except creation lock, then a shard or connection lock.
 *
 * <p><b>Memory.</b> Everything is preallocated for {@code capacity} connections ({@link ConnPool}, 192 bytes
 * each for a power-of-two capacity, e.g. 201 MB for 2^20): tracking packets of existing connections, creating and expiring
 * connections allocate nothing. Per-thread scratch space is indexed by the {@code thread} argument
 * (0 .. threads-1), which must be unique per concurrently calling thread.
 *
 * <p><b>Limits.</b> A connection is refused when the table holds {@code limit} connections (default: the
 * capacity) or its zone holds its zone limit (default: unlimited; {@link #setZoneLimit}). A refused new
 * connection's packet is +inv+trk and counted (stats: limit hits); established connections keep working. (OVS
 * instead leaves such a packet +new+trk uncommitted; +inv makes the usual "drop +inv" flow drop it.)
 *
 * <p><b>Expiry.</b> Connections expire after OVS's default timeouts ({@link Timeouts}); an expired connection
 * is invisible at once, and its slot is reclaimed by {@link #expire}, which a PMD thread calls once per burst
 * with a small budget (or a sweeper thread calls with a large one): a cursor walks the pool.
 */
public final class ConnTracker {
    /** Counters (stats): reasons a packet was +inv, limit hits, connections created and expired. */
    public static final int INV_MALFORMED = 0, INV_FRAGMENT = 1, INV_CHECKSUM = 2, INV_TCP_FLAGS = 3,
            INV_TCP_SEQ = 4, INV_CANNOT_OPEN = 5, INV_RELATED_UNKNOWN = 6, INV_LIMIT = 7, INV_ZONE_LIMIT = 8,
            INV_NAT_EXHAUSTED = 9, INV_TABLE_FULL = 10, INV_COLLISION = 11, CREATED = 12, EXPIRED = 13, COUNTERS = 14;
    static final String[] COUNTER_NAMES = {"malformed", "fragment", "checksum", "tcp-flags", "tcp-seq",
            "cannot-open", "related-unknown", "limit", "zone-limit", "nat-exhausted", "table-full", "collision",
            "created", "expired"};
    private static final int STRIDE = 16;   // counters per thread, padded to a cache line pair
    private static final int OTHER_FIRST = 0, OTHER_MULTIPLE = 1, OTHER_BIDIR = 2, ICMP_FIRST = 0, ICMP_REPLY = 1;
    private static final OfShort BE16 = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    final ConnPool pool;
    final ConnIndex index;
    private final ConnMemo memo;
    /** Per thread: the last track() found an existing UDP connection that one more identical packet leaves as it is. */
    private final boolean[] repeatable;
    final Timeouts timeouts;
    private final boolean verifyChecksums;
    private final SpinLocks createLock = new SpinLocks(1, 16);
    private final int threads;
    /** Per thread: key (0..4), scratch key (5..9). */
    private final long[][] scratch;
    private final int[][] tm;
    private final long[] rnd;
    private final long[] counters;
    private long expiredCount;
    private volatile int limit;
    private volatile int defaultZoneLimit = -1;
    private final int[] zoneLimit = new int[65536];
    private final int[] zoneCount = new int[65536];
    private int cursor;

    /**
     * capacity: connections preallocated (the hard maximum); threads: the number of distinct thread indexes
     * callers use; verifyChecksums: check IPv4 header and L4 checksums as OVS does (turn off only for traffic
     * whose checksums were left to offload).
     */
    public ConnTracker(int capacity, int threads, Timeouts timeouts, boolean verifyChecksums) {
        if (capacity < 1 || capacity > (1 << 27)) throw new IllegalArgumentException("capacity out of range: " + capacity);
        if (threads < 1) throw new IllegalArgumentException("threads < 1");
        pool = new ConnPool(capacity);
        index = new ConnIndex(pool, capacity);
        memo = new ConnMemo(threads);
        repeatable = new boolean[threads];
        this.timeouts = timeouts;
        this.verifyChecksums = verifyChecksums;
        this.threads = threads;
        scratch = new long[threads][16];
        tm = new int[threads][1];
        rnd = new long[threads];
        for (int i = 0; i < threads; i++) rnd[i] = 0x2545f4914f6cdd1dL * (i + 1);
        counters = new long[(threads + 1) * STRIDE];
        limit = capacity;
        java.util.Arrays.fill(zoneLimit, -2);   // -2: the default applies
    }

    public ConnTracker(int capacity, int threads) { this(capacity, threads, new Timeouts(), true); }

    /**
     * Tracks the packet whose key was extracted from the frame at off (len bytes), in the given zone, as
     * ct(zone=Z[,commit][,force][,nat...]) does: fills out and returns its ct_state (always with +trk). commit
     * creates the connection of a valid new packet; force (with commit) first ends a connection seen in the reply
     * direction; nat (or null) translates the packet of a connection committed with NAT, and with commit of a new
     * connection sets up the translation. A translated packet's addresses and ports are rewritten in the frame,
     * with IPv4, TCP, UDP and ICMPv6 checksums updated, and in key. Allocates nothing.
     */
    public int track(FlowKey key, MemorySegment s, long off, int len, int zone, boolean commit, boolean force,
                     NatAction nat, long now, int thread, CtResult out) {
        return track(key, s, off, len, zone, commit, force, nat, now, thread, out, false);
    }

    /**
     * As above; l4Offloaded: the packet's L4 checksum is the sender's offload business (virtio-net NEEDS_CSUM, a
     * partial checksum not yet computed, or DATA_VALID), so it is not verified: OVS's conntrack likewise takes a
     * packet whose checksum offload flags say partial or good as valid.
     */
    public int track(FlowKey key, MemorySegment s, long off, int len, int zone, boolean commit, boolean force,
                     NatAction nat, long now, int thread, CtResult out, boolean l4Offloaded) {
        return track(key, s, off, len, zone, commit, force, nat, now, thread, out, l4Offloaded ? CSUM_L4_OFFLOADED : 0, 0);
    }

    /** {@code csum} flag: the L4 checksum is the sender's offload business (see above), not verified. */
    public static final int CSUM_L4_OFFLOADED = 1;
    /**
     * {@code csum} flag: the packet's IPv4 header and L4 checksums were verified good already (by an earlier ct() of
     * the same packet, whose rewrites since kept them: PacketBatch#checksumsChecked), not verified again.
     */
    public static final int CSUM_CHECKED = 2;

    /**
     * As above; csum: {@link #CSUM_L4_OFFLOADED}, {@link #CSUM_CHECKED}; natted: the SNAT/DNAT bits of the ct_state
     * an earlier ct() of the same zone left on the packet (0 if none, or another zone's). Such a packet was translated already: as OVS (initial_conn_lookup with natted), its
     * connection is found by the reverse of the tuple it now carries, it is not translated again, and it keeps those
     * bits (OVN's stateful stage committing a load-balanced connection again in the same zone).
     */
    public int track(FlowKey key, MemorySegment s, long off, int len, int zone, boolean commit, boolean force,
                     NatAction nat, long now, int thread, CtResult out, int csum, int natted) {
        out.reset(zone & 0xffff);
        repeatable[thread] = false;
        int st = trackIn(key, s, off, zone & 0xffff, commit, force, nat, now, thread, out, csum,
                natted & (CtState.SNAT | CtState.DNAT));
        out.state = st | CtState.TRK;
        return out.state;
    }

    /**
     * Whether the packet this thread tracked last got a fixed-point verdict: a packet of an existing UDP connection
     * that left it as it was (no state change, no NAT). Another packet of its tuple in the same burst (the same clock)
     * whose checksums hold ({@link #verifiesAgain}) gets the same verdict: the caller may give it the ct_* words
     * without tracking (the connection was refreshed to the same expiry already). Allocates nothing.
     */
    public boolean repeatable(int thread) { return repeatable[thread]; }

    /**
     * Whether a packet of key's tuple may take a fixed-point verdict ({@link #repeatable}) the tracker gave another
     * packet of that tuple in this burst: an unfragmented IPv4 UDP packet whose IPv4 header and UDP checksums are
     * good (verified here, when the tracker verifies them and csum has no {@link #CSUM_CHECKED}: its length and
     * payload may differ).
     */
    public boolean verifiesAgain(FlowKey key, MemorySegment s, long off, int csum) {
        long[] w = key.w;
        int l3 = key.l3, l4 = key.l4;
        if (w[FlowKey.DL_TYPE] != 0x0800 || w[FlowKey.NW_PROTO] != 17 || l3 < 0 || l4 < 0
                || (w[FlowKey.NW_FRAG] & (FlowKey.L3_INVALID | FlowKey.FRAG_ANY)) != 0) return false;
        if (!verifyChecksums || (csum & CSUM_CHECKED) != 0) return true;
        int ihl = (s.get(JAVA_BYTE, off + l3) & 15) * 4;
        int end = l3 + (s.get(BE16, off + l3 + 2) & 0xffff);
        return CtChecksums.ipv4Header(s, off, l3, ihl) && ((csum & CSUM_L4_OFFLOADED) != 0 || CtChecksums.l4(s, off, l3, l4, end, 17, false));
    }

    private int inv(int thread, int reason) {
        counters[thread * STRIDE + reason]++;
        return CtState.INV;
    }

    private int trackIn(FlowKey key, MemorySegment s, long off, int zone, boolean commit, boolean force,
                        NatAction nat, long now, int thread, CtResult out, int csum, int natted) {
        boolean verify = verifyChecksums && (csum & CSUM_CHECKED) == 0, verifyL4 = verify && (csum & CSUM_L4_OFFLOADED) == 0;
        long[] w = key.w;
        long[] k = scratch[thread];
        int type = (int) w[FlowKey.DL_TYPE];
        boolean v6 = type == 0x86dd;
        if ((type != 0x0800 && !v6) || key.l3 < 0 || (w[FlowKey.NW_FRAG] & FlowKey.L3_INVALID) != 0)
            return inv(thread, INV_MALFORMED);
        if ((w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) != 0) return inv(thread, INV_FRAGMENT);
        int l3 = key.l3, l4 = key.l4;
        int end;
        if (v6) {
            end = l3 + 40 + (s.get(BE16, off + l3 + 4) & 0xffff);
            k[0] = w[FlowKey.IPV6_SRC_HI];
            k[1] = w[FlowKey.IPV6_SRC_LO];
            k[2] = w[FlowKey.IPV6_DST_HI];
            k[3] = w[FlowKey.IPV6_DST_LO];
        } else {
            int ihl = (s.get(JAVA_BYTE, off + l3) & 15) * 4;
            end = l3 + (s.get(BE16, off + l3 + 2) & 0xffff);
            if (verify && !CtChecksums.ipv4Header(s, off, l3, ihl)) return inv(thread, INV_CHECKSUM);
            k[0] = 0;
            k[1] = w[FlowKey.NW_SRC];
            k[2] = 0;
            k[3] = w[FlowKey.NW_DST];
        }
        int proto = (int) w[FlowKey.NW_PROTO];
        boolean icmp = proto == (v6 ? 58 : 1);
        boolean related = false;
        if (proto == 6 || proto == 17 || icmp) {
            if (l4 < 0) return inv(thread, INV_MALFORMED);
            if (verifyL4 && !CtChecksums.l4(s, off, l3, l4, end, proto, v6)) return inv(thread, INV_CHECKSUM);
        }
        if (proto == 6 || proto == 17) {
            if (w[FlowKey.TP_SRC] == 0 || w[FlowKey.TP_DST] == 0) return inv(thread, INV_MALFORMED);   // as OVS
            k[4] = ConnPool.meta(zone, v6, proto, (int) w[FlowKey.TP_SRC], (int) w[FlowKey.TP_DST]);
        } else if (icmp) {
            int t = (int) w[FlowKey.TP_SRC], code = (int) w[FlowKey.TP_DST];
            if (Icmp.isError(t, v6)) {
                if (!relatedKey(s, off, l4, end, v6, zone, k)) return inv(thread, INV_MALFORMED);
                related = true;
            } else if (Icmp.reverseType(t, v6) >= 0) {
                k[4] = ConnPool.meta(zone, v6, proto, s.get(BE16, off + l4 + 4) & 0xffff, t << 8 | code);
            } else {
                return inv(thread, INV_MALFORMED);
            }
        } else {
            k[4] = ConnPool.meta(zone, v6, proto, 0, 0);
        }

        if (natted != 0 && !icmp) {           // translated by an earlier ct() of this zone: the reverse is its key
            reverse(k);
            int ref = index.find(k, 0, ConnIndex.hash(k, 0));
            if (ref >= 0) {
                int r = existing(ref, ref >> 1, (ref & 1) == 0, false, key, s, off, l4, end, proto, null, now, thread, k, out);
                if (r >= 0) return r | natted;
            }
            reverse(k);                       // not there (expired, removed): the tuple as the packet carries it
        }
        int hint = memo.find(thread, k);      // this thread's last connection: no hash, no index probe
        for (int attempt = 0; attempt < 3; attempt++) {
            boolean hinted = hint >= 0;
            long h = hinted ? 0 : ConnIndex.hash(k, 0);
            int ref = hinted ? hint : index.find(k, 0, h);
            hint = -1;
            if (ref >= 0) {
                int c = ref >> 1;
                boolean reply = (ref & 1) != 0;
                if (force && commit && reply && !related) {
                    deleteConn(c, ref, k, true);
                } else {
                    int r = existing(ref, c, reply, related, key, s, off, l4, end, proto, nat, now, thread, k, out);
                    if (r >= 0) {
                        if (!hinted) memo.put(thread, k, ref);
                        return r;
                    }
                    if (r == -2 && !commit) {   // a SYN reopening a closed connection, not committed again
                        copyOrig(k, 0, out);
                        return CtState.NEW;
                    }
                    // -1: stale (deleted or expired); -2: the connection was closed and is replaced
                }
                if (hinted) {                   // a remembered reference that failed: look the key up as if unknown
                    memo.forget(thread);
                    attempt--;
                    continue;
                }
            }
            if (related) return inv(thread, INV_RELATED_UNKNOWN);
            if (!validNew(proto, icmp, w, v6)) {
                boolean badFlags = proto == 6 && TcpTracker.invalidFlags((int) w[FlowKey.TCP_FLAGS]);
                return inv(thread, badFlags ? INV_TCP_FLAGS : INV_CANNOT_OPEN);
            }
            copyOrig(k, 0, out);
            if (!commit) return CtState.NEW;
            int r = create(k, h, zone, v6, proto, icmp, key, s, off, l4, end, nat, now, thread, out);   // h: never hinted here
            if (r >= 0) {
                if (out.conn >= 0) memo.put(thread, k, out.conn * 2);
                return r;
            }
            // -1: another thread created it meanwhile: track as existing
        }
        return inv(thread, INV_COLLISION);
    }

    private static boolean validNew(int proto, boolean icmp, long[] w, boolean v6) {
        if (proto == 6) return TcpTracker.validNew((int) w[FlowKey.TCP_FLAGS]);
        if (icmp) return Icmp.opensConnection((int) w[FlowKey.TP_SRC], v6);
        return true;
    }

    /**
     * The packet of connection c (ref: the key it matched) found by lookup. Returns the state, or -1 if the
     * connection is gone (deleted or expired meanwhile), -2 if a SYN closed it for a new one (it was deleted).
     */
    private int existing(int ref, int c, boolean reply, boolean related, FlowKey key, MemorySegment s, long off,
                         int l4, int end, int proto, NatAction nat, long now, int thread, long[] k, CtResult out) {
        ConnPool p = pool;
        int st;
        p.lock(c);
        try {
            if (!p.alive(c) || !p.keyEquals(ref, k, 0) || p.expiry(c) - now < 0) return -1;
            if (related) {
                st = CtState.REL | (reply ? CtState.RPL : 0);
            } else {
                int res;
                int[] t = tm[thread];
                if (proto == 6) {
                    int payload = end - l4 - ((s.get(JAVA_BYTE, off + l4 + 12) & 0xff) >>> 4) * 4;
                    res = TcpTracker.update(p, c, reply, s, off + l4, payload, (int) key.w[FlowKey.TCP_FLAGS], t);
                } else if (proto == (ConnPool.v6(k[4]) ? 58 : 1)) {
                    res = TcpTracker.VALID;
                    if (reply && p.pstate[c * 2] == ICMP_FIRST) p.pstate[c * 2] = ICMP_REPLY;
                    else if (p.pstate[c * 2] == ICMP_FIRST) res = TcpTracker.VALID_NEW;
                    t[0] = p.pstate[c * 2] == ICMP_REPLY ? Timeouts.ICMP_REPLY : Timeouts.ICMP_FIRST;
                } else {
                    byte was = p.pstate[c * 2], o = was;
                    if (reply && o != OTHER_BIDIR) o = OTHER_BIDIR;
                    else if (o == OTHER_FIRST) o = OTHER_MULTIPLE;
                    p.pstate[c * 2] = o;
                    // a fixed point: the same packet again, in the same burst (same clock), changes nothing
                    repeatable[thread] = proto == 17 && o == was && (nat == null || p.nat(c) == 0);
                    t[0] = o == OTHER_BIDIR ? Timeouts.OTHER_BIDIR : o == OTHER_MULTIPLE ? Timeouts.OTHER_MULTIPLE : Timeouts.OTHER_FIRST;
                    res = o == OTHER_BIDIR ? TcpTracker.VALID : TcpTracker.VALID_NEW;
                }
                if (t[0] >= 0) p.expiry(c, now + timeouts.nanos[t[0]]);
                switch (res) {
                    case TcpTracker.VALID -> st = CtState.EST | (reply ? CtState.RPL : 0);
                    case TcpTracker.VALID_NEW -> st = CtState.NEW;
                    case TcpTracker.INVALID -> {
                        boolean badFlags = TcpTracker.invalidFlags((int) key.w[FlowKey.TCP_FLAGS]);
                        counters[thread * STRIDE + (badFlags ? INV_TCP_FLAGS : INV_TCP_SEQ)]++;
                        st = CtState.INV;
                    }
                    default -> st = -2;
                }
            }
            if (st != -2) {
                fill(c, out);
                // under the lock: the keys cannot change while the packet is rewritten
                if (nat != null && p.nat(c) != 0) {
                    st |= related ? NatIcmpError.translate(p, c, reply, key, s, off, end) : natPacket(c, reply, key, s, off);
                }
            }
        } finally {
            p.unlock(c);
        }
        if (st == -2) {
            deleteConn(c, ref, k, true);
            return -2;
        }
        return st;
    }

    /** Swaps a connection key's source and destination (addresses and ports), as OVS's conn_key_reverse. */
    private static void reverse(long[] k) {
        long a = k[0], b = k[1];
        k[0] = k[2];
        k[1] = k[3];
        k[2] = a;
        k[3] = b;
        long m = k[4];
        k[4] = ConnPool.meta(ConnPool.zone(m), ConnPool.v6(m), ConnPool.proto(m), ConnPool.dport(m), ConnPool.sport(m));
    }

    /** Connection c's mark, labels and original tuple into out (c locked). */
    private void fill(int c, CtResult out) {
        ConnPool p = pool;
        out.mark = p.mark(c);
        out.labelHi = p.labelHi(c);
        out.labelLo = p.labelLo(c);
        copyOrig(p.rec, c * ConnPool.STRIDE, out);
        out.conn = c;
        out.gen = p.gen(c);
    }

    private static void copyOrig(long[] k, int at, CtResult out) {
        long meta = k[at + 4];
        out.origV6 = ConnPool.v6(meta);
        out.origSrcHi = k[at];
        out.origSrcLo = k[at + 1];
        out.origDstHi = k[at + 2];
        out.origDstLo = k[at + 3];
        int proto = ConnPool.proto(meta);
        out.origProto = proto;
        if (proto == (out.origV6 ? 58 : 1)) {   // ct_tp_src/dst of ICMP: type and code
            out.origTpSrc = ConnPool.dport(meta) >>> 8;
            out.origTpDst = ConnPool.dport(meta) & 0xff;
        } else {
            out.origTpSrc = ConnPool.sport(meta);
            out.origTpDst = ConnPool.dport(meta);
        }
    }

    /**
     * Commits a new connection for key k (hash h). Returns its state, or -1 if the key appeared meanwhile (the
     * caller tracks it as existing).
     */
    private int create(long[] k, long h, int zone, boolean v6, int proto, boolean icmp, FlowKey key, MemorySegment s,
                       long off, int l4, int end, NatAction nat, long now, int thread, CtResult out) {
        ConnPool p = pool;
        int c, st = CtState.NEW;
        createLock.lock(0);
        try {
            int ref = index.find(k, 0, h);
            if (ref >= 0) {
                int old = ref >> 1;
                p.lock(old);
                boolean live = p.alive(old) && p.keyEquals(ref, k, 0) && p.expiry(old) - now >= 0;
                p.unlock(old);
                if (live) return -1;
                deleteConn(old, ref, k, false);
            }
            int zl = zoneLimit[zone] == -2 ? defaultZoneLimit : zoneLimit[zone];
            if (zl >= 0 && zoneCount[zone] >= zl) return inv(thread, INV_ZONE_LIMIT);
            // at the limit, expired connections the sweep has not reached yet make room first (a short walk)
            if (p.inUse() >= limit && (sweep(now, 256) == 0 || p.inUse() >= limit)) return inv(thread, INV_LIMIT);
            c = p.allocate();
            if (c < 0) return inv(thread, INV_TABLE_FULL);
            if (c >= highWater) highWater = c + 1;
            p.lock(c);
            try {
                long[] K = p.rec;
                int f = c * ConnPool.STRIDE, r = f + ConnPool.KEY_WORDS;
                System.arraycopy(k, 0, K, f, ConnPool.KEY_WORDS);
                reverse(k, 0, K, r, v6, icmp);
                p.mark(c, 0);
                p.labelHi(c, 0);
                p.labelLo(c, 0);
                p.nat(c, 0);
                int kind;
                if (proto == 6) {
                    int payload = end - l4 - ((s.get(JAVA_BYTE, off + l4 + 12) & 0xff) >>> 4) * 4;
                    kind = TcpTracker.newConn(p, c, s, off + l4, payload, (int) key.w[FlowKey.TCP_FLAGS]);
                } else {
                    p.pstate[c * 2] = 0;
                    kind = icmp ? Timeouts.ICMP_FIRST : Timeouts.OTHER_FIRST;
                }
                p.expiry(c, now + timeouts.nanos[kind]);
                int fail = -1;
                if (nat != null && nat.kind != NatAction.Kind.APPLY) {
                    if (nat.v6 != v6 || !NatAllocator.allocate(this, c, nat, proto, thread)) fail = INV_NAT_EXHAUSTED;
                    else p.nat(c, nat.kind == NatAction.Kind.SRC ? 1 : 2);
                } else if (index.find(K, r, ConnIndex.hash(K, r)) >= 0) {
                    fail = INV_COLLISION;
                }
                // published under the connection's lock: a reader that finds a key waits for alive to be set.
                // A connection from an address and port to themselves has one key for both directions.
                if (fail < 0) {
                    if (!index.insert(c * 2)) {
                        fail = INV_TABLE_FULL;
                    } else if (!p.keyEquals(c * 2 + 1, k, 0) && !index.insert(c * 2 + 1)) {
                        index.remove(c * 2);
                        fail = INV_TABLE_FULL;
                    }
                }
                if (fail >= 0) {
                    p.release(c);
                    return inv(thread, fail);
                }
                p.alive(c, true);
                p.bumpGen(c);
                fill(c, out);
                if (p.nat(c) != 0) st |= natPacket(c, false, key, s, off);
            } finally {
                p.unlock(c);
            }
            zoneCount[zone]++;
            createdSinceSweep++;
            counters[thread * STRIDE + CREATED]++;
        } finally {
            createLock.unlock(0);
        }
        return st;
    }

    /** Writes the reply-direction key of k[at..] into d[dt..]: addresses and ports swapped, ICMP type reversed. */
    static void reverse(long[] k, int at, long[] d, int dt, boolean v6, boolean icmp) {
        long m = k[at + 4];
        d[dt] = k[at + 2];
        d[dt + 1] = k[at + 3];
        d[dt + 2] = k[at];
        d[dt + 3] = k[at + 1];
        int sp = ConnPool.sport(m), dp = ConnPool.dport(m);
        if (icmp) d[dt + 4] = ConnPool.meta(ConnPool.zone(m), v6, ConnPool.proto(m), sp,
                Icmp.reverseType(dp >>> 8, v6) << 8 | (dp & 0xff));
        else d[dt + 4] = ConnPool.meta(ConnPool.zone(m), v6, ConnPool.proto(m), dp, sp);
    }

    /**
     * The key an ICMP error refers to, into k: the quoted packet's tuple (whose source must be the error's
     * destination, as OVS checks), reversed, so that an error travelling back to the original sender matches
     * the connection's reply key. False if the quoted headers are missing or malformed.
     */
    private static boolean relatedKey(MemorySegment s, long off, int l4, int end, boolean v6, int zone, long[] k) {
        int q = l4 + 8;
        int proto, ql4;
        long sHi, sLo, dHi, dLo;
        if (v6) {
            if (end - q < 40) return false;
            proto = s.get(JAVA_BYTE, off + q + 6) & 0xff;
            sHi = s.get(BE64, off + q + 8);
            sLo = s.get(BE64, off + q + 16);
            dHi = s.get(BE64, off + q + 24);
            dLo = s.get(BE64, off + q + 32);
            ql4 = q + 40;
            if (sHi != k[2] || sLo != k[3]) return false;
        } else {
            if (end - q < 20) return false;
            int ihl = (s.get(JAVA_BYTE, off + q) & 15) * 4;
            if (ihl < 20 || end - q < ihl) return false;
            proto = s.get(JAVA_BYTE, off + q + 9) & 0xff;
            sHi = dHi = 0;
            sLo = s.get(BE32, off + q + 12) & 0xffffffffL;
            dLo = s.get(BE32, off + q + 16) & 0xffffffffL;
            ql4 = q + ihl;
            if (sLo != k[3]) return false;
        }
        boolean icmp = proto == (v6 ? 58 : 1);
        long meta;
        if (proto == 6 || proto == 17) {
            // OVS wants the 8 bytes RFC 792 promises for IPv4, a whole TCP header for IPv6; ports must not be 0
            if (end - ql4 < (v6 && proto == 6 ? 20 : 8)) return false;
            int sp = s.get(BE16, off + ql4) & 0xffff, dp = s.get(BE16, off + ql4 + 2) & 0xffff;
            if (sp == 0 || dp == 0) return false;
            meta = ConnPool.meta(zone, v6, proto, sp, dp);
        } else if (icmp) {
            if (end - ql4 < 8) return false;
            int t2 = s.get(JAVA_BYTE, off + ql4) & 0xff, code = s.get(JAVA_BYTE, off + ql4 + 1) & 0xff;
            if (Icmp.reverseType(t2, v6) < 0) return false;
            meta = ConnPool.meta(zone, v6, proto, s.get(BE16, off + ql4 + 4) & 0xffff, t2 << 8 | code);
        } else {
            meta = ConnPool.meta(zone, v6, proto, 0, 0);
        }
        // the quoted packet's tuple, reversed
        k[5] = sHi;
        k[6] = sLo;
        k[7] = dHi;
        k[8] = dLo;
        k[9] = meta;
        reverse(k, 5, k, 0, v6, icmp);
        return true;
    }

    private static final OfInt BE32 = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final OfLong BE64 = JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Translates a packet of NAT connection c: one sent in the original direction gets the reverse of the reply
     * key (the translated tuple), a reply gets the reverse of the original key. Returns the snat/dnat bit.
     */
    private int natPacket(int c, boolean reply, FlowKey key, MemorySegment s, long off) {
        ConnPool p = pool;
        long[] K = p.rec, w = key.w;
        int o = ConnPool.keyBase(c * 2 + (reply ? 0 : 1));
        long m = K[o + 4];
        int proto = ConnPool.proto(m);
        boolean v6 = ConnPool.v6(m);
        int l3 = key.l3, l4 = key.l4;
        if (v6) {
            Rewrite.setIpv6Addr(s, off, l3, l4, proto, true, K[o + 2], K[o + 3]);
            Rewrite.setIpv6Addr(s, off, l3, l4, proto, false, K[o], K[o + 1]);
            w[FlowKey.IPV6_SRC_HI] = K[o + 2];
            w[FlowKey.IPV6_SRC_LO] = K[o + 3];
            w[FlowKey.IPV6_DST_HI] = K[o];
            w[FlowKey.IPV6_DST_LO] = K[o + 1];
        } else {
            Rewrite.setIpv4Addr(s, off, l3, l4, proto, true, K[o + 3]);
            Rewrite.setIpv4Addr(s, off, l3, l4, proto, false, K[o + 1]);
            w[FlowKey.NW_SRC] = K[o + 3];
            w[FlowKey.NW_DST] = K[o + 1];
        }
        if (proto == 6 || proto == 17) {
            Rewrite.setPort(s, off, l4, proto, true, ConnPool.dport(m));
            Rewrite.setPort(s, off, l4, proto, false, ConnPool.sport(m));
            w[FlowKey.TP_SRC] = ConnPool.dport(m);
            w[FlowKey.TP_DST] = ConnPool.sport(m);
        }
        boolean snat = p.nat(c) == 1;
        return snat != reply ? CtState.SNAT : CtState.DNAT;
    }

    private void deleteConn(int c, boolean lock) { deleteConn(c, 0, null, lock); }

    /**
     * Deletes connection c if it is alive and, when k is given, still has k at ref (c may have been deleted
     * and reused since it was looked up); lock says whether to take the creation lock (false: the caller has it).
     */
    private void deleteConn(int c, int ref, long[] k, boolean lock) {
        if (lock) createLock.lock(0);
        try {
            ConnPool p = pool;
            p.lock(c);
            if (!p.alive(c) || (k != null && !p.keyEquals(ref, k, 0))) {
                p.unlock(c);
                return;
            }
            p.alive(c, false);
            p.bumpGen(c);
            p.unlock(c);
            index.remove(c * 2);
            index.remove(c * 2 + 1);
            zoneCount[ConnPool.zone(p.rec[c * ConnPool.STRIDE + 4])]--;
            p.release(c);
        } finally {
            if (lock) createLock.unlock(0);
        }
    }

    /**
     * Reclaims expired connections among the next budget pool slots (a cursor walks the slots ever used), or more when
     * connections are being created faster: at least 4 slots per connection created since the last call (up to
     * 16384), so a steady stream of short-lived connections is reclaimed as fast as it is made. Returns how many
     * were reclaimed; returns 0 at once if another thread is creating or expiring. Allocates nothing.
     */
    public int expire(long now, int budget) {
        if (!createLock.tryLock(0)) return 0;
        try {
            int walk = Math.max(budget, Math.min(4 * createdSinceSweep, 1 << 14));
            createdSinceSweep = 0;
            return sweep(now, walk);
        } finally {
            createLock.unlock(0);
        }
    }

    /** Connections created since the last {@link #expire} (creation lock held). */
    private int createdSinceSweep;
    /** One past the highest pool slot ever allocated (creation lock held); the free list hands out low slots first. */
    private int highWater;

    /** expire's walk over the next budget pool slots; the creation lock held. */
    private int sweep(long now, int budget) {
        int n = 0;
        ConnPool p = pool;
        int end = highWater;          // slots above were never used: the walk stays where connections are
        for (int i = 0; i < budget && i < end; i++) {
            int c = cursor;
            cursor = c + 1 >= end ? 0 : c + 1;
            if (p.alive(c) && p.expiry(c) - now < 0) {
                p.lock(c);
                boolean expired = p.alive(c) && p.expiry(c) - now < 0;
                p.unlock(c);
                if (expired) {
                    deleteConn(c, false);
                    n++;
                }
            }
        }
        expiredCount += n;
        return n;
    }

    /**
     * exec(set_field:V/M->ct_mark) of a commit: sets the masked bits of the connection's mark and of out.mark.
     * No effect when the packet has no committed connection.
     */
    public void setMark(CtResult out, int value, int mask) {
        int c = out.conn;
        if (c < 0) return;
        ConnPool p = pool;
        p.lock(c);
        try {
            if (!p.alive(c) || p.gen(c) != out.gen) return;
            p.mark(c, (p.mark(c) & ~mask) | (value & mask));
            out.mark = p.mark(c);
        } finally {
            p.unlock(c);
        }
    }

    /** exec(set_field:V/M->ct_label): the masked bits of the 128-bit label (hi, lo halves). */
    public void setLabel(CtResult out, long hi, long lo, long maskHi, long maskLo) {
        int c = out.conn;
        if (c < 0) return;
        ConnPool p = pool;
        p.lock(c);
        try {
            if (!p.alive(c) || p.gen(c) != out.gen) return;
            p.labelHi(c, (p.labelHi(c) & ~maskHi) | (hi & maskHi));
            p.labelLo(c, (p.labelLo(c) & ~maskLo) | (lo & maskLo));
            out.labelHi = p.labelHi(c);
            out.labelLo = p.labelLo(c);
        } finally {
            p.unlock(c);
        }
    }

    /** Limit on connections in the table (at most the capacity). */
    public void setLimit(int n) {
        if (n < 0 || n > pool.capacity) throw new IllegalArgumentException("limit must be 0.." + pool.capacity);
        limit = n;
    }

    public int limit() { return limit; }

    /** The limit of zones without their own (-1: unlimited, the default). */
    public void setDefaultZoneLimit(int n) {
        if (n < -1) throw new IllegalArgumentException("zone limit must be >= 0 or -1 (unlimited)");
        defaultZoneLimit = n;
    }

    public int defaultZoneLimit() { return defaultZoneLimit; }

    /** A zone's limit (-1: unlimited; -2: back to the default). */
    public void setZoneLimit(int zone, int n) {
        if (zone < 0 || zone > 65535) throw new IllegalArgumentException("zone must be 0..65535");
        if (n < -2) throw new IllegalArgumentException("zone limit must be >= -2");
        zoneLimit[zone] = n;
    }

    int zoneLimitRaw(int zone) { return zoneLimit[zone]; }

    int zoneCount(int zone) { return zoneCount[zone]; }

    /** The number of connections in the table (expired ones not yet reclaimed included). */
    public int size() { return pool.inUse(); }

    public int capacity() { return pool.capacity; }

    /** `conntrack dump [zone=N]` (zone -1: all): live connections, in dpctl/dump-conntrack's order of fields. */
    public java.util.List<CtEntry> dump(int zone, long now) { return CtAdmin.dump(this, zone, now); }

    /**
     * `conntrack flush [zone=N] ['TUPLE']`: deletes the connections of the zone (-1: all) that which accepts
     * (null: all). Returns how many.
     */
    public int flush(int zone, java.util.function.Predicate<CtEntry> which, long now) {
        return CtAdmin.flush(this, zone, which, now);
    }

    /** `conntrack stats`. */
    public CtStats stats(long now) { return CtAdmin.stats(this, now); }

    /** `conntrack limits`: the default row, then zones with their own limit. */
    public java.util.List<CtZoneLimit> limits() { return CtAdmin.limits(this); }

    long counter(int which) {
        if (which == EXPIRED) return expiredCount;
        long n = 0;
        for (int t = 0; t <= threads; t++) n += counters[t * STRIDE + which];
        return n;
    }

    long nextRandom(int thread) {
        long x = rnd[thread];
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        rnd[thread] = x;
        return x;
    }

    SpinLocks createLock() { return createLock; }

    private final FragmentStore fragments = new FragmentStore(this, FragmentStore.MAX_FRAGS_DEFAULT);

    /** IP fragments held for ct() until their datagram is whole (reassembled, tracked, sent on). */
    public FragmentStore fragments() { return fragments; }

    boolean verifiesChecksums() { return verifyChecksums; }

    /** A packet +trk+inv for reason, counted; for the fragment store. */
    int invalid(int thread, int reason, int zone, CtResult out) {
        inv(thread, reason);
        out.reset(zone & 0xffff);
        out.state = CtState.INV | CtState.TRK;
        return FragmentStore.INVALID;
    }

    void deleteLocked(int c) { deleteConn(c, false); }
}
