package io.xvio.control;

import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.CtStats;

import static io.xvio.control.MetricFamilies.Type.COUNTER;
import static io.xvio.control.MetricFamilies.Type.GAUGE;

/**
 * The connection tracker as Prometheus metrics: connections (in all, and per zone and protocol), limit and capacity,
 * connections created and expired, and packets found invalid by reason (limit and zone-limit are the connections
 * refused at a limit). Before the first ct() flow there is no tracker: everything is 0.
 */
final class ConntrackMetrics {
    private ConntrackMetrics() {}

    static MetricSnapshots render(Conntrack conntrack) {
        ConnTracker t = conntrack.get();
        CtStats s = t == null ? null : t.stats(System.nanoTime());
        MetricFamilies x = new MetricFamilies();
        x.family("xvio_conntrack_connections", GAUGE, "Connections in the connection tracker (expired ones not yet reclaimed included).")
                .sample(s == null ? 0 : s.connections());
        x.family("xvio_conntrack_limit", GAUGE, "Most connections the tracker admits at once.").sample(s == null ? 0 : s.limit());
        x.family("xvio_conntrack_capacity", GAUGE, "Connections preallocated (0 until the first ct() flow).").sample(s == null ? 0 : s.capacity());
        x.family("xvio_conntrack_zone_connections", GAUGE, "Connections by zone and protocol.");
        if (s != null) s.perZone().forEach((z, m) -> m.forEach((p, n) -> x.sample(n, "zone", Integer.toString(z), "proto", p)));
        x.family("xvio_conntrack_created_total", COUNTER, "Connections committed.").sample(s == null ? 0 : s.counters().getOrDefault("created", 0L));
        x.family("xvio_conntrack_expired_total", COUNTER, "Connections reclaimed after their timeout.").sample(s == null ? 0 : s.counters().getOrDefault("expired", 0L));
        x.family("xvio_conntrack_invalid_packets_total", COUNTER, "Packets the tracker found invalid (+inv), by reason; limit and zone-limit are refused connections.");
        if (s != null) s.counters().forEach((k, v) -> { if (!k.equals("created") && !k.equals("expired")) x.sample(v, "reason", k); });
        return x.snapshots();
    }
}
