package io.xvio.port;

/**
 * Per PMD thread, the ports that keep transmitted frames back so that one system call hands the kernel several
 * bursts (an AF_XDP port where the kernel takes XDP_MAX_TX_SKB_BUDGET: {@link io.xvio.sys.XdpSocket#flushOrHold}).
 * A frame waits at most {@link #maxHoldNanos}: the thread's busy loops call {@link #flushDue}, its idle loops send
 * everything anyway ({@link Port#flushIdle}). Row t is only ever touched by PMD thread t (no sharing, no lock);
 * no allocation after a thread's first hold.
 */
public final class HeldTx {
    /**
     * The longest a held frame waits while its PMD thread stays busy, by default (key tx-flush-interval, OVS's
     * other_config:tx-flush-interval, in us): long enough for five bursts at ~1.5 Mpps, short beside the queueing a
     * busy thread's rings add anyway. (OVS's default is 0: its own output batching has no system call to save.)
     */
    public static final int DEFAULT_HOLD_MICROS = 100;
    /** The largest tx-flush-interval (us), OVS's bound. */
    public static final int MAX_HOLD_MICROS = 1_000_000;
    private static volatile long maxHoldNanos = DEFAULT_HOLD_MICROS * 1000L;
    /** Ports one thread may hold frames for at once; a port beyond that sends at once. */
    static final int MAX_PORTS = 16;

    private static final Port[][] PORTS = new Port[PortCounters.MAX_THREADS][];
    private static final int[] COUNT = new int[PortCounters.MAX_THREADS * 16];   // one cache line per thread

    private HeldTx() {}

    /** tx-flush-interval: the process's setting (one switch per process, as OVS's Open_vSwitch other_config); 0 holds nothing. */
    public static void setMaxHoldMicros(long us) {
        if (us < 0 || us > MAX_HOLD_MICROS) throw new IllegalArgumentException("tx-flush-interval " + us + " us is outside 0.." + MAX_HOLD_MICROS);
        maxHoldNanos = us * 1000;
    }

    /** How long a held frame may wait while its thread is busy (ns). */
    public static long maxHoldNanos() { return maxHoldNanos; }

    /** Notes that port p holds frames for thread t; false (p must send now) if t is no PMD thread, its row is full or nothing may wait. */
    static boolean add(int t, Port p) {
        if (t < 0 || t >= PortCounters.MAX_THREADS || maxHoldNanos == 0) return false;
        Port[] row = PORTS[t];
        if (row == null) row = PORTS[t] = new Port[MAX_PORTS];
        int n = COUNT[t * 16];
        for (int i = 0; i < n; i++) if (row[i] == p) return true;
        if (n == MAX_PORTS) return false;
        row[n] = p;
        COUNT[t * 16] = n + 1;
        return true;
    }

    /** Whether thread t has ports holding frames (one array read: the PMD loop's check). */
    public static boolean any(int t) { return COUNT[t * 16] != 0; }

    /** Thread t's loop, at time now: each held port sends what waited too long; ports that hold nothing any more leave the row. */
    public static void flushDue(int t, long now) {
        Port[] row = PORTS[t];
        int n = COUNT[t * 16];
        for (int i = 0; i < n; ) {
            boolean still;
            try {
                still = row[i].flushHeld(t, now);
            } catch (RuntimeException e) {
                still = false;                   // the port reports its own faults; never keep a failing one here
            }
            if (still) { i++; continue; }
            row[i] = row[--n];
            row[n] = null;
        }
        COUNT[t * 16] = n;
    }
}
