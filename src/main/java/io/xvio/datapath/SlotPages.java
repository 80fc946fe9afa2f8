package io.xvio.datapath;

/**
 * The slots of one classifier subtable (open addressing: a hash, 0 for an empty slot, and the group of flows with
 * that masked value), kept in pages of {@link #PAGE} slots. Immutable once built: an {@link Editor} copies the page
 * tables and only the pages it writes, so a change of one flow in a subtable of 100,000 costs two pages and two page
 * tables (a few KB) instead of the whole slot arrays (~3 MB), and a poll-mode thread still holding the version before
 * reads pages nobody writes again.
 */
final class SlotPages {
    static final int PAGE_BITS = 9, PAGE = 1 << PAGE_BITS, PAGE_MASK = PAGE - 1;

    private final long[][] hashes;
    private final Flow[][][] groups;
    /** Slots - 1 (a power of two). */
    final int mask;

    private SlotPages(long[][] hashes, Flow[][][] groups, int slots) {
        this.hashes = hashes;
        this.groups = groups;
        this.mask = slots - 1;
    }

    int slots() { return mask + 1; }

    long hash(int s) { return hashes[s >>> PAGE_BITS][s & PAGE_MASK]; }

    Flow[] group(int s) { return groups[s >>> PAGE_BITS][s & PAGE_MASK]; }

    /** An editor of slots empty slots (a power of two), every page its own. */
    static Editor empty(int slots) {
        int pageLen = Math.min(slots, PAGE), pages = slots / pageLen;
        long[][] hs = new long[pages][pageLen];
        Flow[][][] gs = new Flow[pages][pageLen][];
        boolean[] own = new boolean[pages];
        java.util.Arrays.fill(own, true);
        return new Editor(hs, gs, own, slots);
    }

    /** An editor starting from these slots; they stay as they are. */
    Editor edit() { return new Editor(hashes.clone(), groups.clone(), new boolean[hashes.length], slots()); }

    /** Writes slots copy-on-write, page by page; {@link #done} hands the result over (the editor is then spent). */
    static final class Editor {
        private final long[][] hashes;
        private final Flow[][][] groups;
        private final boolean[] own;
        final int mask;

        private Editor(long[][] hashes, Flow[][][] groups, boolean[] own, int slots) {
            this.hashes = hashes;
            this.groups = groups;
            this.own = own;
            this.mask = slots - 1;
        }

        long hash(int s) { return hashes[s >>> PAGE_BITS][s & PAGE_MASK]; }

        Flow[] group(int s) { return groups[s >>> PAGE_BITS][s & PAGE_MASK]; }

        void set(int s, long hash, Flow[] group) {
            int p = s >>> PAGE_BITS;
            if (!own[p]) {
                hashes[p] = hashes[p].clone();
                groups[p] = groups[p].clone();
                own[p] = true;
            }
            hashes[p][s & PAGE_MASK] = hash;
            groups[p][s & PAGE_MASK] = group;
        }

        SlotPages done() { return new SlotPages(hashes, groups, mask + 1); }
    }
}
