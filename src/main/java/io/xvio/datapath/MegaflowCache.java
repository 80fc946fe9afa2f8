package io.xvio.datapath;

import io.xvio.packet.FlowKey;

/**
 * One poll-mode thread's cache of translations for one bridge. An entry says: every packet whose key equals
 * {@code value} under {@code mask} takes the same path through the flow tables, so replaying the recorded
 * operations (rewrites, outputs, flow counter hits) is the same as walking the tables again. The mask is the
 * union of the subtable masks the lookups probed plus the fields the actions read (e.g. nw_ttl for dec_ttl), as
 * in OVS's megaflows. Entries are valid for one table version; when a thread meets a newer one, {@link #validate}
 * evicts the entries the flows changed since can affect (see {@link Revalidation}) or, when the change log does
 * not reach back to the cache's version, empties the cache, so a cached decision is never stale. Translations
 * through NORMAL are cached with NORMAL itself as an operation (OP_NORMAL): replay learns and looks the
 * destination up again, so the MAC table is never stale in a cached decision. Lookups allocate nothing; misses allocate their
 * new entry, revalidation its scratch space.
 */
final class MegaflowCache {
    /**
     * MAX_OPS bounds one recorded translation (a flood to a 500-port logical switch, one load, resubmit, lookup and
     * output per port, fits); an entry holds only the operations its translation recorded.
     */
    static final int MAX_MASKS = 32, SLOTS = 4096, MAX_OPS = 2048, MAX_GUARDS = 8;
    /**
     * Most entry-against-change checks one revalidation makes (each walks the entry's lookups over the mask's words;
     * 2^15 of them stay well under a millisecond on the PMD thread); beyond that, emptying the cache is cheaper.
     */
    static final long MAX_CHECKS = 1 << 15;
    /**
     * OP_HIT and OP_NO_MATCH are table lookups: a = the table, b = the key words rewritten before it (bit per word);
     * OP_NO_MATCH's c != 0: the miss ended the pipeline, a drop (not a resubmit's miss the packet goes on after).
     */
    static final int OP_HIT = 1, OP_OUT = 2, OP_FLOOD = 3, OP_SET = 4, OP_PUSH = 5, OP_STRIP = 6, OP_DECTTL = 7,
            OP_DROP_TTL = 8, OP_NO_MATCH = 9, OP_LOOP = 10,
            /** NORMAL, executed again at replay (learning and MAC lookup are live): a = copy flag, b = input port index. */
            OP_NORMAL = 12,
            /** A group or bucket ran: ref = the Group, a = the bucket's index (-1: the group itself). Counts only. */
            OP_GROUP = 15,
            /** A drop counted by reason: a = the {@link DatapathDrops.Reason}'s ordinal. */
            OP_DROP = 16,
            /** The ops up to the matching OP_CLONE_END run on a copy of the packet (a group bucket that rewrites it). */
            OP_CLONE = 17, OP_CLONE_END = 18,
            /**
             * The packet goes through the bridge again after this pass with recirc_id a: b != 0, a copy of it (the
             * packet itself has more to do in this pass); c != 0, its dp_hash is computed first (the 5-tuple hash).
             */
            OP_RECIRC = 19,
            /** ct(): ref = the {@link io.xvio.datapath.action.Ct}, a = the zone; the tracker runs on each packet. */
            OP_CT = 20,
            /** After ct(), the packet goes on untracked: ct_* cleared; a != 0: header words back as before a nat. */
            OP_CT_DONE = 21,
            /** ct_clear. */
            OP_CT_CLEAR = 22,
            /** meter:N: ref = the {@link io.xvio.datapath.meter.LiveMeter}; each packet meets its bands, a drop ends it. */
            OP_METER = 23,
            /** learn(...): ref = the {@link LearnRef}; each hit refreshes the learned flow's timers (OVS's XC_LEARN). */
            OP_LEARN = 24,
            /**
             * Writes of registers and metadata (pipeline-only fields), merged: ref = the {@link PipelineSets}. A run of
             * such writes with only counters between them (OVN loads five to ten registers per table) is one op.
             */
            OP_SETW = 25;

