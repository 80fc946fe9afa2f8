package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Relay and queue-placement metrics carry show-relays' and pmd-rxq-show's numbers, with their labels. */
class RelayMetricsTest {
    @Test
    void relayDirectionsAndQueueUsageAreMetrics() {
        RelayView.Relays rs = new RelayView.Relays(List.of(new RelayView.Relay("vm1", "/tmp/a.sock", "server", "up", 1, "eth1", "afxdp", "up", List.of(
                new RelayView.Direction("vm-to-vf", 10, 640, 9, 1, Map.of("tx_dropped(kernel queue full)", 1L), 5, 320, List.of(0), null, 1.5),
                new RelayView.Direction("vf-to-vm", 7, 448, 7, 0, Map.of(), 0, 0, List.of(1), 1, 0.0)))));
        RelayView.RxqShow rxq = new RelayView.RxqShow(true, 10, 25, 3, List.of(new RelayView.RxqThread(0, 0, 25.0,
                List.of(new RelayView.Rxq("vm1/vm-to-vf", "vm1:vhost", 0, false, 25.0, 2_500_000_000L, 10)))));
        String t = MetricFamilies.text(RelayMetrics.render(rs, rxq));
        assertTrue(t.contains("xvio_relay_rx_packets_total{direction=\"vm-to-vf\",relay=\"vm1\"} 10.0\n"), t);
        assertTrue(t.contains("xvio_relay_rx_bytes_total{direction=\"vf-to-vm\",relay=\"vm1\"} 448.0\n"), t);
        assertTrue(t.contains("xvio_relay_delivered_packets_total{direction=\"vm-to-vf\",relay=\"vm1\"} 9.0\n"), t);
        assertTrue(t.contains("xvio_relay_dropped_packets_total{direction=\"vm-to-vf\",reason=\"tx_dropped(kernel queue full)\",relay=\"vm1\"} 1.0\n"), t);
        assertTrue(t.contains("xvio_rxq_usage_ratio{owner=\"vm1/vm-to-vf\",pmd=\"0\",port=\"vm1:vhost\",queue=\"0\"} 0.25\n"), t);
        assertTrue(t.contains("# TYPE xvio_pmd_auto_lb_moves_total counter\nxvio_pmd_auto_lb_moves_total 3.0\n"), t);
    }
}
