package io.xvio.datapath.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The hash index of connection keys: S shards, each an open-addressing table (linear probing, deletion by
 * backward shift, so no tombstones) of key references ref = conn * 2 + direction, guarded by its own spin lock
 * taken for one probe. Keys live in {@link ConnPool#keys} (5 longs per reference); slots keep the key's hash to
 * skip most key comparisons. All arrays are allocated up front: inserting and removing create no garbage. A
 * shard holds at most 3/4 of its slots; an insert beyond that fails (the tracker then refuses the connection).
 *
 * <p>Lookups take no lock: each shard has a sequence number that writers (insert, remove: under the shard's lock)
 * make odd while they change its slots and even again after, and a lookup probes between two reads of it, trusting
 * its answer (found or absent) only if the number was even and unchanged. So a lookup costs two loads of a shared
 * line instead of a CAS and a store on it; a lookup that keeps meeting writers falls back to the lock. A reference
 * found this way was in the index at one instant; the tracker re-checks it under the connection's lock anyway.
 */
final class ConnIndex {
    static final int SHARDS = 64;
    private final ConnPool pool;
    /** Per shard: slot i holds a reference at 2i (-1: empty) and its key's hash at 2i+1 (one cache line for both). */
    private final int[][] slots;
    private final int[] used;
    private final int mask;
    final SpinLocks locks = new SpinLocks(SHARDS, 16);
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int SEQ_STRIDE = 16;            // one cache line per shard's sequence number
    private final int[] seq = new int[SHARDS * SEQ_STRIDE];

    ConnIndex(ConnPool pool, int capacity) {
        this.pool = pool;
        // two keys per connection, spread over the shards, at most half full on average
        int perShard = Integer.highestOneBit(Math.max(16, (4 * capacity) / SHARDS) - 1) << 1;
        mask = perShard - 1;
        slots = new int[SHARDS][2 * perShard];
        for (int[] r : slots) for (int i = 0; i < r.length; i += 2) r[i] = -1;
        used = new int[SHARDS];
    }

    static long hash(long[] k, int at) {
        long h = 0x9e3779b97f4a7c15L;
        for (int i = 0; i < ConnPool.KEY_WORDS; i++) {
            h ^= k[at + i];
            h *= 0xbf58476d1ce4e5b9L;
            h ^= h >>> 31;
        }
        return h;
    }

    static int shard(long h) { return (int) (h >>> 58) & (SHARDS - 1); }

    /** The reference whose key equals k[at..at+5), or -1; the caller holds no lock. */
    int find(long[] k, int at, long h) {
        int s = shard(h), q = s * SEQ_STRIDE;
        for (int attempt = 0; attempt < 4; attempt++) {
            int v = (int) SEQ.getAcquire(seq, q);
            if ((v & 1) == 0) {
                int ref = probe(s, k, at, (int) h);
                VarHandle.loadLoadFence();                 // the probe's reads before the second read of seq
                if ((int) SEQ.getOpaque(seq, q) == v && ref != -2) return ref;
            }
            Thread.onSpinWait();
        }
        locks.lock(s);
        try {
            return findLocked(s, k, at, (int) h);
        } finally {
            locks.unlock(s);
        }
    }

    /** findLocked without the lock: at most one pass over the shard (-2: gave up, the slots were moving). */
    private int probe(int s, long[] k, int at, int h) {
        int[] r = slots[s];
        int i = h & mask;
        for (int n = 0; n <= mask; n++, i = (i + 1) & mask) {
            int ref = r[2 * i];
            if (ref < 0) return -1;
            if (r[2 * i + 1] == h && pool.keyEquals(ref, k, at)) return ref;
        }
        return -2;
    }

    /** A writer (shard lock held) is about to change shard s's slots: lookups in flight will not trust them. */
    private void writing(int s) {
        int q = s * SEQ_STRIDE;
        SEQ.setOpaque(seq, q, (int) SEQ.getOpaque(seq, q) + 1);
        VarHandle.storeStoreFence();                       // odd before any slot changes
    }

    /** The writer is done: the slots may be trusted again. */
    private void written(int s) {
        int q = s * SEQ_STRIDE;
        SEQ.setRelease(seq, q, (int) SEQ.getOpaque(seq, q) + 1);
    }

    private int findLocked(int s, long[] k, int at, int h) {
        int[] r = slots[s];
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int ref = r[2 * i];
            if (ref < 0) return -1;
            if (r[2 * i + 1] == h && pool.keyEquals(ref, k, at)) return ref;
        }
    }

    /** Adds ref (whose key is already in the pool); false if its shard is full or the key is present. */
    boolean insert(int ref) {
        long h = hash(pool.rec, ConnPool.keyBase(ref));
        int s = shard(h);
        locks.lock(s);
        try {
            if (used[s] >= (mask + 1) / 4 * 3) return false;
            int[] r = slots[s];
            int i = (int) h & mask;
            for (; r[2 * i] >= 0; i = (i + 1) & mask) {
                if (r[2 * i + 1] == (int) h && pool.keyEquals(r[2 * i], pool.rec, ConnPool.keyBase(ref))) return false;
            }
            writing(s);
            r[2 * i + 1] = (int) h;
            r[2 * i] = ref;
            used[s]++;
            written(s);
            return true;
        } finally {
            locks.unlock(s);
        }
    }

    /** Removes ref if present (found by its key in the pool). */
    void remove(int ref) {
        long h = hash(pool.rec, ConnPool.keyBase(ref));
        int s = shard(h);
        locks.lock(s);
        try {
            int[] r = slots[s];
            int i = (int) h & mask;
            while (r[2 * i] != ref) {
                if (r[2 * i] < 0) return;
                i = (i + 1) & mask;
            }
            // backward-shift deletion: move later entries of the cluster into the hole when their home allows
            writing(s);
            int hole = i;
            for (int j = (hole + 1) & mask; r[2 * j] >= 0; j = (j + 1) & mask) {
                int home = r[2 * j + 1] & mask;
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    r[2 * hole] = r[2 * j];
                    r[2 * hole + 1] = r[2 * j + 1];
                    hole = j;
                }
            }
            r[2 * hole] = -1;
            used[s]--;
            written(s);
        } finally {
            locks.unlock(s);
        }
    }
}
