package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.FlowKey;

import java.util.*;

/**
 * One flow table's lookup structure: tuple space search. Flows are grouped by mask into subtables; each
 * subtable hashes the masked key over the words its mask uses. Subtables are probed in order of their best
 * priority, stopping once no remaining subtable can beat the match found. Built by the control plane (whole, or
 * from the previous table set's by copying only the subtables a change touches: {@link #update}), then only read:
 * lookups allocate nothing.
 */
public final class Classifier {
    private static final class Subtable {
        final long[] mask;
        final int[] words;          // key words with a non-zero mask
        final int maxPriority;
        final SlotPages slots;      // open addressing: hashes (0 = empty; hashes are forced odd) and groups of flows
                                    // with the same masked value, best priority first
        final int count;            // flows held
        final int used;             // slots used (distinct masked values)
        /** The priorities held, best first, each with its count of flows: (priority << 32) | count. */
        final long[] priorities;

        private Subtable(long[] mask, int[] words, long[] priorities, SlotPages slots, int count, int used) {
            this.mask = mask;
            this.words = words;
            this.priorities = priorities;
            this.maxPriority = priorities.length == 0 ? -1 : (int) (priorities[0] >> 32);
            this.slots = slots;
            this.count = count;
            this.used = used;
        }

        /** Built whole from flows that all have this mask. */
        static Subtable of(long[] mask, List<Flow> flows) {
            int n = 0;
            for (long m : mask) if (m != 0) n++;
            int[] words = new int[n];
            for (int i = 0, j = 0; i < mask.length; i++) if (mask[i] != 0) words[j++] = i;
            SlotPages.Editor e = SlotPages.empty(capacity(flows.size()));
            int used = 0;
            TreeMap<Integer, Integer> byPriority = new TreeMap<>(Comparator.reverseOrder());
            int runPriority = 0, run = 0;                      // flows of one priority usually come together
            for (Flow f : flows) {
                if (put(e, words, f, false)) used++;
                if (run > 0 && f.priority != runPriority) {
                    byPriority.merge(runPriority, run, Integer::sum);
                    run = 0;
                }
                runPriority = f.priority;
                run++;
            }
            if (run > 0) byPriority.merge(runPriority, run, Integer::sum);
            for (int s = 0; s <= e.mask; s++) {
                Flow[] g = e.group(s);
                if (g != null && g.length > 1) Arrays.sort(g, ORDER);
            }
            long[] ps = new long[byPriority.size()];
            int i = 0;
            for (Map.Entry<Integer, Integer> x : byPriority.entrySet()) ps[i++] = ((long) x.getKey() << 32) | x.getValue();
            return new Subtable(mask, words, ps, e.done(), flows.size(), used);
        }

        /** Slots for n distinct values: a load of at most one half (more than a quarter when built whole). */
        static int capacity(int n) { return Integer.highestOneBit(Math.max(4, n * 2 - 1)) * 2; }

        /** ps with delta more flows of priority p (a copy; best first, a priority without flows left out). */
        static long[] counted(long[] ps, int p, int delta) {
            int i = 0;
            while (i < ps.length && (int) (ps[i] >> 32) > p) i++;
            if (i < ps.length && (int) (ps[i] >> 32) == p) {
                int c = (int) ps[i] + delta;
                if (c > 0) {
                    long[] out = ps.clone();
                    out[i] = ((long) p << 32) | c;
                    return out;
                }
                long[] out = new long[ps.length - 1];
                System.arraycopy(ps, 0, out, 0, i);
                System.arraycopy(ps, i + 1, out, i, ps.length - i - 1);
                return out;
            }
            if (delta <= 0) return ps;
            long[] out = new long[ps.length + 1];
            System.arraycopy(ps, 0, out, 0, i);
            out[i] = ((long) p << 32) | delta;
            System.arraycopy(ps, i, out, i + 1, ps.length - i);
            return out;
        }