    /**
     * Consecutive writes of pipeline-only fields (registers, metadata: nothing a port sends) as one op: per key word,
     * the bits written and their values, applied in one pass; the writes as recorded, for {@code describe}. Immutable
     * once in an entry (a merge makes a new one), so an entry never sees a later recording's writes.
     */
    static final class PipelineSets {
        /** Triples: key word, mask, value (value within mask). */
        final long[] words;
        /** The writes as recorded: Field, then value, mask (for describe). */
        final Object[] writes;
        /** A word beyond the packet's: the key is extended (as setField marks it). */
        final boolean extended;

        private PipelineSets(long[] words, Object[] writes, boolean extended) {
            this.words = words;
            this.writes = writes;
            this.extended = extended;
        }

        static final PipelineSets EMPTY = new PipelineSets(new long[0], new Object[0], false);

        /** These writes, then f = value under mask (lo: a 128-bit field's low word). */
        PipelineSets with(Field f, long value, long mask, long valueLo, long maskLo) {
            long[] w = words;
            w = merge(w, f.word, mask, value);
            if (f.words() == 2) w = merge(w, f.word + 1, maskLo, valueLo);
            Object[] r = java.util.Arrays.copyOf(writes, writes.length + 3);
            r[writes.length] = f;
            r[writes.length + 1] = value;
            r[writes.length + 2] = mask;
            return new PipelineSets(w, r, extended || f.word >= FlowKey.PACKET_WORDS);
        }

        private static long[] merge(long[] w, int word, long mask, long value) {
            for (int j = 0; j < w.length; j += 3) {
                if (w[j] != word) continue;
                long[] c = w.clone();
                c[j + 1] |= mask;
                c[j + 2] = (c[j + 2] & ~mask) | (value & mask);
                return c;
            }
            long[] c = java.util.Arrays.copyOf(w, w.length + 3);
            c[w.length] = word;
            c[w.length + 1] = mask;
            c[w.length + 2] = value & mask;
            return c;
        }

        /** Applies the writes to key k. No allocation. */
        void apply(FlowKey k) {
            long[] s = words, w = k.w;
            for (int j = 0; j < s.length; j += 3) {
                int word = (int) s[j];
                w[word] = (w[word] & ~s[j + 1]) | s[j + 2];
            }
            if (extended) k.extended = true;
        }
    }

    /** A recorded translation. */
    static final class Entry {
        final long[] value = new long[FlowKey.WORDS];
        final int nops;
        /** Only counts hits, outputs, floods and drops: replaying it needs no packet header. */
        boolean headerFree;
        /**
         * Its mask reads only words the {@link RecircFront} compares (recirc_id, in_port, dp_hash's low bits,
         * dl_type, nw_frag, ct_state/zone/nw_proto, ct_mark): the front may serve it.
         */
        boolean recircFront;
        /** Matches in_port alone (a port-only shape) and ends in hash(l4),recirc after counters only: see {@link SelectChain}. */
        boolean selectTail;
        /** Header-free, and its mask reads only recirc_id, in_port and dp_hash's slot bits: a {@link SelectChain} may hold it. */
        boolean dpHashOnly;
        /** For a {@link #selectTail} entry: the second-pass entries by dp_hash slot, once a burst took it. */
        SelectChain chain;
        /**
         * Counters and register writes, then ct(table=T) without nat or exec as the last action: a burst's next frame
         * with the same key bytes may take the tracker's verdict of the frame before it ({@link CtExecution#repeat}).
         */
        boolean ctTail;
        final int[] op;
        final long[] a, b, c, d;
        final Object[] ref;
        /**
         * Length guards (check_pkt_larger), null if none: the entry holds for a packet whose length at the start
         * (a GSO frame's segments', as the action reads it) is >= guardNeed[g] exactly when bit g of guardLarger is
         * set. A packet for which one fails takes a miss; its translation replaces the entry.
         */
        final int[] guardNeed;
        final long guardLarger;
        /**
         * The flows of the lookups every packet of the entry makes with its length unchanged (those before the first
         * op that may end a packet's replay or resize it: clone, meter, VLAN push, pop or set, and ct unless the entry
         * matches only unfragmented packets), taken out of the ops:
         * a replay adds the packet to {@link #pendingPackets} and the thread credits these flows once per burst
         * ({@link EntryCredits}), not once per packet and flow (OVN's pipeline hits ~45 flows a packet). Their
         * tables and rewritten words (an OP_HIT's a and b) stay for {@link Revalidation}. Empty for an entry made
         * with {@link #Entry(Recorder)}.
         */
        final Flow[] counted;
        final int[] countedTable;
        final long[] countedRewritten;
        /** The mask of the shape the cache keeps it in and the words it reads (null for an entry no cache holds). */
        long[] mask;
        int[] words;

