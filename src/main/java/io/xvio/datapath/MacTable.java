package io.xvio.datapath;

import java.util.ArrayList;
import java.util.List;

/**
 * The L2 learning table of a bridge: (VLAN, MAC) to port, with aging. Open addressing over plain arrays:
 * learning and lookup allocate nothing. Written by poll-mode threads; readers (fdb/show) see a racy but
 * harmless snapshot.
 */
public final class MacTable {
    public static final long DEFAULT_AGING_NS = 300_000_000_000L;
    private static final int PROBE = 16;
    private static final long USED = 1L << 62;

    private final long[] keys;      // USED | vlan << 48 | mac, 0 = empty
    private final int[] ports;
    private final long[] seen;
    private final int mask;
    private final long agingNs;

    public MacTable(int capacity, long agingNs) {
        int cap = Integer.highestOneBit(Math.max(16, capacity - 1) * 2);
        keys = new long[cap];
        ports = new int[cap];
        seen = new long[cap];
        mask = cap - 1;
        this.agingNs = agingNs;
    }

    private static long key(long mac, int vlan) { return USED | ((long) vlan << 48) | mac; }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Records that mac on vlan was seen on port. */
    public void learn(long mac, int vlan, int port, long now) {
        long k = key(mac, vlan);
        int s = slot(k), victim = s;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < PROBE; i++) {
            int j = (s + i) & mask;
            long kj = keys[j];
            if (kj == k) {
                if (ports[j] != port) ports[j] = port;
                if (now - seen[j] > 1_000_000_000L) seen[j] = now;   // refresh at most once a second
                return;
            }
            if (kj == 0 || now - seen[j] > agingNs) { victim = j; oldest = Long.MIN_VALUE; break; }
            if (seen[j] < oldest) { oldest = seen[j]; victim = j; }
        }
        ports[victim] = port;
        seen[victim] = now;
        keys[victim] = k;
    }

    /** The port mac was learned on in vlan, or -1 if unknown or aged out. */
    public int lookup(long mac, int vlan, long now) {
        long k = key(mac, vlan);
        int s = slot(k);
        for (int i = 0; i < PROBE; i++) {
            int j = (s + i) & mask;
            long kj = keys[j];
            if (kj == k) return now - seen[j] > agingNs ? -1 : ports[j];
            if (kj == 0) return -1;
        }
        return -1;
    }

    /** Forgets everything learned on port (it was deleted or went down). */
    public void flushPort(int port) {
        for (int j = 0; j < keys.length; j++) if (keys[j] != 0 && ports[j] == port) seen[j] = Long.MIN_VALUE / 2;
    }

    /** Forgets everything (ports were renumbered). */
    public void flushAll() {
        java.util.Arrays.fill(keys, 0L);
    }

    public record Entry(int port, int vlan, long mac, long ageSeconds) {}

    public List<Entry> entries(long now) {
        List<Entry> out = new ArrayList<>();
        for (int j = 0; j < keys.length; j++) {
            long k = keys[j];
            if (k == 0 || now - seen[j] > agingNs) continue;
            out.add(new Entry(ports[j], (int) ((k >>> 48) & 0xfff), k & 0xffff_ffff_ffffL, (now - seen[j]) / 1_000_000_000L));
        }
        return out;
    }
}
