package io.xvio.datapath.conntrack;

/**
 * Per PMD thread, the connection key it tracked last and the reference the index gave for it, so a run of one
 * connection's packets in a burst skips the key hash and the index probe. A remembered reference is only a hint:
 * the tracker checks it under the connection's lock exactly as an index answer (alive, the same key at that
 * reference, not expired), and looks the key up again if it is stale. That check is enough because a key is in the
 * index at most once and a connection is alive only while its keys are published (creation sets alive after
 * inserting them; deletion clears it before removing them). One key, not more: a miss costs a compare and six
 * stores, which bursts of many connections pay on every packet. Allocates nothing; each thread touches only its own
 * slots (a cache line apart).
 */
final class ConnMemo {
    private static final int STRIDE = 8;       // per thread: the key's 5 words, the reference; 64 bytes
    private final long[] slots;

    ConnMemo(int threads) {
        slots = new long[(threads + 1) * STRIDE];
        for (int t = 0; t <= threads; t++) slots[t * STRIDE + 5] = -1;
    }

    /** The reference remembered for key k[0..5) on this thread, or -1. */
    int find(int thread, long[] k) {
        long[] m = slots;
        int b = thread * STRIDE;
        return m[b + 4] == k[4] && m[b + 1] == k[1] && m[b + 3] == k[3] && m[b] == k[0] && m[b + 2] == k[2]
                ? (int) m[b + 5] : -1;
    }

    /** Remembers that key k[0..5) was found at ref on this thread. */
    void put(int thread, long[] k, int ref) {
        long[] m = slots;
        int b = thread * STRIDE;
        m[b] = k[0];
        m[b + 1] = k[1];
        m[b + 2] = k[2];
        m[b + 3] = k[3];
        m[b + 4] = k[4];
        m[b + 5] = ref;
    }

    /** Forgets this thread's key (its reference was stale). */
    void forget(int thread) { slots[thread * STRIDE + 5] = -1; }
}