        /** Whether key k matches this cached entry (k under its mask equals its value), without a hash. */
        boolean matches(long[] k) {
            return words != null && equalUnder(k, mask, words, value);
        }

        /** Packets and bytes that took this entry and are not yet credited to {@link #counted}: the owning thread's. */
        int pendingPackets;
        long pendingBytes;

        /** An entry of no operations. */
        Entry() { this(0, null, 0, 0); }

        private Entry(int n, int[] guardNeed, long guardLarger, int ncounted) {
            nops = n;
            this.guardNeed = guardNeed;
            this.guardLarger = guardLarger;
            op = new int[n];
            a = new long[n];
            b = new long[n];
            c = new long[n];
            d = new long[n];
            ref = new Object[n];
            counted = new Flow[ncounted];
            countedTable = new int[ncounted];
            countedRewritten = new long[ncounted];
        }

        /** An entry of the operations r recorded, every lookup an op (its value and flags still to set). */
        Entry(Recorder r) {
            this(r.n, r.nguards == 0 ? null : java.util.Arrays.copyOf(r.guardNeed, r.nguards), r.guardLarger, 0);
            System.arraycopy(r.op, 0, op, 0, r.n);
            System.arraycopy(r.a, 0, a, 0, r.n);
            System.arraycopy(r.b, 0, b, 0, r.n);
            System.arraycopy(r.c, 0, c, 0, r.n);
            System.arraycopy(r.d, 0, d, 0, r.n);
            System.arraycopy(r.ref, 0, ref, 0, r.n);
        }

        /** An entry of the operations r recorded, its leading lookups moved to {@link #counted}. */
        private Entry(Recorder r, int prefix, int ncounted) {
            this(r.n - ncounted, r.nguards == 0 ? null : java.util.Arrays.copyOf(r.guardNeed, r.nguards), r.guardLarger, ncounted);
            for (int x = 0, y = 0, h = 0; x < r.n; x++) {
                if (x < prefix && r.op[x] == OP_HIT) {
                    counted[h] = (Flow) r.ref[x];
                    countedTable[h] = (int) r.a[x];
                    countedRewritten[h++] = r.b[x];
                    continue;
                }
                op[y] = r.op[x];
                a[y] = r.a[x];
                b[y] = r.b[x];
                c[y] = r.c[x];
                d[y] = r.d[x];
                ref[y++] = r.ref[x];
            }
        }

        /** The entry a cache keeps for r: the lookups before any op that may end or resize a packet counted per burst. */
        static Entry cached(Recorder r) {
            // a ct() holds only IP fragments (their datagram goes on later): an entry that matches no fragment goes past it
            boolean unfragmented = (r.wc[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) != 0 && (r.original[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) == 0;
            int prefix = 0, hits = 0;
            for (; prefix < r.n; prefix++) {
                int o = r.op[prefix];
                if (o == OP_CT && !unfragmented || o == OP_CLONE || o == OP_METER || o == OP_PUSH || o == OP_STRIP
                        || o == OP_SET && r.ref[prefix] == Field.VLAN_TCI) break;      // a VLAN set pushes or pops a tag
                if (o == OP_HIT) hits++;
            }
            return hits == 0 ? new Entry(r) : new Entry(r, prefix, hits);
        }

        /** Whether this entry's length guards hold for packet i of b (always, without guards). */
        boolean admits(io.xvio.packet.PacketBatch pb, int i) {
            int[] need = guardNeed;
            if (need == null) return true;
            int len = io.xvio.packet.Segmentation.wireLength(pb, i);
            for (int g = 0; g < need.length; g++) if ((len >= need[g]) != ((guardLarger >>> g & 1) != 0)) return false;
            return true;
        }
    }

    /** Whether key k under mask equals value in the given words (value is masked already). */
    private static boolean equalUnder(long[] k, long[] mask, int[] words, long[] value) {
        for (int w : words) if ((k[w] & mask[w]) != value[w]) return false;
        return true;
    }

    /** One odd 64-bit multiplier per key word (from a SplitMix64 sequence). */
    private static final long[] MULTIPLIERS = new long[FlowKey.WORDS];
    static {
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < MULTIPLIERS.length; i++) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            MULTIPLIERS[i] = (z ^ (z >>> 31)) | 1;
        }
    }

