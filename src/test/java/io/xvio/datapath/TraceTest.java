package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** trace: names the tables, flows and actions a packet meets, where it goes and what the cache would hold; changes nothing. */
class TraceTest {
    private static BridgeDatapath bridge(List<String> groups, String... flows) { return GroupsTest.bridge(true, groups, flows); }

    private static Match flow(String text) { return FlowParser.parseSpec(text, false).match(); }

    @Test
    void aResubmittingPipelineWithAGroup() {
        BridgeDatapath dp = bridge(List.of("group_id=5,type=select,bucket=output:3,bucket=output:4"),
                "priority=100,in_port=1,tcp,actions=set_field:0x7->reg0,resubmit(,1)",
                "table=1,cookie=0xab,priority=10,reg0=0x7,tcp,tp_dst=80,actions=output:2,group:5",
                "table=1,priority=0,actions=drop");
        Match m = flow("in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80");
        Trace t = dp.trace(1, TracePacket.compose(m), m);
        String text = t.text();
        assertTrue(text.contains("0. tcp,in_port=1, priority 100"), text);
        assertTrue(text.contains("1. tcp,reg0=0x7,tp_dst=80, priority 10, cookie 0xab"), text);
        assertTrue(text.contains("set_field:0x7->reg0") && text.contains("resubmit(,1)") && text.contains("group:5"), text);
        assertTrue(text.contains("recirculation 1"), "a dp_hash select group recirculates: " + text);
        assertTrue(text.contains("group 5: bucket"), text);
        assertEquals(2, t.outputs().size(), "port 2 and one bucket's port: " + t.outputs());
        assertTrue(t.outputs().contains("port 2"), t.outputs().toString());
        assertTrue(t.megaflow().contains("in_port=1") && t.megaflow().contains("tp_dst=80"), t.megaflow());
        assertTrue(t.datapathActions().contains("output:2") && t.datapathActions().contains("recirc(0x"), t.datapathActions());
        for (Flow f : dp.flows()) assertEquals(0, f.packetCount(), "a trace counts nothing: " + f);

        // the same as fields: each lookup with its flow and the actions run for it
        List<TraceStep> steps = t.steps();
        TraceStep s0 = steps.get(0), s1 = steps.get(1);
        assertEquals(List.of(0, 0, 100, "0x0", "tcp,in_port=1"), List.of(s0.pass(), s0.table(), s0.priority(), s0.cookie(), s0.match()), s0.toString());
        assertEquals(List.of("set_field:0x7->reg0", "resubmit(,1)"), s0.actions());
        assertEquals(List.of(1, 10, "0xab", "tcp,reg0=0x7,tp_dst=80"), List.of(s1.table(), s1.priority(), s1.cookie(), s1.match()), s1.toString());
        assertEquals(0, s1.depth(), "a resubmit to a later table stays at its depth, as OVS counts it");
        assertEquals("output:2", s1.actions().getFirst());
        assertTrue(s1.actions().contains("group:5"), s1.toString());
        assertTrue(steps.stream().anyMatch(s -> s.notes().stream().anyMatch(n -> n.startsWith("group 5: bucket"))), steps.toString());
        assertTrue(steps.stream().anyMatch(s -> s.pass() == 1 && s.recircId().startsWith("0x") && s.table() == null
                && (s.actions().equals(List.of("output:3")) || s.actions().equals(List.of("output:4")))), "the recirculation resumes in the group: " + steps);
        for (TraceStep s : steps) {
            if (s.table() == null) continue;
            String head = s.table() + ". " + (s.match() == null ? "No match" : (s.match().isEmpty() ? "" : s.match() + ", ") + "priority " + s.priority());
            assertTrue(text.contains(head), head + " in\n" + text);
        }
        assertTrue(t.outputPorts().contains(new Trace.Output(2, 1)), t.outputPorts().toString());
    }

    @Test
    void actionsAfterAResubmitBelongToTheFlowThatResubmitted() {
        BridgeDatapath dp = bridge(List.of(), "priority=10,in_port=1,actions=resubmit(,1),output:3",
                "table=1,priority=5,actions=resubmit(,0),output:2", "table=1,priority=1,actions=drop");
        Match m = flow("in_port=1,reg0=1");
        List<TraceStep> steps = dp.trace(1, TracePacket.compose(m), m).steps();
        assertEquals(List.of("resubmit(,1)", "output:3"), steps.get(0).actions(), steps.toString());
        assertEquals(List.of("resubmit(,0)", "output:2"), steps.get(1).actions(), steps.toString());
        assertEquals(1, steps.get(2).depth(), "a resubmit back to table 0 goes one deeper");
    }

    @Test
    void dropsAndNormalLearnNothing() {
        BridgeDatapath dp = bridge(List.of(), "priority=10,in_port=1,ip,actions=dec_ttl,NORMAL", "priority=5,in_port=2,actions=drop");
        Match m = flow("in_port=1,ip,nw_ttl=1,nw_src=10.0.0.1");
        Trace t = dp.trace(1, TracePacket.compose(m), m);
        assertTrue(t.drops().toString().contains("ttl"), t.text());
        assertEquals(List.of(), t.outputs());
        Match n = flow("in_port=1,ip,nw_ttl=9,dl_src=02:00:00:00:00:33");
        Trace flooded = dp.trace(1, TracePacket.compose(n), n);
        assertEquals(3, flooded.outputs().size(), "NORMAL floods an unknown destination: " + flooded.text());
        assertEquals(List.of(), dp.macs().entries(System.nanoTime()), "the trace learnt nothing");
        assertEquals(0, dp.drops().get(DatapathDrops.Reason.TTL), "nor counted the drop");
        Trace none = dp.trace(2, TracePacket.compose(flow("in_port=2")), flow("in_port=2"));
        assertEquals(List.of(), none.outputs());
        assertEquals(List.of(), none.steps().getFirst().actions(), "actions=drop is no action");
        assertTrue(none.text().contains("0. in_port=2, priority 5"), none.text());
    }

    @Test
    void registersFromTheFlowAndBadInput() {
        BridgeDatapath dp = bridge(List.of(), "priority=10,reg3=0x9,actions=output:4", "priority=0,actions=output:3");
        Match m = flow("in_port=1,reg3=9");
        assertEquals(List.of("port 4"), dp.trace(1, TracePacket.compose(m), m).outputs());
        assertThrows(IllegalArgumentException.class, () -> dp.trace(9, TracePacket.compose(m), m), "no port 9");
        assertThrows(IllegalArgumentException.class, () -> dp.trace(1, new byte[3], m), "a frame too short");
        BridgeDatapath one = bridge(List.of(), "priority=10,in_port=1,actions=output:2");
        TraceStep miss = one.trace(2, TracePacket.compose(flow("in_port=2")), flow("in_port=2")).steps().getFirst();
        assertEquals(new TraceStep(0, null, 0, 0, null, null, null, List.of(), List.of()), miss, "no flow matched: nulls");
    }
}
