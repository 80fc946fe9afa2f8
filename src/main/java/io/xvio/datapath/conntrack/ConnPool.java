package io.xvio.datapath.conntrack;

/**
 * Every connection's state in one preallocated long array of 16-word records (128 bytes: two cache lines),
 * indexed by connection number, plus the TCP peers' sequence tracking in parallel arrays; a connection is never an
 * object, so tracking creates no garbage and the GC has a handful of arrays to scan. A packet of an existing
 * connection touches its index slot and its record, not one array per field: with many connections every field
 * in a separate array was a cache (and TLB) miss each.
 *
 * <p>A record: the original key (words 0-4), the reply key (5-9), expiry (10), ct_label high and low (11, 12),
 * mark (low 32 bits of 13) and generation (high 32), flags (14: alive bit 0, nat bits 8-15), the spin lock (15).
 * A key is 5 longs: source hi/lo, destination hi/lo (IPv4 in lo) and a meta word zone(16) | v6(8) | proto(8)
 * | sport(16) | dport(16) (ICMP: sport = id, dport = type &lt;&lt; 8 | code). Each connection has two: the
 * original direction (ref = conn*2) and the reply direction (conn*2+1, with NAT the translated tuple);
 * {@link #keyBase} is where ref's key starts in {@link #rec}.
 *
 * <p>Memory per connection: the record 128 B, TCP peers 2 x 14 B, free-list 4 B, and 4 index slots of 8 B in
 * {@link ConnIndex}: 192 bytes (up to 224 when the capacity is not a power of two: the index rounds its shards up).
 *
 * <p>Fields of a live connection are written under its lock ({@link #lock}); creation fills them before the
 * keys are published in the index, whose shard locks order the writes before any reader's lookup.
 */
final class ConnPool {
    static final int KEY_WORDS = 5, STRIDE = 16;
    private static final int EXPIRY = 10, LABEL_HI = 11, LABEL_LO = 12, MARK_GEN = 13, FLAGS = 14, LOCK = 15;
    private static final java.lang.invoke.VarHandle AA = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    final int capacity;
    /** The records (see above). */
    final long[] rec;
    /** Per peer (conn*2 + 0 original sender, + 1 reply sender): TCP sequence tracking; state also for UDP/ICMP. */
    final int[] seqlo, seqhi, maxWin;
    final byte[] wscale, pstate;
    private final int[] free;
    private int freeTop;

    ConnPool(int capacity) {
        this.capacity = capacity;
        rec = new long[capacity * STRIDE];
        seqlo = new int[capacity * 2];
        seqhi = new int[capacity * 2];
        maxWin = new int[capacity * 2];
        wscale = new byte[capacity * 2];
        pstate = new byte[capacity * 2];
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) free[i] = capacity - 1 - i;
        freeTop = capacity;
    }

    /** Where key ref (conn*2 + direction) starts in {@link #rec}. */
    static int keyBase(int ref) { return (ref >> 1) * STRIDE + (ref & 1) * KEY_WORDS; }

    /** Takes connection c's spin lock (a few dozen instructions are held under it; never parks). */
    void lock(int c) {
        int at = c * STRIDE + LOCK;
        while (!AA.compareAndSet(rec, at, 0L, 1L)) {
            while ((long) AA.getOpaque(rec, at) != 0) Thread.onSpinWait();
        }
    }

    void unlock(int c) { AA.setRelease(rec, c * STRIDE + LOCK, 0L); }

    boolean alive(int c) { return (rec[c * STRIDE + FLAGS] & 1) != 0; }
    void alive(int c, boolean v) { int at = c * STRIDE + FLAGS; rec[at] = (rec[at] & ~1L) | (v ? 1 : 0); }
    /** 0 none, 1 SNAT, 2 DNAT. */
    int nat(int c) { return (int) (rec[c * STRIDE + FLAGS] >>> 8) & 0xff; }
    void nat(int c, int v) { int at = c * STRIDE + FLAGS; rec[at] = (rec[at] & ~0xff00L) | (long) (v & 0xff) << 8; }
    long expiry(int c) { return rec[c * STRIDE + EXPIRY]; }
    void expiry(int c, long v) { rec[c * STRIDE + EXPIRY] = v; }
    long labelHi(int c) { return rec[c * STRIDE + LABEL_HI]; }
    void labelHi(int c, long v) { rec[c * STRIDE + LABEL_HI] = v; }
    long labelLo(int c) { return rec[c * STRIDE + LABEL_LO]; }
    void labelLo(int c, long v) { rec[c * STRIDE + LABEL_LO] = v; }
    int mark(int c) { return (int) rec[c * STRIDE + MARK_GEN]; }
    void mark(int c, int v) { int at = c * STRIDE + MARK_GEN; rec[at] = (rec[at] & 0xffffffff00000000L) | (v & 0xffffffffL); }
    int gen(int c) { return (int) (rec[c * STRIDE + MARK_GEN] >>> 32); }
    void bumpGen(int c) { rec[c * STRIDE + MARK_GEN] += 1L << 32; }

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
        int b = keyBase(ref);
        long[] m = rec;
        return m[b + 4] == k[at + 4] && m[b + 1] == k[at + 1] && m[b + 3] == k[at + 3] && m[b] == k[at]
                && m[b + 2] == k[at + 2];
    }

    /** A free connection number, or -1; called by the single creator only. */
    int allocate() { return freeTop == 0 ? -1 : free[--freeTop]; }

    void release(int c) { free[freeTop++] = c; }

    int inUse() { return capacity - freeTop; }
}