    private static final class Group {
        final long[] mask;
        final int[] words;
        final long[] hashes = new long[SLOTS];
        final Entry[] entries = new Entry[SLOTS];
        int count;

        Group(long[] mask) {
            this.mask = mask.clone();
            int n = 0;
            for (long m : mask) if (m != 0) n++;
            words = new int[n];
            for (int i = 0, j = 0; i < mask.length; i++) if (mask[i] != 0) words[j++] = i;
        }

        /**
         * Each masked word gets its own multiplier and the products are summed: the multiplications do not
         * depend on one another, so a key of n words costs about one multiply, not n in a chain. A final mix
         * spreads the bits into the slot index.
         */
        long hash(long[] k) {
            long h = 0;
            int[] ws = words;
            for (int i = 0; i < ws.length; i++) {
                int w = ws[i];
                h += (k[w] & mask[w]) * MULTIPLIERS[w];
            }
            h ^= h >>> 29;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 32;
            return h | 1;
        }

        /**
         * Puts the entries left after evictions (slots nulled) back where probing finds them: a removed entry may
         * have been the link between another entry and its home slot.
         */
        void rehash() {
            int n = 0;
            for (Entry e : entries) if (e != null) n++;
            if (n == count) return;                          // nothing evicted
            Entry[] left = new Entry[n];
            n = 0;
            for (Entry e : entries) if (e != null) left[n++] = e;
            java.util.Arrays.fill(hashes, 0);
            java.util.Arrays.fill(entries, null);
            for (Entry e : left) put(hash(e.value), e);
            count = n;
        }

        void put(long h, Entry e) {
            int s = (int) h & (SLOTS - 1);
            while (hashes[s] != 0) s = (s + 1) & (SLOTS - 1);
            hashes[s] = h;
            entries[s] = e;
        }

        /** Puts e in the place of the entry of the same value, if there is one (another length class); false if none. */
        boolean replace(long h, Entry e) {
            int s = (int) h & (SLOTS - 1);
            for (int probe = 0; probe < SLOTS && hashes[s] != 0; probe++) {
                if (hashes[s] == h && java.util.Arrays.equals(entries[s].value, e.value)) {
                    entries[s] = e;
                    return true;
                }
                s = (s + 1) & (SLOTS - 1);
            }
            return false;
        }

        /** This group's entry for key k, or null. */
        Entry find(long[] k) {
            long h = hash(k);
            int s = (int) h & (SLOTS - 1);
            for (int probe = 0; probe < SLOTS; probe++) {
                long hs = hashes[s];
                if (hs == 0) return null;
                if (hs == h) {
                    Entry e = entries[s];
                    if (equalUnder(k, mask, words, e.value)) return e;
                }
                s = (s + 1) & (SLOTS - 1);
            }
            return null;
        }
    }

    private final Group[] groups = new Group[MAX_MASKS];
    private int ngroups;
    /** The table version the entries are valid for; -1: none yet. */
    private long version = -1;
    long hits, misses, uncacheable;
    /** Table versions met, entries evicted and kept by them, and times the whole cache was emptied for one. */
    long revalidations, evicted, kept, flushes;

    /** Brings the cache to the table version log belongs to, if it is not there yet. */
    void validate(ChangeLog log, java.util.Map<Long, io.xvio.datapath.Group> groupsNow) {
        if (log.version != version) revalidate(log, groupsNow);
    }

