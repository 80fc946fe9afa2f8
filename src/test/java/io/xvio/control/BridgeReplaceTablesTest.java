package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Group;
import io.xvio.datapath.GroupParser;
import io.xvio.datapath.Match;
import io.xvio.datapath.PortVlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bridge.replaceTables, the bundle commit's one publication: flows and groups change together (a flow naming a group
 * the same commit adds forwards by it at once, one naming a group it removes is refused), a refused set changes
 * nothing, and the datapath forwards by exactly the new tables.
 */
class BridgeReplaceTablesTest {
    private final Bridge br = new Bridge("br0");

    BridgeReplaceTablesTest() {
        for (int of = 1; of <= 3; of++) {
            br.ports.add(new MeterCommandsTest.TestPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
        br.putGroup(GroupParser.parse("group_id=1,type=all,bucket=actions=output:2"), false);
        br.setFlows(List.of(FlowParser.parse("priority=10,in_port=1,actions=group:1")));
    }

    private List<String> outputs() {
        byte[] frame = new byte[60];
        frame[0] = 2;
        frame[6] = 4;
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        return br.datapath.trace(1, frame, new Match()).outputs();
    }

    @Test
    void flowsAndGroupsChangeInOnePublication() {
        assertEquals(List.of("port 2"), outputs());
        Group g2 = GroupParser.parse("group_id=2,type=all,bucket=actions=output:3");
        List<Flow> next = List.of(FlowParser.parse("priority=10,in_port=1,actions=group:2"));
        br.replaceTables(next, Map.of(2L, g2));
        assertEquals(List.of("port 3"), outputs(), "the new flow by the new group, the old group gone");
        assertEquals(List.of(2L), List.copyOf(br.datapath.groups().keySet()));
        assertEquals(List.of(2L), br.groups().stream().map(g -> g.id).toList());
        assertEquals(next, br.flows());
        assertEquals(next, br.datapath.flows());

        // the same groups: only the flows change
        List<Flow> third = List.of(FlowParser.parse("priority=10,in_port=1,actions=output:2"));
        Map<Long, Group> same = Map.of(2L, br.datapath.groups().get(2L));
        br.replaceTables(third, same);
        assertEquals(List.of("port 2"), outputs());
        assertSame(same.get(2L), br.datapath.groups().get(2L));
    }

    @Test
    void aRefusedSetChangesNothing() {
        ControlException e = assertThrows(ControlException.class,
                () -> br.replaceTables(List.of(FlowParser.parse("priority=10,in_port=1,actions=group:1")), Map.of()));
        assertTrue(e.getMessage().contains("names group 1"), e.getMessage());
        e = assertThrows(ControlException.class, () -> br.replaceTables(List.of(),
                Map.of(5L, GroupParser.parse("group_id=5,type=all,bucket=actions=group:6"))));
        assertTrue(e.getMessage().contains("names group 6"), e.getMessage());
        e = assertThrows(ControlException.class, () -> br.replaceTables(List.of(FlowParser.parse("actions=meter:3,output:2")), Map.of()));
        assertTrue(e.getMessage().contains("OFPMMFC_INVALID_METER"), e.getMessage());
        assertEquals(List.of("port 2"), outputs());
        assertEquals(List.of(1L), br.groups().stream().map(g -> g.id).toList());
        assertEquals(1, br.flows().size());
    }
}
