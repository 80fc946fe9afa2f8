package io.xvio.control;

import io.xvio.datapath.Outputs;
import io.xvio.datapath.PortVlan;
import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/** The flow commands against a bridge whose datapath is driven directly (no daemon, no PMD threads). */
class FlowCommandsTest {
    private final Bridge br = new Bridge("br0");
    private final FlowCommands cmds = new FlowCommands(Map.of("br0", br));

    FlowCommandsTest() {
        for (int of = 1; of <= 3; of++) {
            br.ports.add(new NamedPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
        br.setFlows(List.of(io.xvio.datapath.FlowParser.parse("cookie=0x5,priority=100,in_port=1,actions=output:2"),
                io.xvio.datapath.FlowParser.parse("priority=100,in_port=2,actions=output:1")));
    }

    /** Sends n 64-byte frames in from ofport 1; returns the port indices they went to. */
    private List<Integer> sendFromPort1(int n) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) (k == 12 ? 0x08 : 0));
            b.len[i] = 64;
        }
        b.count = n;
        Outputs out = new Outputs(8);
        br.datapath.process(0, b, out, 0, System.nanoTime());
        return java.util.stream.IntStream.range(0, out.touchedCount()).map(out::touchedPort).boxed().toList();
    }

    private String port1Flow() {
        return cmds.dumpFlows(List.of("dump-flows", "br0", "in_port=1")).strip();
    }

    private static String field(String line, String name) {
        Matcher m = Pattern.compile(name + "=([0-9a-fx.]+)").matcher(line);
        assertTrue(m.find(), name + " in " + line);
        return m.group(1);
    }

    @Test
    void modFlowsKeepsCountersCookieAndDuration() throws Exception {
        assertEquals(List.of(1), sendFromPort1(3));
        String before = port1Flow();
        assertEquals("3", field(before, "n_packets"), before);
        assertEquals("192", field(before, "n_bytes"), before);
        Thread.sleep(20);

        assertEquals("", cmds.modFlows(List.of("mod-flows", "br0", "in_port=1,actions=output:3")));
        String after = port1Flow();
        assertTrue(after.endsWith("actions=output:3"), after);
        assertEquals("3", field(after, "n_packets"), "counts survive the change: " + after);
        assertEquals("0x5", field(after, "cookie"), after);
        assertTrue(Double.parseDouble(field(after, "duration").replace("s", "")) >= 0.02, "the flow's age goes on: " + after);

        assertEquals(List.of(2), sendFromPort1(2), "the new actions are in force");
        String later = port1Flow();
        assertEquals("5", field(later, "n_packets"), later);
        assertEquals("320", field(later, "n_bytes"), later);
        assertEquals("0", field(cmds.dumpFlows(List.of("dump-flows", "br0", "in_port=2")), "n_packets"), "the other flow");
    }

    @Test
    void modFlowsWithResetCountsStartsFromZero() {
        sendFromPort1(4);
        cmds.modFlows(List.of("mod-flows", "br0", "--strict", "priority=100,in_port=1,reset_counts,actions=output:3"));
        assertEquals("0", field(port1Flow(), "n_packets"), port1Flow());
        assertEquals(List.of(2), sendFromPort1(1));
        assertEquals("1", field(port1Flow(), "n_packets"), port1Flow());
        assertEquals("0x5", field(port1Flow(), "cookie"));
    }

    @Test
    void resetCountsIsNotForAddFlow() {
        ControlException e = assertThrows(ControlException.class,
                () -> cmds.addFlows(List.of("add-flow", "br0", "in_port=1,reset_counts,actions=drop")));
        assertTrue(e.getMessage().contains("reset_counts"), e.getMessage());
    }

    /** A port that is only a name and a number: the test drives the datapath itself. */
    private record NamedPort(String name, int ofport) implements Port {
        public String type() { return "test"; }
        public int rxQueues() { return 0; }
        public int receive(int q, PacketBatch b, int thread) { return 0; }
        public void transmit(int thread, PacketBatch b, int[] which, int n) {}
        public PortCounters counters() { return new PortCounters(); }
        public Map<String, Long> extraCounters() { return Map.of(); }
        public String status() { return "up"; }
        public Map<String, String> details() { return Map.of(); }
        public void start() {}
        public void close() {}
    }
}
