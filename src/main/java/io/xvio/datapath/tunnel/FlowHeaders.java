package io.xvio.datapath.tunnel;

import java.util.Map;

/**
 * The ways out of a tunnel port with {@code remote_ip=flow} or {@code key=flow}, by (remote address, VNI): what the
 * flow's {@code set_field:...->tun_dst} / {@code ->tun_id} asked for. PMD threads {@link #lookup} an immutable
 * open-addressing snapshot (no lock, no allocation); a miss is queued for the control thread
 * ({@link #drainMisses}), which resolves it (route, next hop's MAC, header) and {@link #publish}es a new snapshot;
 * the packet that missed is a counted drop, as OVS drops while its neighbour entry is being learnt.
 */
public final class FlowHeaders {
    /** One (remote, VNI) pair. */
    public record Key(long hi, long lo, long vni) {}

    private record Table(long[] hi, long[] lo, long[] vni, Object[] value, int mask) {}

    public static final int MAX_ENTRIES = 1024;
    private volatile Table table = new Table(new long[1], new long[1], new long[1], new Object[1], 0);
    private final NeighborEvents misses = new NeighborEvents(256);

    private static int slot(long hi, long lo, long vni, int mask) {
        long h = (hi * 0x9E3779B97F4A7C15L) ^ (lo * 0xC2B2AE3D27D4EB4FL) ^ (vni * 0x165667B19E3779F9L);
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }

    /** Any thread: the value for (hi, lo, vni), or null (the miss is queued for the control thread). */
    public Object lookup(long hi, long lo, long vni) {
        Table t = table;
        for (int x = slot(hi, lo, vni, t.mask()), n = 0; n <= t.mask(); x = (x + 1) & t.mask(), n++) {
            Object v = t.value()[x];
            if (v == null) break;
            if (t.hi()[x] == hi && t.lo()[x] == lo && t.vni()[x] == vni) return v;
        }
        misses.offer(hi, lo, vni);
        return null;
    }

    /** Control thread: hands each queued miss to sink (as hi, lo, vni). */
    public int drainMisses(NeighborEvents.Sink sink) { return misses.drain(sink); }

    /** Control thread: replaces the table with entries (at most {@link #MAX_ENTRIES}; null values are left out). */
    public void publish(Map<Key, ?> entries) {
        int cap = Integer.highestOneBit(Math.max(2, entries.size() * 2) - 1) << 1;
        long[] hi = new long[cap], lo = new long[cap], vni = new long[cap];
        Object[] val = new Object[cap];
        int mask = cap - 1;
        for (var e : entries.entrySet()) {
            if (e.getValue() == null) continue;
            Key k = e.getKey();
            int x = slot(k.hi(), k.lo(), k.vni(), mask);
            while (val[x] != null) x = (x + 1) & mask;
            hi[x] = k.hi(); lo[x] = k.lo(); vni[x] = k.vni(); val[x] = e.getValue();
        }
        table = new Table(hi, lo, vni, val, mask);
    }
}
