package io.xvio.datapath;

/**
 * A first-pass cache entry's shortcut past its recirculation: for an entry that matches on in_port alone and
 * ends in hash(l4),recirc (a dp_hash select group, {@link MegaflowCache.Entry#selectTail}), the second-pass entry
 * found for each dp_hash slot, when that entry depends on nothing but recirc_id, in_port and the slot
 * ({@link MegaflowCache.Entry#dpHashOnly}). A burst then goes through the group as one pass: per packet a hash
 * of the frame and the slot's outputs, no key, no queue, no second lookup. Owned by one PMD thread (its caches'
 * entries are); trusted only while neither cache has dropped an entry since it was filled (their epochs).
 */
final class SelectChain {
    final MegaflowCache.Entry[] slots = new MegaflowCache.Entry[Group.DP_HASH_SLOTS];
    /** Per slot, packets and bytes of the burst under way: each slot's entry counts once per burst. */
    final int[] count = new int[Group.DP_HASH_SLOTS];
    final long[] bytes = new long[Group.DP_HASH_SLOTS];
    private int firstEpoch = -1, recircEpoch = -1;

    /** Forgets every slot unless both caches are as they were when the slots were filled. */
    void validate(int firstCacheEpoch, int recircCacheEpoch) {
        if (firstCacheEpoch == firstEpoch && recircCacheEpoch == recircEpoch) return;
        java.util.Arrays.fill(slots, null);
        firstEpoch = firstCacheEpoch;
        recircEpoch = recircCacheEpoch;
    }
}
