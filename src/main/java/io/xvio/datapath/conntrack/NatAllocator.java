package io.xvio.datapath.conntrack;

/**
 * Picks the translated tuple of a new NAT connection: an address in the range and, for TCP and UDP, a port, so
 * that the reply-direction key is unique in the table (collisions resolved by trying the next candidate, as OVS's
 * nat_get_unique_tuple). The first address and port come from a hash of the original tuple (the default, "hash"),
 * of its addresses only ("persistent"), or at random ("random"). Without a port range the original port is kept
 * if free; SNAT then falls back to the ephemeral ports 1024-65535. Runs under the tracker's creation lock.
 */
final class NatAllocator {
    private static final int MAX_ADDRESSES_TRIED = 4096;

    private NatAllocator() {}

    static boolean allocate(ConnTracker t, int c, NatAction nat, int proto, int thread) {
        ConnPool p = t.pool;
        long[] K = p.rec;
        int f = c * ConnPool.STRIDE, r = f + ConnPool.KEY_WORDS;
        boolean snat = nat.kind == NatAction.Kind.SRC;
        boolean ports = proto == 6 || proto == 17;
        long fm = K[f + 4];
        long seed;
        if (nat.random) {
            seed = t.nextRandom(thread);
        } else {
            long h = K[f] * 31 + K[f + 1];
            h = h * 31 + K[f + 2];
            h = h * 31 + K[f + 3];
            h = h * 31 + (nat.persistent ? fm & ~0xffffffffL : fm);
            seed = mix(h);
        }
        long n = nat.addressCount();
        long first = Long.remainderUnsigned(seed, n);
        long tries = Math.min(n, MAX_ADDRESSES_TRIED);
        int origPort = snat ? ConnPool.sport(fm) : ConnPool.dport(fm);
        long rm = K[r + 4];
        for (long i = 0; i < tries; i++) {
            long o = first + i;
            if (o >= n) o -= n;
            long lo = nat.minLo + o, hi = nat.minHi + (Long.compareUnsigned(lo, nat.minLo) < 0 ? 1 : 0);
            if (snat) {       // the reply goes to the NAT address
                K[r + 2] = hi;
                K[r + 3] = lo;
            } else {          // the reply comes from it
                K[r] = hi;
                K[r + 1] = lo;
            }
            if (!ports) {
                if (free(t, K, r)) return true;
                continue;
            }
            int min, max;
            if (nat.minPort != 0) {
                min = nat.minPort;
                max = nat.maxPort;
            } else {
                if (tryPort(t, K, r, rm, snat, origPort)) return true;
                if (!snat) continue;
                min = 1024;
                max = 65535;
            }
            int count = max - min + 1;
            int start = (int) Long.remainderUnsigned(nat.random ? t.nextRandom(thread) : mix(seed + i), count);
            for (int j = 0; j < count; j++) {
                int port = min + (start + j) % count;
                if (tryPort(t, K, r, rm, snat, port)) return true;
            }
        }
        return false;
    }

    private static boolean tryPort(ConnTracker t, long[] K, int r, long rm, boolean snat, int port) {
        int sp = ConnPool.sport(rm), dp = ConnPool.dport(rm);
        if (snat) dp = port;
        else sp = port;
        K[r + 4] = ConnPool.meta(ConnPool.zone(rm), ConnPool.v6(rm), ConnPool.proto(rm), sp, dp);
        return free(t, K, r);
    }

    private static boolean free(ConnTracker t, long[] K, int r) {
        return t.index.find(K, r, ConnIndex.hash(K, r)) < 0;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
