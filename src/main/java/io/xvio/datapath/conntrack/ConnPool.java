package io.xvio.datapath.conntrack;

/**
 * Every connection's state in preallocated parallel arrays (structure of arrays), indexed by connection number;
 * a connection is never an object, so tracking creates no garbage and the GC has a handful of arrays to scan.
 *
 * <p>A key is 5 longs: source hi/lo, destination hi/lo (IPv4 in lo) and a meta word zone(16) | v6(8) | proto(8)
 * | sport(16) | dport(16) (ICMP: sport = id, dport = type &lt;&lt; 8 | code). Each connection has two: the
 * original direction (ref = conn*2) and the reply direction (conn*2+1, with NAT the translated tuple).
 *
 * <p>Memory per connection: keys 80 B, expiry/mark/labels 28 B, TCP peers 2 x 14 B, generation, flags and lock
 * 10 B, free-list 4 B, and 4 index slots of 8 B in {@link ConnIndex}: 182 bytes (up to 214 when the capacity is
 * not a power of two: the index rounds its shards up).
 *
 * <p>Fields of a live connection are written under its lock ({@link #locks}); creation fills them before the
 * keys are published in the index, whose shard locks order the writes before any reader's lookup.
 */
final class ConnPool {
    static final int KEY_WORDS = 5;
    final int capacity;
    final long[] keys;
    final long[] expiry, labelHi, labelLo;
    final int[] mark, gen;
    /** 0 none, 1 SNAT, 2 DNAT. */
    final byte[] nat;
    final boolean[] alive;
    /** Per peer (conn*2 + 0 original sender, + 1 reply sender): TCP sequence tracking; state also for UDP/ICMP. */
    final int[] seqlo, seqhi, maxWin;
    final byte[] wscale, pstate;
    final SpinLocks locks;
    private final int[] free;
    private int freeTop;

    ConnPool(int capacity) {
        this.capacity = capacity;
        keys = new long[capacity * 2 * KEY_WORDS];
        expiry = new long[capacity];
        labelHi = new long[capacity];
        labelLo = new long[capacity];
        mark = new int[capacity];
        gen = new int[capacity];
        nat = new byte[capacity];
        alive = new boolean[capacity];
        seqlo = new int[capacity * 2];
        seqhi = new int[capacity * 2];
        maxWin = new int[capacity * 2];
        wscale = new byte[capacity * 2];
        pstate = new byte[capacity * 2];
        locks = new SpinLocks(capacity, 1);
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) free[i] = capacity - 1 - i;
        freeTop = capacity;
    }

    static long meta(int zone, boolean v6, int proto, int sport, int dport) {
        return ((long) (zone & 0xffff) << 48) | (v6 ? 1L << 40 : 0) | ((long) (proto & 0xff) << 32)
                | ((long) (sport & 0xffff) << 16) | (dport & 0xffff);
    }

    static int zone(long meta) { return (int) (meta >>> 48) & 0xffff; }
    static boolean v6(long meta) { return ((meta >>> 40) & 1) != 0; }
    static int proto(long meta) { return (int) (meta >>> 32) & 0xff; }
    static int sport(long meta) { return (int) (meta >>> 16) & 0xffff; }
    static int dport(long meta) { return (int) meta & 0xffff; }

    boolean keyEquals(int ref, long[] k, int at) {
        int b = ref * KEY_WORDS;
        long[] m = keys;
        return m[b + 4] == k[at + 4] && m[b + 1] == k[at + 1] && m[b + 3] == k[at + 3] && m[b] == k[at]
                && m[b + 2] == k[at + 2];
    }

    /** A free connection number, or -1; called by the single creator only. */
    int allocate() { return freeTop == 0 ? -1 : free[--freeTop]; }

    void release(int c) { free[freeTop++] = c; }

    int inUse() { return capacity - freeTop; }
}
