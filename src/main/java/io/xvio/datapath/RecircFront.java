package io.xvio.datapath;

/**
 * One PMD thread's direct-mapped front for its cache of recirculated packets: the megaflow entries that depend on
 * nothing but the recirc_id, the input port and the low bits of dp_hash (a select group's bucket choice,
 * {@link MegaflowCache.Entry#recircFront}) by those three values, so the second pass of a dp_hash select group is
 * one load and one compare instead of a megaflow probe per mask. A slot is trusted only in the cache epoch it was
 * filled in (like the {@link ExactMatchCache}). Allocates nothing.
 */
final class RecircFront {
    static final int SLOTS = 1024;
    private final long[] tags = new long[SLOTS];
    private final int[] epochs = new int[SLOTS];
    private final MegaflowCache.Entry[] entries = new MegaflowCache.Entry[SLOTS];

    /** The front key of recirc_id id on OpenFlow port inPort with dp_hash h (its low {@link Group#DP_HASH_SLOTS} bits). */
    static long key(long id, long inPort, long h) {
        return (id & 0xffffffffL) << 24 | (inPort & 0xffff) << 8 | (h & (Group.DP_HASH_SLOTS - 1));
    }

    private static int slot(long key) {
        long x = key * 0x9E3779B97F4A7C15L;
        return (int) (x >>> 54) & (SLOTS - 1);
    }

    /** Keys are below 2^56; the top bit marks a filled slot. */
    private static long tag(long key) { return key | Long.MIN_VALUE; }

    MegaflowCache.Entry find(long key, int epoch) {
        int s = slot(key);
        return tags[s] == tag(key) && epochs[s] == epoch ? entries[s] : null;
    }

    void insert(long key, int epoch, MegaflowCache.Entry e) {
        int s = slot(key);
        tags[s] = tag(key);
        epochs[s] = epoch;
        entries[s] = e;
    }
}