        /**
         * Puts f in the group of its masked value (a new slot if it has none): appended, or (sorted) in its place
         * by priority and age. Returns whether it took a new slot.
         */
        static boolean put(SlotPages.Editor e, int[] words, Flow f, boolean sorted) {
            long[] v = f.match.compact();
            long h = hash(v);
            int m = e.mask, s = (int) h & m;
            long hs;
            while ((hs = e.hash(s)) != 0) {
                if (hs == h && Arrays.equals(e.group(s)[0].match.compact(), v)) {
                    Flow[] g = e.group(s), ng = Arrays.copyOf(g, g.length + 1);
                    int at = g.length;
                    if (sorted) while (at > 0 && ORDER.compare(ng[at - 1], f) > 0) { ng[at] = ng[at - 1]; at--; }
                    ng[at] = f;
                    e.set(s, h, ng);
                    return false;
                }
                s = (s + 1) & m;
            }
            e.set(s, h, new Flow[] {f});
            return true;
        }

        /** The slot of masked value v (compact: the values of words, in order) being edited, or -1. */
        static int find(SlotPages.Editor e, long[] v) {
            long h = hash(v), hs;
            int m = e.mask, s = (int) h & m;
            while ((hs = e.hash(s)) != 0) {
                if (hs == h && Arrays.equals(e.group(s)[0].match.compact(), v)) return s;
                s = (s + 1) & m;
            }
            return -1;
        }

        /** The flows of masked value v (compact), best first, or null. */
        Flow[] withValue(long[] v) {
            long h = hash(v), hs;
            SlotPages sp = slots;
            int m = sp.mask, s = (int) h & m;
            while ((hs = sp.hash(s)) != 0) {
                if (hs == h && Arrays.equals(sp.group(s)[0].match.compact(), v)) return sp.group(s);
                s = (s + 1) & m;
            }
            return null;
        }

        /** Empties slot i, moving later entries of its probe run back (linear probing needs no tombstones). */
        static void clear(SlotPages.Editor e, int i) {
            int m = e.mask, j = i;
            while (true) {
                j = (j + 1) & m;
                long hj = e.hash(j);
                if (hj == 0) break;
                int home = (int) hj & m;
                boolean between = i <= j ? home > i && home <= j : home > i || home <= j;
                if (!between) {
                    e.set(i, hj, e.group(j));
                    i = j;
                }
            }
            e.set(i, 0, null);
        }

        /** The flows held, in no particular order. */
        List<Flow> flows() {
            List<Flow> out = new ArrayList<>(count);
            for (int s = 0; s <= slots.mask; s++) {
                Flow[] g = slots.group(s);
                if (g != null) Collections.addAll(out, g);
            }
            return out;
        }

        /**
         * This subtable with removed (by identity; each must be here) taken out and added (this mask) put in, copying
         * only the pages of slots written ({@link SlotPages}); rebuilt whole when it must grow or shrink. Null if no
         * flow is left. Costs what changed, not what the subtable holds (but for a rebuild, amortised).
         */
        Subtable with(List<Flow> added, List<Flow> removed) {
            int n = count + added.size() - removed.size();
            if (n <= 0) return null;
            int cap = slots.slots();
            if ((used + added.size()) * 2 > cap || (cap > 64 && n * 8 < cap)) return rebuilt(added, removed);
            SlotPages.Editor e = slots.edit();
            long[] ps = priorities;
            int u = used;
            for (Flow f : removed) {
                int s = find(e, f.match.compact());
                Flow[] g = s < 0 ? null : without(e.group(s), f);
                if (g == null) return rebuilt(added, removed);       // not here after all: start from what is
                ps = counted(ps, f.priority, -1);
                if (g.length == 0) {
                    clear(e, s);
                    u--;
                } else {
                    e.set(s, e.hash(s), g);
                }
            }
            for (Flow f : added) {
                if (put(e, words, f, true)) u++;
                ps = counted(ps, f.priority, 1);
            }
            return new Subtable(mask, words, ps, e.done(), n, u);
        }

        private Subtable rebuilt(List<Flow> added, List<Flow> removed) {
            Set<Flow> gone = Collections.newSetFromMap(new IdentityHashMap<>());
            gone.addAll(removed);
            List<Flow> fs = flows();
            fs.removeIf(gone::contains);
            fs.addAll(added);
            return fs.isEmpty() ? null : of(mask, fs);
        }