    private void revalidate(ChangeLog log, java.util.Map<Long, io.xvio.datapath.Group> groupsNow) {
        revalidations++;
        epoch++;
        int first = log.firstAfter(version);
        if (!log.covers(version) || (long) entries() * (log.flows.length - first) > MAX_CHECKS) {
            if (ngroups > 0) flushes++;
            for (int g = 0; g < ngroups; g++) evicted += groups[g].count;
            clear();
        } else {
            int live = 0;
            for (int g = 0; g < ngroups; g++) {
                Group gr = groups[g];
                int before = gr.count;
                Revalidation.evict(gr.mask, gr.words, gr.entries, log.flows, first);
                if (log.groupsChangedAfter(version)) Revalidation.evictStaleGroups(gr.entries, groupsNow);
                if (log.missesChangedAfter(version)) Revalidation.evictMisses(gr.entries);
                gr.rehash();
                evicted += before - gr.count;
                kept += gr.count;
                if (gr.count > 0) groups[live++] = gr;       // drop emptied shapes, keeping the others' order
            }
            for (int g = live; g < ngroups; g++) groups[g] = null;
            ngroups = live;
        }
        version = log.version;
    }

    private void clear() {
        epoch++;
        for (int i = 0; i < ngroups; i++) groups[i] = null;
        ngroups = 0;
    }

    /** Entries held; also read by the control thread for stats while the PMD changes the groups (racy, never failing). */
    int entries() {
        int n = 0;
        for (int g = 0, ng = Math.min(ngroups, MAX_MASKS); g < ng; g++) {
            Group gr = groups[g];
            if (gr != null) n += gr.count;
        }
        return n;
    }

    /** The entry for packet i of b with key k, or null: none, or its length guards fail for the packet (a miss). */
    Entry lookup(long[] k, io.xvio.packet.PacketBatch b, int i) {
        Entry e = lookup(k);
        return e == null || e.admits(b, i) ? e : null;
    }

    Entry lookup(long[] k) {
        for (int g = 0; g < ngroups; g++) {
            Entry e = groups[g].find(k);
            if (e != null) return e;
        }
        return null;
    }

    /**
     * Counts every event that drops entries (revalidation, flush, a full shape forgotten): whoever holds on to
     * entries between bursts (the {@link ExactMatchCache}) trusts them only while it is unchanged.
     */
    int epoch;

    /** Stores the recording r for original key k; returns the new entry. */
    Entry insert(long[] k, Recorder r) {
        Group gr = null;
        for (int g = 0; g < ngroups; g++) if (java.util.Arrays.equals(groups[g].mask, r.wc)) { gr = groups[g]; break; }
        if (gr == null) {
            if (ngroups == MAX_MASKS) clear();  // too many shapes: start over rather than slow every lookup down
            gr = new Group(r.wc);
            groups[ngroups++] = gr;
        }
        if (gr.count >= SLOTS / 2) {           // full: forget this shape's entries (they come back on the next miss)
            epoch++;
            java.util.Arrays.fill(gr.hashes, 0);
            java.util.Arrays.fill(gr.entries, null);
            gr.count = 0;
        }
        Entry e = Entry.cached(r);
        for (int w = 0; w < FlowKey.WORDS; w++) e.value[w] = k[w] & gr.mask[w];
        e.mask = gr.mask;
        e.words = gr.words;
        boolean free = true;
        for (int x = 0; x < r.n; x++) {
            int o = r.op[x];
            free &= o == OP_HIT || o == OP_OUT || o == OP_FLOOD || o == OP_NO_MATCH || o == OP_LOOP || o == OP_GROUP || o == OP_DROP;
        }
        // a port that reads the key (a tunnel port's key=flow, remote_ip=flow, options) needs it extracted: a
        // header-free replay leaves the slot's key from an earlier packet
        free &= !r.keyedOutput;
        e.headerFree = free;
        e.recircFront = RecircFront.covers(gr.mask, gr.words);
        e.selectTail = gr.words.length == 1 && gr.words[0] == FlowKey.IN_PORT && endsInSelect(r);
        e.dpHashOnly = free && readsOnlyRecircPortSlot(gr.mask, gr.words);
        e.ctTail = endsInCtTable(r);
        long h = gr.hash(k);
        if (e.guardNeed != null) {        // only the full lookups check the guards: no fast path may take it
            e.headerFree = e.recircFront = e.selectTail = e.dpHashOnly = e.ctTail = false;
            if (gr.replace(h, e)) { epoch++; return e; }     // the exact-match cache may hold the one replaced
        }
        gr.put(h, e);
        gr.count++;
        return e;
    }

