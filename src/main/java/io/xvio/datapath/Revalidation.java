package io.xvio.datapath;

/**
 * Which megaflow entries a flow change can make stale. An entry stands for every packet P with P & mask == value
 * and records the table lookups its translation made. Adding or removing flow F in table T can change the
 * translation of P only if a lookup in T, with the key as it was at that point, matches F. Before any action
 * rewrote the key that key is P itself, so the entry is safe unless some P of the entry also matches F: for every
 * word, (value ^ F.value) & mask & F.mask == 0. A word an earlier action rewrote (set_field, load, move,
 * write_metadata, VLAN push/pop, dec_ttl, resubmit to another in_port) may hold anything at the lookup, so the
 * test ignores it: conservative, never unsound. Port changes, bridge options and everything else a
 * translation depends on are handled by emptying the cache instead (see {@link ChangeLog}).
 */
final class Revalidation {
    private Revalidation() {}

    /**
     * Nulls the slots of entries (a cache group's, of one mask; words: the key words the mask uses) that a flow of
     * changed[first..] can affect.
     */
    static void evict(long[] mask, int[] words, MegaflowCache.Entry[] entries, Flow[] changed, int first) {
        for (int s = 0; s < entries.length; s++) {
            MegaflowCache.Entry e = entries[s];
            if (e == null) continue;
            for (int c = first; c < changed.length; c++) {
                if (affects(e, mask, words, changed[c])) {
                    entries[s] = null;
                    break;
                }
            }
        }
    }

    /** Whether adding or removing f can change the translation e recorded for the packets of e (value under mask). */
    static boolean affects(MegaflowCache.Entry e, long[] mask, int[] words, Flow f) {
        for (int x = 0; x < e.countedTable.length; x++)     // the lookups taken out of the ops (Entry#counted)
            if (e.countedTable[x] == f.table && !disjoint(e, mask, words, f.match, e.countedRewritten[x])) return true;
        for (int x = 0; x < e.nops; x++) {
            int op = e.op[x];
            if ((op != MegaflowCache.OP_HIT && op != MegaflowCache.OP_NO_MATCH) || e.a[x] != f.table) continue;
            if (!disjoint(e, mask, words, f.match, e.b[x])) return true;
        }
        return false;
    }

    /** Whether no packet of e can match fmatch at a lookup made with the key words rewritten (bit per word) changed. */
    private static boolean disjoint(MegaflowCache.Entry e, long[] mask, int[] words, Match fmatch, long rewritten) {
        long[] fm = fmatch.mask;
        for (int i = 0; i < words.length; i++) {     // a word the mask leaves out cannot separate them
            int w = words[i];
            if ((rewritten & (1L << w)) == 0 && ((e.value[w] ^ fmatch.value(w)) & mask[w] & fm[w]) != 0) return true;
        }
        return false;
    }

    /**
     * Nulls the slots of entries whose translation ran a group that is no longer the one of its id in groups
     * (modified or deleted: its buckets may choose or do otherwise, and its counters are another object's), or
     * dropped a packet for a group that was missing (one may be there now).
     */
    static void evictStaleGroups(MegaflowCache.Entry[] entries, java.util.Map<Long, Group> groups) {
        for (int s = 0; s < entries.length; s++) {
            MegaflowCache.Entry e = entries[s];
            if (e == null) continue;
            for (int x = 0; x < e.nops; x++) {
                int op = e.op[x];
                if (op == MegaflowCache.OP_GROUP && e.ref[x] instanceof Group g && groups.get(g.id) != g
                        || op == MegaflowCache.OP_DROP && e.a[x] == DatapathDrops.Reason.GROUP_MISSING.ordinal()) {
                    entries[s] = null;
                    break;
                }
            }
        }
    }

    /** Nulls the slots of entries whose translation met a table miss (a drop that is now a packet-in). */
    static void evictMisses(MegaflowCache.Entry[] entries) {
        for (int s = 0; s < entries.length; s++) {
            MegaflowCache.Entry e = entries[s];
            if (e == null) continue;
            for (int x = 0; x < e.nops; x++) {
                if (e.op[x] == MegaflowCache.OP_NO_MATCH) {
                    entries[s] = null;
                    break;
                }
            }
        }
    }
}