        /** g without f (by identity), or null if f is not in it. */
        private static Flow[] without(Flow[] g, Flow f) {
            for (int i = 0; i < g.length; i++) {
                if (g[i] != f) continue;
                Flow[] ng = new Flow[g.length - 1];
                System.arraycopy(g, 0, ng, 0, i);
                System.arraycopy(g, i + 1, ng, i, g.length - i - 1);
                return ng;
            }
            return null;
        }

        /** The flows here matching k, best first (one masked value: identical matches), or null. */
        Flow[] group(long[] k) {
            long h = 1469598103934665603L;
            for (int w : words) h = mix(h, k[w] & mask[w]);
            h |= 1;
            SlotPages sp = slots;
            int m = sp.mask, s = (int) h & m;
            while (true) {
                long hs = sp.hash(s);
                if (hs == 0) return null;
                if (hs == h) {
                    Flow[] g = sp.group(s);
                    long[] v = g[0].match.compact();           // the values of words, in order
                    boolean eq = true;
                    for (int i = 0; i < words.length; i++) {
                        int w = words[i];
                        if ((k[w] & mask[w]) != v[i]) { eq = false; break; }
                    }
                    if (eq) return g;
                }
                s = (s + 1) & m;
            }
        }
    }

    /** Best priority first; among equal priorities the oldest (lowest seq). */
    private static final Comparator<Flow> ORDER = (a, b) -> a.priority != b.priority ? Integer.compare(b.priority, a.priority) : Long.compare(a.seq, b.seq);



    /** The hash of a compact value (the covered words' values in order): {@link Subtable#group}'s of a key. */
    private static long hash(long[] compact) {
        long h = 1469598103934665603L;
        for (long v : compact) h = mix(h, v);
        return h | 1;
    }

    private static long mix(long h, long v) {
        h ^= v * 0x9E3779B97F4A7C15L;
        return Long.rotateLeft(h, 29) * 0xBF58476D1CE4E5B9L;
    }

    private final Subtable[] subtables;
    private final int size;
    private final boolean hasConjunctions;

    public Classifier(List<Flow> flows) {
        Map<MaskKey, List<Flow>> byMask = byMask(flows);
        List<Subtable> st = new ArrayList<>();
        for (List<Flow> g : byMask.values()) st.add(Subtable.of(g.getFirst().match.maskCopy(), g));
        st.sort((a, b) -> Integer.compare(b.maxPriority, a.maxPriority));
        subtables = st.toArray(Subtable[]::new);
        size = flows.size();
        hasConjunctions = flows.stream().anyMatch(f -> f.conjunctions != null);
    }

    private Classifier(Subtable[] subtables, int size, boolean hasConjunctions) {
        this.subtables = subtables;
        this.size = size;
        this.hasConjunctions = hasConjunctions;
    }

    /**
     * flows grouped by mask, in first-seen order. Flows of one shape share the pool's mask array ({@link MaskPool}):
     * a flow whose array was seen joins its group by the array's identity, without hashing the 57-word mask.
     */
    private static Map<MaskKey, List<Flow>> byMask(List<Flow> flows) {
        Map<MaskKey, List<Flow>> byMask = new LinkedHashMap<>();
        Map<long[], List<Flow>> byArray = new IdentityHashMap<>();
        long[] last = null;
        List<Flow> group = null;
        for (Flow f : flows) {
            long[] m = f.match.mask;
            if (m != last) {
                group = byArray.get(m);
                if (group == null) {
                    group = byMask.computeIfAbsent(new MaskKey(m), x -> new ArrayList<>());
                    byArray.put(m, group);
                }
                last = m;
            }
            group.add(f);
        }
        return byMask;
    }

    /** A mask as a map key (the array compared by content; never written while a key). */
    private record MaskKey(long[] mask) {
        @Override public boolean equals(Object o) { return o instanceof MaskKey k && Arrays.equals(mask, k.mask); }
        @Override public int hashCode() { return Arrays.hashCode(mask); }
    }