    /** Counters, then a recirculation of the packet itself (not a copy) with dp_hash computed. */
    private static boolean endsInSelect(Recorder r) {
        if (r.n == 0 || r.op[r.n - 1] != OP_RECIRC || r.b[r.n - 1] != 0 || r.c[r.n - 1] == 0) return false;
        for (int x = 0; x < r.n - 1; x++) if (r.op[x] != OP_HIT && r.op[x] != OP_GROUP) return false;
        return true;
    }

    /**
     * Counters and register or metadata writes, then ct(table=T) without nat or exec, recirculating the packet itself
     * (the security-group shape; OVN's first pass sets its registers, then ct() in the port's zone). A repeat takes the
     * packet before's whole key, so the writes come with it.
     */
    private static boolean endsInCtTable(Recorder r) {
        int n = r.n;
        if (n < 2 || r.op[n - 1] != OP_RECIRC || r.b[n - 1] != 0 || r.c[n - 1] != 0 || r.op[n - 2] != OP_CT) return false;
        io.xvio.datapath.action.Ct ct = (io.xvio.datapath.action.Ct) r.ref[n - 2];
        if (ct.natAction() != null || ct.sets().setsMark() || ct.sets().setsLabel()) return false;
        for (int x = 0; x < n - 2; x++) if (r.op[x] != OP_HIT && r.op[x] != OP_SETW && r.op[x] != OP_NO_MATCH) return false;
        return true;
    }

    private static boolean readsOnlyRecircPortSlot(long[] mask, int[] words) {
        for (int w : words) {
            if (w == FlowKey.DP_HASH) {
                if ((mask[w] & ~(long) (io.xvio.datapath.Group.DP_HASH_SLOTS - 1)) != 0) return false;
            } else if (w != FlowKey.RECIRC_ID && w != FlowKey.IN_PORT) {
                return false;
            }
        }
        return true;
    }

    private final long[] portKey = new long[FlowKey.WORDS];

    /**
     * The entry every packet from OpenFlow port inPort gets, if the first mask looks at the input port alone (a
     * lookup tries masks in order, so such an entry wins for all of them); else null. The caller takes it for a
     * whole burst when it is {@link Entry#headerFree} or a {@link Entry#selectTail}.
     */
    Entry portEntry(int inPort) {
        if (ngroups == 0) return null;
        Group g = groups[0];
        if (g.words.length != 1 || g.words[0] != FlowKey.IN_PORT) return null;
        portKey[FlowKey.IN_PORT] = inPort;
        return g.find(portKey);
    }

    int masks() { return ngroups; }

    /** What the slow path did to one packet, recorded for the cache. Reused: one per thread. */
    static final class Recorder {
        final long[] wc = new long[FlowKey.WORDS];
        final long[] original = new long[FlowKey.WORDS];
        int n;
        boolean uncacheable;
        /** An output went to a port whose transmit reads the flow key (a tunnel port): not header-free. */
        boolean keyedOutput;
        /** Key words an action has rewritten so far (bit w: word w): a later lookup sees them changed. */
        long rewritten;
        /** The packet's length as check_pkt_larger reads it when the translation began; -1: unknown (no guards). */
        int startLen = -1;
        /** Length guards so far (see {@link Entry#guardNeed}). */
        int nguards;
        final int[] guardNeed = new int[MAX_GUARDS];
        long guardLarger;
        final int[] op = new int[MAX_OPS];
        final long[] a = new long[MAX_OPS], b = new long[MAX_OPS], c = new long[MAX_OPS], d = new long[MAX_OPS];
        final Object[] ref = new Object[MAX_OPS];

        void reset(long[] key) { reset(key, -1); }

        /** For a packet whose length check_pkt_larger would read as startLen now. */
        void reset(long[] key, int startLen) {
            java.util.Arrays.fill(wc, 0);
            System.arraycopy(key, 0, original, 0, FlowKey.WORDS);
            n = 0;
            uncacheable = false;
            keyedOutput = false;
            rewritten = 0;
            this.startLen = startLen;
            nguards = 0;
            guardLarger = 0;
        }

