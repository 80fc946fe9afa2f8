package io.xvio.datapath;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One array per distinct flow mask, shared by the matches of every flow with that mask: a table of 100,000 flows has
 * a handful of masks, and each match's own 57-word mask was a third of a flow's memory. Bounded (a table of more
 * distinct masks than that keeps the rest unshared), never emptied: a mask costs 472 bytes.
 */
final class MaskPool {
    static final int MAX_MASKS = 4096;

    private record Key(long[] mask) {
        @Override public boolean equals(Object o) { return o instanceof Key k && Arrays.equals(mask, k.mask); }
        @Override public int hashCode() { return Arrays.hashCode(mask); }
    }

    private static final ConcurrentHashMap<Key, long[]> POOL = new ConcurrentHashMap<>();

    private MaskPool() {}

    /** The shared array equal to mask (mask itself if it is the first; never written again), or null if the pool is full. */
    static long[] intern(long[] mask) {
        long[] c = POOL.get(new Key(mask));
        if (c != null) return c;
        if (POOL.size() >= MAX_MASKS) return null;
        long[] own = mask.clone();
        c = POOL.putIfAbsent(new Key(own), own);
        return c != null ? c : own;
    }
}
