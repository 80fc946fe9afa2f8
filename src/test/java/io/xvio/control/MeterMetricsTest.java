package io.xvio.control;

import io.xvio.datapath.PortVlan;
import io.xvio.datapath.meter.LiveMeter;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Meters in /metrics carry meter-stats' numbers: packets and bytes in, per band the packets and bytes it dropped,
 * the flows naming the meter; a bridge without meters adds no samples.
 */
class MeterMetricsTest {
    @Test
    void aMetersCountersAndFlowsAreMetrics() {
        Bridge br = new Bridge("br0");
        for (int of = 1; of <= 2; of++) {
            br.ports.add(new MeterCommandsTest.TestPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
        br.setFlows(List.of());
        Map<String, Bridge> bridges = new LinkedHashMap<>(Map.of("br0", br));
        bridges.put("br1", new Bridge("br1"));
        FlowCommands flows = new FlowCommands(bridges);
        MeterCommands meters = new MeterCommands(flows);
        meters.put(List.of("add-meter", "br0", "meter=7,pktps,burst,stats,bands=type=drop,rate=1,burst_size=2"), false);
        meters.put(List.of("add-meter", "br0", "meter=8,kbps,bands=type=drop,rate=1000"), false);
        flows.addFlows(List.of("add-flow", "br0", "in_port=1,actions=meter:7,output:2"));
        flows.addFlows(List.of("add-flow", "br0", "in_port=2,actions=meter:7,clone(meter:7,output:1),output:1"));

        LiveMeter m = br.datapath.meters().get(7);
        long now = System.nanoTime();
        int passed = 0;
        for (int i = 0; i < 5; i++) if (m.admit(100, 0, now)) passed++;
        assertEquals(2, passed, "a burst of 2 packets, then the band drops");

        String t = MetricFamilies.text(MeterMetrics.render(new DaemonStatus(bridges, null, "ctl", System.nanoTime(), new Object()).meters()));
        assertTrue(t.contains("# TYPE xvio_meter_packets_total counter\nxvio_meter_packets_total{bridge=\"br0\",meter=\"7\"} 5.0\n"), t);
        assertTrue(t.contains("xvio_meter_bytes_total{bridge=\"br0\",meter=\"7\"} 500.0\n"), t);
        assertTrue(t.contains("xvio_meter_band_dropped_packets_total{band=\"0\",bridge=\"br0\",meter=\"7\"} 3.0\n"), t);
        assertTrue(t.contains("xvio_meter_band_dropped_bytes_total{band=\"0\",bridge=\"br0\",meter=\"7\"} 300.0\n"), t);
        assertTrue(t.contains("xvio_meter_flows{bridge=\"br0\",meter=\"7\"} 2.0\n"), "two flows name meter 7 (one of them twice)\n" + t);
        assertTrue(t.contains("xvio_meter_flows{bridge=\"br0\",meter=\"8\"} 0.0\n") && t.contains("xvio_meter_packets_total{bridge=\"br0\",meter=\"8\"} 0.0\n"), t);
        assertFalse(t.contains("br1"), t);
        // the same numbers as meter-stats
        String stats = meters.stats(List.of("meter-stats", "br0", "meter=7"));
        assertTrue(stats.contains("flow_count:2 packet_in_count:5 byte_in_count:500") && stats.contains("0: packet_count:3 byte_count:300"), stats);
    }
}