    /**
     * The classifier of all, which is old's flows without removed (by identity, each one of old's) and with added:
     * the same lookups as {@code new Classifier(all)}, built by copying only the subtables that changed (a table of
     * 100,000 flows taking a batch of 1,000 does not hash the 100,000 again). Built whole if old is null, if conjunctive
     * matches are involved (their resolution follows subtable order, which a rebuild sets), or if most flows changed.
     */
    public static Classifier update(Classifier old, List<Flow> all, List<Flow> added, List<Flow> removed) {
        if (old != null && old.size + added.size() - removed.size() != all.size()) return new Classifier(all);
        return update(old, added, removed, () -> all);
    }

    /** As {@link #update(Classifier, List, List, List)}, the table's flows asked for only if it is built whole. */
    public static Classifier update(Classifier old, List<Flow> added, List<Flow> removed, java.util.function.Supplier<List<Flow>> allFlows) {
        int n = old == null ? -1 : old.size + added.size() - removed.size();
        if (old == null || old.hasConjunctions || n < 0 || (added.size() + removed.size()) * 2 > n) return new Classifier(allFlows.get());
        for (Flow f : added) if (f.conjunctions != null) return new Classifier(allFlows.get());
        Map<MaskKey, List<Flow>> addBy = byMask(added), removeBy = byMask(removed);
        List<Subtable> st = new ArrayList<>(old.subtables.length + addBy.size());
        int removedFound = 0;
        for (Subtable t : old.subtables) {
            MaskKey k = new MaskKey(t.mask);
            List<Flow> a = addBy.remove(k), r = removeBy.get(k);
            if (a == null && r == null) {
                st.add(t);
                continue;
            }
            if (r != null) removedFound += r.size();
            Subtable u = t.with(a == null ? List.of() : a, r == null ? List.of() : r);
            if (u != null) st.add(u);
        }
        if (removedFound != removed.size()) return new Classifier(allFlows.get());   // a removed flow was not here
        for (Map.Entry<MaskKey, List<Flow>> e : addBy.entrySet()) st.add(Subtable.of(e.getKey().mask().clone(), e.getValue()));
        st.sort((a, b) -> Integer.compare(b.maxPriority, a.maxPriority));
        return new Classifier(st.toArray(Subtable[]::new), n, false);
    }

    /** The flows here whose match equals m (value and mask), best first; empty if none. */
    public List<Flow> withMatch(Match m) {
        for (Subtable t : subtables) {
            if (!Arrays.equals(t.mask, m.mask)) continue;
            long[] v = new long[t.words.length];
            for (int i = 0; i < v.length; i++) v[i] = m.value(t.words[i]);
            Flow[] g = t.withValue(v);
            return g == null ? List.of() : List.of(g);
        }
        return List.of();
    }

    public int size() { return size; }
    public int subtableCount() { return subtables.length; }

    /** The highest-priority flow matching key k, or null; among equal priorities the oldest (lowest seq). */
    public Flow lookup(long[] k) { return lookup(k, null); }

    /** Whether some flow here is a conjunction clause (a lookup may then look again with conj_id set). */
    public boolean hasConjunctions() { return hasConjunctions; }

    /**
     * As {@link #lookup(long[])}, and ORs into wc (if not null) the masks of every subtable it probed: the fields
     * whose values decided the result (a megaflow may wildcard everything else).
     *
     * <p>Conjunctive matches, as OVS's classifier resolves them: a flow with conjunction actions is a "soft" match.
     * If the best soft matches outrank the best ordinary ("hard") match, and for some conjunction ID every clause
     * 1..N has a soft match at that one priority, the table is looked up again with conj_id = ID (ordinary flows
     * only); the flow found wins. Otherwise the soft matches of that priority give way to lower-priority flows with
     * the same match, and the search goes on at the next priority down.
     */
    public Flow lookup(long[] k, long[] wc) {
        Flow hard = null;
        List<Flow[]> softGroups = null;
        List<Integer> softAt = null;
        for (Subtable t : subtables) {
            if (hard != null && t.maxPriority < hard.priority) break;
            if (wc != null) {
                long[] m = t.mask;
                for (int w : t.words) wc[w] |= m[w];
            }
            Flow[] g = t.group(k);
            if (g == null) continue;
            Flow f = g[0];
            if (hard != null && (f.priority < hard.priority || (f.priority == hard.priority && (f.seq > hard.seq || f.conjunctions != null))))
                continue;
            if (f.conjunctions == null) {
                hard = f;
            } else {
                if (softGroups == null) { softGroups = new ArrayList<>(); softAt = new ArrayList<>(); }
                softGroups.add(g);
                softAt.add(0);
            }
        }
        if (softGroups == null) return hard;
        return resolveConjunctions(k, wc, hard, softGroups, softAt);
    }