        /**
         * check_pkt_larger found the packet's length now, lenNow, to be >= n (larger) or not: the entry holds for
         * packets whose start length gives the same answer (the actions before change every packet's length alike).
         */
        void lengthGuard(int n, int lenNow, boolean larger) {
            if (startLen < 0 || nguards == MAX_GUARDS) { uncacheable = true; return; }
            guardNeed[nguards] = n - (lenNow - startLen);
            if (larger) guardLarger |= 1L << nguards;
            nguards++;
        }

        /** Records a lookup in table that found flow f. */
        void lookup(int table, Flow f) {
            add(OP_HIT, table, rewritten, 0, 0, f);
        }

        /** Records a lookup in table that found no flow; drop: the miss ended the pipeline (counted as a drop). */
        void miss(int table, boolean drop) {
            add(OP_NO_MATCH, table, rewritten, drop ? 1 : 0, 0, null);
        }

        void rewrote(int word) { rewritten |= 1L << word; }

        private void add(int o, long x, long y, long z, long t, Object r) {
            if (n == MAX_OPS) { uncacheable = true; return; }
            op[n] = o;
            a[n] = x;
            b[n] = y;
            c[n] = z;
            d[n] = t;
            ref[n] = r;
            n++;
        }

        void unwildcard(int word, long mask) { wc[word] |= mask; }

        /** The recorded datapath operations as text (ports by OpenFlow number), as a trace shows them. */
        String describe(int[] ofports) {
            StringBuilder sb = new StringBuilder();
            for (int x = 0; x < n; x++) {
                String s = switch (op[x]) {
                    case OP_OUT -> "output:" + (a[x] >= 0 && a[x] < ofports.length ? ofports[(int) a[x]] : a[x]);
                    case OP_FLOOD -> "flood";
                    case OP_NORMAL -> "NORMAL";
                    case OP_SET -> setText((Field) ref[x], a[x], this.b[x]);
                    case OP_SETW -> {
                        Object[] w = ((PipelineSets) ref[x]).writes;
                        StringBuilder t = new StringBuilder();
                        for (int j = 0; j < w.length; j += 3) t.append(j == 0 ? "" : ",").append(setText((Field) w[j], (Long) w[j + 1], (Long) w[j + 2]));
                        yield t.toString();
                    }
                    case OP_PUSH -> "push_vlan(0x" + Long.toHexString(a[x]) + ")";
                    case OP_STRIP -> "pop_vlan";
                    case OP_DECTTL -> "dec_ttl";
                    case OP_DROP_TTL -> "drop(ttl)";
                    case OP_LOOP -> "drop(loop)";
                    case OP_DROP -> "drop(" + DatapathDrops.Reason.values()[(int) a[x]].label + ")";
                    case OP_CLONE -> "clone(";
                    case OP_CLONE_END -> ")";
                    case OP_RECIRC -> (c[x] != 0 ? "hash(l4)," : "") + "recirc(0x" + Long.toHexString(a[x]) + ")";
                    case OP_CT -> ctText((io.xvio.datapath.action.Ct) ref[x], (int) a[x]);
                    case OP_CT_CLEAR -> "ct_clear";
                    case OP_METER -> "meter(" + ((io.xvio.datapath.meter.LiveMeter) ref[x]).id() + ")";
                    case OP_LEARN -> "learn";
                    default -> null;                       // lookups and group counts
                };
                if (s == null) continue;
                if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '(' && !s.equals(")")) sb.append(',');
                sb.append(s);
            }
            return sb.toString();
        }

        // The datapath operations, one method each: the operands as replay reads them.

