package io.xvio.control;

import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import static io.xvio.control.MetricFamilies.Type.COUNTER;
import static io.xvio.control.MetricFamilies.Type.GAUGE;

/**
 * Relays and queue placement as Prometheus metrics, appended to {@link PrometheusRender}'s: relay directions are
 * labelled {@code relay} and {@code direction} (vm-to-vf, vf-to-vm), drops also {@code reason}; each polled queue's
 * usage in the last pmd-auto-lb interval is a gauge (0..1) labelled {@code pmd}, {@code owner}, {@code port},
 * {@code queue}.
 */
final class RelayMetrics {
    private RelayMetrics() {}

    static MetricSnapshots render(RelayView.Relays relays, RelayView.RxqShow rxq) {
        MetricFamilies x = new MetricFamilies();
        x.family("xvio_relay_rx_packets_total", COUNTER, "Packets a relay direction received from its source port.");
        for (RelayView.Relay r : relays.relays()) for (RelayView.Direction d : r.directions()) x.sample(d.packets(), "relay", r.name(), "direction", d.name());
        x.family("xvio_relay_rx_bytes_total", COUNTER, "Bytes a relay direction received from its source port.");
        for (RelayView.Relay r : relays.relays()) for (RelayView.Direction d : r.directions()) x.sample(d.bytes(), "relay", r.name(), "direction", d.name());
        x.family("xvio_relay_delivered_packets_total", COUNTER, "Packets a relay direction's destination port sent.");
        for (RelayView.Relay r : relays.relays()) for (RelayView.Direction d : r.directions()) x.sample(d.delivered(), "relay", r.name(), "direction", d.name());
        x.family("xvio_relay_dropped_packets_total", COUNTER, "Packets a relay direction dropped, by reason.");
        for (RelayView.Relay r : relays.relays())
            for (RelayView.Direction d : r.directions())
                for (var e : d.drops().entrySet()) x.sample(e.getValue(), "relay", r.name(), "direction", d.name(), "reason", e.getKey());
        x.family("xvio_rxq_usage_ratio", GAUGE, "Share of its PMD thread's time a receive queue took in the last pmd-auto-lb interval.");
        for (RelayView.RxqThread t : rxq.pmds())
            for (RelayView.Rxq q : t.queues())
                x.sample(q.usagePercent() / 100.0, "pmd", Integer.toString(t.id()), "owner", q.owner(), "port", q.port(), "queue", Integer.toString(q.queue()));
        x.family("xvio_pmd_auto_lb_moves_total", COUNTER, "Receive queues pmd-auto-lb moved to another PMD thread.").sample(rxq.moves());
        return x.snapshots();
    }
}
