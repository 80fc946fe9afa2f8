package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The out_port and out_group filters of deletes and flow stats as OVS applies them (ofproto.c collect_rule,
 * ofproto_rule_has_out_port / _out_group; lib/ofp-actions.c ofpact_outputs_to_port, ofpacts_output_to_group): a flow
 * passes out_port if an output, the controller action (port CONTROLLER) or a special output (NORMAL, FLOOD, ALL,
 * IN_PORT) names it, also inside clone and ct's exec; it passes out_group if a group action names the group there.
 */
class OutPortAndGroupFilterTest {
    static final long ANY = 0xffffffffL;

    static OfConnection withFlows(MemorySwitch sw) {
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(GroupModTest.groupMod("group_id=1,type=all,bucket=output:1", GroupMod.ADD, OfVersion.OF13)));
        assertEquals(List.of(), c.handle(GroupModTest.groupMod("group_id=2,type=all,bucket=output:2", GroupMod.ADD, OfVersion.OF13)));
        for (String f : List.of("priority=1,actions=output:2", "priority=2,actions=clone(output:2)", "priority=3,ip,actions=ct(commit,exec(set_field:1->ct_mark)),output:3",
                "priority=4,actions=CONTROLLER:65535", "priority=5,actions=group:1", "priority=6,actions=clone(group:2)", "priority=7,actions=NORMAL"))
            assertEquals(List.of(), c.handle(OpenFlowCodecTest.flowMod13(f, FlowMod.ADD, OfVersion.OF13)), f);
        return c;
    }

    static List<Integer> priorities(OfConnection c, long outPort, long outGroup) {
        return FlowStatsView.dump(c, outPort, outGroup).stream().map(FlowStatsView.Entry::priority).sorted().toList();
    }

    @Test
    void flowStatsFilterByPortsAndGroupsAsOvs() {
        OfConnection c = withFlows(new MemorySwitch());
        assertEquals(List.of(1, 2), priorities(c, 2, ANY), "output:2, also inside clone");
        assertEquals(List.of(3), priorities(c, 3, ANY));
        assertEquals(List.of(4), priorities(c, 0xfffffffdL, ANY), "the controller action outputs to CONTROLLER");
        assertEquals(List.of(7), priorities(c, 0xfffffffaL, ANY), "NORMAL");
        assertEquals(List.of(5), priorities(c, ANY, 1));
        assertEquals(List.of(6), priorities(c, ANY, 2), "group:2 inside clone");
        assertEquals(List.of(), priorities(c, ANY, 3));
    }

    @Test
    void deletesFilterByGroups() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = withFlows(sw);
        byte[] del = OpenFlowCodecTest.flowMod13("actions=drop", FlowMod.DELETE, OfVersion.OF13);
        del[40] = 0; del[41] = 0; del[42] = 0; del[43] = 2;          // out_group 2
        assertEquals(List.of(), c.handle(del));
        assertEquals(List.of(1, 2, 3, 4, 5, 7), priorities(c, ANY, ANY));
        byte[] delCtl = OpenFlowCodecTest.flowMod13("actions=drop", FlowMod.DELETE, OfVersion.OF13);
        delCtl[36] = (byte) 0xff; delCtl[37] = (byte) 0xff; delCtl[38] = (byte) 0xff; delCtl[39] = (byte) 0xfd;   // out_port CONTROLLER
        assertEquals(List.of(), c.handle(delCtl));
        assertEquals(List.of(1, 2, 3, 5, 7), priorities(c, ANY, ANY));
    }
}