    private Flow resolveConjunctions(long[] k, long[] wc, Flow hard, List<Flow[]> groups, List<Integer> at) {
        while (true) {
            int softPri = Integer.MIN_VALUE, nAtPri = 0;
            for (int i = 0; i < groups.size(); i++) {
                int a = at.get(i);
                if (a < 0) continue;
                Flow f = groups.get(i)[a];
                if (hard != null && f.priority <= hard.priority) { at.set(i, -1); continue; }
                if (f.priority > softPri) { softPri = f.priority; nAtPri = 1; }
                else if (f.priority == softPri) nAtPri++;
            }
            if (nAtPri == 0) return hard;
            // clauses seen per conjunction id at this priority: bit K-1 set; bits from N up preset (OVS's trick)
            Map<Long, Long> clauses = new HashMap<>();
            for (int i = 0; i < groups.size(); i++) {
                int a = at.get(i);
                if (a < 0) continue;
                Flow f = groups.get(i)[a];
                if (f.priority != softPri) continue;
                for (Conjunction c : f.conjunctions) {
                    if (c.nClauses() > nAtPri) continue;            // not enough soft matches to complete it
                    long seen = clauses.getOrDefault(c.id(), c.nClauses() >= 64 ? 0L : -1L << c.nClauses()) | (1L << (c.clause() - 1));
                    clauses.put(c.id(), seen);
                    if (seen == -1L) {
                        long saved = k[FlowKey.CONJ_ID];
                        k[FlowKey.CONJ_ID] = c.id();
                        Flow r = hardOnly(k, wc);
                        k[FlowKey.CONJ_ID] = saved;
                        if (r != null) return r;
                    }
                }
            }
            // no conjunction completed at this priority: its soft matches give way to the next flows with their match
            for (int i = 0; i < groups.size(); i++) {
                int a = at.get(i);
                if (a < 0 || groups.get(i)[a].priority != softPri) continue;
                Flow[] g = groups.get(i);
                if (a + 1 >= g.length) { at.set(i, -1); continue; }
                Flow next = g[a + 1];
                if (next.conjunctions == null) {
                    if (hard == null || next.priority > hard.priority || (next.priority == hard.priority && next.seq < hard.seq)) hard = next;
                    at.set(i, -1);
                } else {
                    at.set(i, a + 1);
                }
            }
        }
    }

    /** The best ordinary flow matching k (a subtable whose best match is a conjunction clause has none, as in OVS). */
    private Flow hardOnly(long[] k, long[] wc) {
        Flow best = null;
        for (Subtable t : subtables) {
            if (best != null && t.maxPriority < best.priority) break;
            if (wc != null) {
                long[] m = t.mask;
                for (int w : t.words) wc[w] |= m[w];
            }
            Flow[] g = t.group(k);
            if (g == null || g[0].conjunctions != null) continue;
            Flow f = g[0];
            if (best == null || f.priority > best.priority || (f.priority == best.priority && f.seq < best.seq)) best = f;
        }
        return best;
    }

    /** The plain walk over every flow: the reference the property tests compare the fast path with. */
    public static Flow linearLookup(List<Flow> flows, long[] k) {
        Flow best = null;
        for (Flow f : flows)
            if (f.match.matches(k) && (best == null || f.priority > best.priority || (f.priority == best.priority && f.seq < best.seq))) best = f;
        return best;
    }
}
