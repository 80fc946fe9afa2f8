package io.xvio.control;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.datapath.PortVlan;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The bridge's add over a flow with the same table, priority and match, as an OpenFlow 1.2+ add (resetCounts false)
 * and as the CLI's add-flow (ovs-ofctl's OpenFlow 1.0 add: resetCounts true) apply it: the new flow's cookie and
 * actions, and the old one's counters unless reset, as dump-flows shows them.
 */
class BridgeAddReplacesTest {
    private final Bridge br = new Bridge("br0");
    private final FlowCommands cmds = new FlowCommands(Map.of("br0", br));

    BridgeAddReplacesTest() {
        for (int of = 1; of <= 3; of++) {
            br.ports.add(new NamedPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
        br.setFlows(List.of(FlowParser.parse("cookie=0x5,priority=100,in_port=1,actions=output:2")));
    }

    private void sendFromPort1(int n) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) (k == 12 ? 0x08 : 0));
            b.len[i] = 64;
        }
        b.count = n;
        br.datapath.process(0, b, new Outputs(8), 0, System.nanoTime());
    }

    private String port1Flow() { return cmds.dumpFlows(List.of("dump-flows", "br0", "in_port=1")).strip(); }

    @Test
    void anOpenFlowAddKeepsTheCountersAndTheCliAddResetsThem() {
        sendFromPort1(3);
        br.addFlows(List.of(FlowParser.parse("cookie=0x7,priority=100,in_port=1,actions=output:3")), false, false);
        sendFromPort1(1);
        String f = port1Flow();
        assertTrue(f.contains("cookie=0x7") && f.contains("n_packets=4") && f.contains("output:3"), f);
        br.addFlows(List.of(FlowParser.parse("cookie=0x8,priority=100,in_port=1,actions=output:2")));
        f = port1Flow();
        assertTrue(f.contains("cookie=0x8") && f.contains("n_packets=0"), f);
        assertEquals(1, br.flows().size());
    }

    private record NamedPort(String name, int ofport) implements io.xvio.port.Port {
        public String type() { return "test"; }
        public int rxQueues() { return 0; }
        public int receive(int q, PacketBatch b, int thread) { return 0; }
        public void transmit(int thread, PacketBatch b, int[] which, int n) {}
        public io.xvio.port.PortCounters counters() { return new io.xvio.port.PortCounters(); }
        public Map<String, Long> extraCounters() { return Map.of(); }
        public String status() { return "up"; }
        public Map<String, String> details() { return Map.of(); }
        public void start() {}
        public void close() {}
    }
}
