package io.xvio.datapath.conntrack;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The control-plane views of a tracker (dump, flush, stats, limits); they allocate, PMD threads never call them. */
final class CtAdmin {
    private CtAdmin() {}

    /** Snapshot of connection c (alive, or null), taken under its lock. */
    static CtEntry entry(ConnTracker t, int c, long now) {
        ConnPool p = t.pool;
        p.lock(c);
        try {
            if (!p.alive(c) || p.expiry(c) - now < 0) return null;
            int f = c * ConnPool.STRIDE;
            long m = p.rec[f + 4];
            int proto = ConnPool.proto(m);
            String tcp = proto == 6 ? TcpTracker.displayState(p, c) : null;
            return new CtEntry(proto, tuple(p.rec, f), tuple(p.rec, f + ConnPool.KEY_WORDS), ConnPool.zone(m),
                    p.mark(c), p.labelHi(c), p.labelLo(c), tcp, TimeUnit.NANOSECONDS.toSeconds(p.expiry(c) - now));
        } finally {
            p.unlock(c);
        }
    }

    private static CtEntry.Tuple tuple(long[] k, int at) {
        long m = k[at + 4];
        boolean v6 = ConnPool.v6(m);
        int proto = ConnPool.proto(m);
        boolean icmp = proto == (v6 ? 58 : 1);
        int sp = ConnPool.sport(m), dp = ConnPool.dport(m);
        return new CtEntry.Tuple(v6, k[at], k[at + 1], k[at + 2], k[at + 3], sp, icmp ? 0 : dp,
                icmp ? dp >>> 8 : 0, icmp ? dp & 0xff : 0);
    }

    static List<CtEntry> dump(ConnTracker t, int zone, long now) {
        List<CtEntry> out = new ArrayList<>();
        for (int c = 0; c < t.pool.capacity; c++) {
            if (!t.pool.alive(c)) continue;
            CtEntry e = entry(t, c, now);
            if (e != null && (zone < 0 || e.zone() == zone)) out.add(e);
        }
        return out;
    }

    static int flush(ConnTracker t, int zone, Predicate<CtEntry> which, long now) {
        int n = 0;
        SpinLocks lock = t.createLock();
        for (int c = 0; c < t.pool.capacity; c++) {
            if (!t.pool.alive(c)) continue;
            lock.lock(0);
            try {
                ConnPool p = t.pool;
                if (!p.alive(c)) continue;
                int z = ConnPool.zone(p.rec[c * ConnPool.STRIDE + 4]);
                if (zone >= 0 && z != zone) continue;
                if (which != null) {
                    CtEntry e = entry(t, c, Long.MIN_VALUE / 2);   // expired ones are flushed as well
                    if (e == null || !which.test(e)) continue;
                }
                t.deleteLocked(c);
                n++;
            } finally {
                lock.unlock(0);
            }
        }
        return n;
    }

    static CtStats stats(ConnTracker t, long now) {
        Map<Integer, Map<String, Integer>> zones = new TreeMap<>();
        for (CtEntry e : dump(t, -1, now)) {
            String proto = e.format(false).substring(0, e.format(false).indexOf(','));
            zones.computeIfAbsent(e.zone(), z -> new TreeMap<>()).merge(proto, 1, Integer::sum);
        }
        Map<String, Long> counters = new LinkedHashMap<>();
        for (int i = 0; i < ConnTracker.COUNTERS; i++) counters.put(ConnTracker.COUNTER_NAMES[i], t.counter(i));
        FragmentStore fs = t.fragments();
        for (int i = 0; i < FragmentStore.COUNTERS; i++) counters.put(FragmentStore.COUNTER_NAMES[i], fs.counter(i));
        counters.put("frag-held", (long) fs.held());
        return new CtStats(t.size(), t.limit(), t.capacity(), zones, counters);
    }

    static List<CtZoneLimit> limits(ConnTracker t) {
        List<CtZoneLimit> out = new ArrayList<>();
        int d = t.defaultZoneLimit();
        out.add(new CtZoneLimit(-1, Math.max(d, 0), 0));
        for (int z = 0; z < 65536; z++) {
            int raw = t.zoneLimitRaw(z);
            if (raw != -2) out.add(new CtZoneLimit(z, Math.max(raw, 0), t.zoneCount(z)));
        }
        return out;
    }
}
