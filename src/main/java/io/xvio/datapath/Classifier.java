package io.xvio.datapath;

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

        /** The best flow here matching k (ignoring priority cut-off), or null. */
        Flow lookup(long[] k) {
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
                    if (eq) return g[0];
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
    }

    public int size() { return size; }
    public int subtableCount() { return subtables.length; }

    /** The highest-priority flow matching key k, or null; among equal priorities the oldest (lowest seq). */
    public Flow lookup(long[] k) {
        Flow best = null;
        for (Subtable t : subtables) {
            if (best != null && t.maxPriority < best.priority) break;
            Flow f = t.lookup(k);
            if (f != null && (best == null || f.priority > best.priority || (f.priority == best.priority && f.seq < best.seq))) best = f;
        }
        return best;
    }

    /**
     * As {@link #lookup(long[])}, and ORs into wc the masks of every subtable it probed: the fields whose values
     * decided the result (a megaflow may wildcard everything else).
     */
    public Flow lookup(long[] k, long[] wc) {
        Flow best = null;
        for (Subtable t : subtables) {
            if (best != null && t.maxPriority < best.priority) break;
            long[] m = t.mask;
            for (int w : t.words) wc[w] |= m[w];
            Flow f = t.lookup(k);
            if (f != null && (best == null || f.priority > best.priority || (f.priority == best.priority && f.seq < best.seq))) best = f;
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
