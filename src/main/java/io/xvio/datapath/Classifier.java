package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.FlowKey;

import java.util.*;

/**
 * One flow table's lookup structure: tuple space search. Flows are grouped by mask into subtables; each
 * subtable hashes the masked key over the words its mask uses. Subtables are probed in order of their best
 * priority, stopping once no remaining subtable can beat the match found. Built whole by the control plane,
 * then only read: lookups allocate nothing.
 */
public final class Classifier {
    private static final class Subtable {
        final long[] mask;
        final int[] words;          // key words with a non-zero mask
        final int maxPriority;
        final long[] hashes;        // open addressing; 0 = empty slot (hashes are forced odd)
        final Flow[][] groups;      // flows with the same masked value, best priority first
        final int slotMask;

        Subtable(long[] mask, List<Flow> flows) {
            this.mask = mask;
            int n = 0;
            for (long m : mask) if (m != 0) n++;
            words = new int[n];
            for (int i = 0, j = 0; i < mask.length; i++) if (mask[i] != 0) words[j++] = i;
            Map<List<Long>, List<Flow>> byValue = new LinkedHashMap<>();
            int best = -1;
            for (Flow f : flows) {
                List<Long> v = new ArrayList<>(words.length);
                for (int w : words) v.add(f.match.value[w]);
                byValue.computeIfAbsent(v, x -> new ArrayList<>()).add(f);
                best = Math.max(best, f.priority);
            }
            maxPriority = best;
            int cap = Integer.highestOneBit(Math.max(4, byValue.size() * 2 - 1)) * 2;
            hashes = new long[cap];
            groups = new Flow[cap][];
            slotMask = cap - 1;
            for (List<Flow> g : byValue.values()) {
                g.sort((a, b) -> a.priority != b.priority ? Integer.compare(b.priority, a.priority) : Long.compare(a.seq, b.seq));
                long h = hash(g.getFirst().match.value, words);
                int s = (int) h & slotMask;
                while (hashes[s] != 0) s = (s + 1) & slotMask;
                hashes[s] = h;
                groups[s] = g.toArray(Flow[]::new);
            }
        }

        /** The flows here matching k, best first (one masked value: identical matches), or null. */
        Flow[] group(long[] k) {
            long h = 1469598103934665603L;
            for (int w : words) h = mix(h, k[w] & mask[w]);
            h |= 1;
            int s = (int) h & slotMask;
            while (true) {
                long hs = hashes[s];
                if (hs == 0) return null;
                if (hs == h) {
                    Flow[] g = groups[s];
                    long[] v = g[0].match.value;
                    boolean eq = true;
                    for (int w : words) if ((k[w] & mask[w]) != v[w]) { eq = false; break; }
                    if (eq) return g;
                }
                s = (s + 1) & slotMask;
            }
        }
    }

    private static long hash(long[] masked, int[] words) {
        long h = 1469598103934665603L;
        for (int w : words) h = mix(h, masked[w]);
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
        Map<List<Long>, List<Flow>> byMask = new LinkedHashMap<>();
        for (Flow f : flows) {
            List<Long> m = new ArrayList<>(FlowKey.WORDS);
            for (long x : f.match.mask) m.add(x);
            byMask.computeIfAbsent(m, x -> new ArrayList<>()).add(f);
        }
        List<Subtable> st = new ArrayList<>();
        for (List<Flow> g : byMask.values()) st.add(new Subtable(g.getFirst().match.maskCopy(), g));
        st.sort((a, b) -> Integer.compare(b.maxPriority, a.maxPriority));
        subtables = st.toArray(Subtable[]::new);
        size = flows.size();
        hasConjunctions = flows.stream().anyMatch(f -> f.conjunctions != null);
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
