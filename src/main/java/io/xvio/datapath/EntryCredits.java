package io.xvio.datapath;

/**
 * Per poll-mode thread: the cache entries packets took in the burst being processed whose leading flows
 * ({@link MegaflowCache.Entry#counted}) are not credited yet. A replay adds its packet to its entry; the thread
 * credits each entry's flows once when the burst ends, so a pipeline of many tables costs a few adds per entry and
 * burst rather than a counter update per flow and packet (OVS credits its rules from megaflow stats too, there
 * from revalidator threads a second later; here a burst's packets show in dump-flows when the burst is done, as
 * before). Single writer: each thread touches only its own list and the entries of its own caches.
 */
final class EntryCredits {
    /** Entries a thread holds before it credits early (a burst with its recirculations rarely takes more). */
    static final int MAX = 64;

    private final MegaflowCache.Entry[][] pending = new MegaflowCache.Entry[BridgeDatapath.MAX_THREADS][];
    private final int[] count = new int[BridgeDatapath.MAX_THREADS];

    /** Thread (0 .. MAX_THREADS - 1) counts packets of bytes in all that took e; e has counted flows. */
    void add(MegaflowCache.Entry e, int packets, long bytes, int thread, long now) {
        if (e.pendingPackets == 0) {
            MegaflowCache.Entry[] p = pending[thread];
            if (p == null) p = pending[thread] = new MegaflowCache.Entry[MAX];     // once per thread
            if (count[thread] == MAX) credit(thread, now);
            p[count[thread]++] = e;
        }
        e.pendingPackets += packets;
        e.pendingBytes += bytes;
    }

    /** Credits what thread's entries counted to their flows (as hits at now) and forgets them. */
    void credit(int thread, long now) {
        int n = count[thread];
        if (n == 0) return;
        MegaflowCache.Entry[] p = pending[thread];
        for (int i = 0; i < n; i++) {
            MegaflowCache.Entry e = p[i];
            p[i] = null;
            Flow[] fs = e.counted;
            int packets = e.pendingPackets;
            long bytes = e.pendingBytes;
            for (Flow f : fs) f.hit(thread, packets, bytes, now);
            e.pendingPackets = 0;
            e.pendingBytes = 0;
        }
        count[thread] = 0;
    }
}
