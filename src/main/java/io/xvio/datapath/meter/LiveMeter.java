package io.xvio.datapath.meter;

import io.xvio.util.TokenBucket;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A meter in the datapath: one {@link TokenBucket} per band, shared by every PMD thread (see there why a CAS word),
 * and counters per thread. What dp_netdev_run_meter does, per packet: every band whose bucket holds the packet's
 * volume (kbps: its bits, pktps: one packet) gives it; if some band cannot, the packet is dropped and counted
 * against the band with the highest rate among those that could not (OVS: each packet fires at most one band).
 * Buckets start full; a band's depth is its burst_size (kilobits or packets), or its rate without one (OVS).
 *
 * <p>A flow's cached translation keeps this object, so {@link #reconfigure} (mod-meter) swaps the bands in place
 * with one volatile write and no cache starts over; as in OVS, the new bands start full and their counters at 0.
 * Counters are per thread (rows written by one thread, summed by readers), rows made on a thread's first packet.
 */
public final class LiveMeter {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Rows: PMD threads at index thread + 2; index 1 for any other caller, 0 unused (a trace meters nothing). */
    static final int ROWS = io.xvio.util.PmdThreadLimit.MAX_THREADS + 2;

    /** The bands and counters of one configuration. */
    private static final class State {
        final MeterConfig config;
        final TokenBucket[] buckets;
        final long[] rates;
        final boolean packets;
        /** Per thread: packets in, bytes in, then per band packets and bytes dropped. */
        final long[][] rows = new long[ROWS][];

        State(MeterConfig c, long now) {
            config = c;
            packets = c.countsPackets();
            int n = c.bands().size();
            buckets = new TokenBucket[n];
            rates = new long[n];
            for (int b = 0; b < n; b++) {
                MeterConfig.Band band = c.bands().get(b);
                long unit = packets ? TokenBucket.PER_SECOND_UNIT : TokenBucket.KBPS_BIT * 1000;   // a packet; a kilobit
                buckets[b] = new TokenBucket(band.rate(), MeterConfig.effectiveBurst(band) * unit, now);
                rates[b] = band.rate();
            }
        }
    }

    private volatile State state;
    private final long createdNanos;

    public LiveMeter(MeterConfig config, long now) {
        state = new State(config, now);
        createdNanos = now;
    }

    public long id() { return state.config.id(); }
    public MeterConfig config() { return state.config; }
    /** When the meter was added: meter stats' duration counts from here (OVS's meter->created; a mod-meter keeps it). */
    public long createdNanos() { return createdNanos; }

    /** mod-meter: new bands (full buckets, counters from 0), in force for the next packet. */
    public void reconfigure(MeterConfig c, long now) {
        if (c.id() != id()) throw new IllegalArgumentException("meter " + id() + " cannot become meter " + c.id());
        state = new State(c, now);
    }

    /**
     * Meters a packet of len bytes at now (System.nanoTime) on thread (0..63): true if it passes, false if a band
     * drops it. Counted either way. No allocation but a thread's first row.
     */
    public boolean admit(int len, int thread, long now) {
        State s = state;
        int r = thread + 2;
        if (r < 2 || r >= ROWS) r = 1;                       // not a PMD thread (tests): one shared row
        long[] row = s.rows[r];
        if (row == null) row = s.rows[r] = new long[2 + 2 * s.buckets.length];   // once per thread
        row[0]++;
        row[1] += len;
        long volume = s.packets ? TokenBucket.PER_SECOND_UNIT : (long) len * 8 * TokenBucket.KBPS_BIT;
        TokenBucket[] bk = s.buckets;
        int fired = -1;
        long firedRate = 0;
        for (int b = 0; b < bk.length; b++) {
            if (bk[b].admit(volume, now)) continue;
            if (s.rates[b] > firedRate) { firedRate = s.rates[b]; fired = b; }
        }
        if (fired < 0) return true;
        row[2 + 2 * fired]++;
        row[3 + 2 * fired] += len;
        return false;
    }

    /** Packets and bytes that met this meter since its configuration (racy sum of the rows). */
    public long packetsIn() { return sum(state, 0); }
    public long bytesIn() { return sum(state, 1); }
    /** Packets and bytes band b dropped. */
    public long bandPackets(int b) { return sum(state, 2 + 2 * b); }
    public long bandBytes(int b) { return sum(state, 3 + 2 * b); }
    /** Packets dropped by any band. */
    public long dropped() {
        State s = state;
        long n = 0;
        for (int b = 0; b < s.buckets.length; b++) n += sum(s, 2 + 2 * b);
        return n;
    }

    private static long sum(State s, int col) {
        long n = 0;
        for (long[] r : s.rows) if (r != null && col < r.length) n += (long) LONGS.getOpaque(r, col);
        return n;
    }
}