        /** Out of port index p (a copy of the packet if copy). */
        void output(int p, boolean copy) { add(OP_OUT, p, copy ? 1 : 0, 0, 0, null); }
        /** NORMAL from input port index inPort. */
        void normal(boolean copy, int inPort) { add(OP_NORMAL, copy ? 1 : 0, inPort, 0, 0, null); }
        /** Every port but input port index inPort. */
        void flood(int inPort, boolean copy) { add(OP_FLOOD, inPort, copy ? 1 : 0, 0, 0, null); }
        /**
         * Field f = value under mask (lo: the low words of a 128-bit field). A register or metadata joins the writes
         * of such fields recorded just before it (only counters between): one op for the run.
         */
        void set(Field f, long value, long mask, long valueLo, long maskLo) {
            if (!f.pipelineOnly()) {
                add(OP_SET, value, mask, valueLo, maskLo, f);
                return;
            }
            int y = n - 1;
            while (y >= 0 && op[y] == OP_HIT) y--;
            if (y >= 0 && op[y] == OP_SETW) ref[y] = ((PipelineSets) ref[y]).with(f, value, mask, valueLo, maskLo);
            else add(OP_SETW, 0, 0, 0, 0, PipelineSets.EMPTY.with(f, value, mask, valueLo, maskLo));
        }

        private static String setText(Field f, long value, long mask) {
            return "set(" + f.ofName + "=0x" + Long.toHexString(mask == -1L ? value : value & mask)
                    + (mask == -1L || mask == f.fullMask() ? "" : "/0x" + Long.toHexString(mask)) + ")";
        }
        void pushVlan(int ethertype) { add(OP_PUSH, ethertype, 0, 0, 0, null); }
        void stripVlan() { add(OP_STRIP, 0, 0, 0, 0, null); }
        void decTtl() { add(OP_DECTTL, 0, 0, 0, 0, null); }
        /** dec_ttl found TTL <= 1: counted; the flow's remaining actions were skipped. */
        void ttlExpired() { add(OP_DROP_TTL, 0, 0, 0, 0, null); }
        /** An output to the input port without IN_PORT: counted. */
        void loop() { add(OP_LOOP, 0, 0, 0, 0, null); }
        /** A drop counted by reason. */
        void drop(DatapathDrops.Reason r) { add(OP_DROP, r.ordinal(), 0, 0, 0, null); }
        /** Group g ran (bucket -1), or its bucket ran: counters only. */
        void group(io.xvio.datapath.Group g, int bucket) { add(OP_GROUP, bucket, 0, 0, 0, g); }
        /** The operations up to {@link #cloneEnd} run on a copy of the packet. */
        void cloneBegin() { add(OP_CLONE, 0, 0, 0, 0, null); }
        void cloneEnd() { add(OP_CLONE_END, 0, 0, 0, 0, null); }
        /** Another pass with recirc_id id: of a copy if copy, with dp_hash computed first if dpHash. */
        void recirc(int id, boolean copy, boolean dpHash) { add(OP_RECIRC, id, copy ? 1 : 0, dpHash ? 1 : 0, 0, null); }
        /** ct() in zone. */
        void conntrack(io.xvio.datapath.action.Ct ct, int zone) { add(OP_CT, zone, 0, 0, 0, ct); }
        /** The packet goes on untracked after a ct() (restore: header words back as before its nat). */
        void ctDone(boolean restore) { add(OP_CT_DONE, restore ? 1 : 0, 0, 0, 0, null); }
        void ctClear() { add(OP_CT_CLEAR, 0, 0, 0, 0, null); }
        /** meter:N, run on every packet at replay. */
        void meter(io.xvio.datapath.meter.LiveMeter m) { add(OP_METER, m.id(), 0, 0, 0, m); }
        /** learn(...): each hit refreshes the flow ref points to. */
        void learn(LearnRef ref) { add(OP_LEARN, 0, 0, 0, 0, ref); }

        /** The datapath's ct action as OVS's dpctl shows it: ct(commit,zone=1,nat(...)). */
        private static String ctText(io.xvio.datapath.action.Ct ct, int zone) {
            StringBuilder sb = new StringBuilder("ct(");
            if (ct.commit()) sb.append(ct.force() ? "force_commit," : "commit,");
            sb.append("zone=").append(zone);
            if (ct.sets().setsMark()) sb.append(",mark=0x").append(Integer.toHexString(ct.sets().mark()))
                    .append("/0x").append(Integer.toHexString(ct.sets().markMask()));
            if (ct.sets().setsLabel()) sb.append(",label");
            if (ct.nat() != null) sb.append(',').append(ct.natText());
            return sb.append(')').toString();
        }
    }
}
