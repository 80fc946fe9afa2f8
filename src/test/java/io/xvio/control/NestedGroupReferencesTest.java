package io.xvio.control;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.GroupParser;
import io.xvio.datapath.PortVlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Groups named inside clone(...) count as named (OVS flattens actions for these checks): a flow naming a missing one
 * is refused, and deleting a group deletes the flows that name it there.
 */
class NestedGroupReferencesTest {
    private final Bridge br = new Bridge("br0");

    NestedGroupReferencesTest() {
        for (int of = 1; of <= 3; of++) {
            br.ports.add(new MeterCommandsTest.TestPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
    }

    @Test
    void aFlowNamingAMissingGroupInACloneIsRefused() {
        ControlException e = assertThrows(ControlException.class,
                () -> br.setFlows(List.of(FlowParser.parse("in_port=1,actions=clone(group:99)"))));
        assertTrue(e.getMessage().contains("group 99"), e.getMessage());
    }

    @Test
    void deletingAGroupDeletesTheFlowsThatNameItInAClone() {
        br.putGroup(GroupParser.parse("group_id=5,type=all,bucket=actions=output:2"), false);
        br.setFlows(List.of(FlowParser.parse("priority=2,in_port=1,actions=clone(group:5),output:3"),
                FlowParser.parse("priority=1,actions=output:3")));
        int[] removed = br.delGroups(Set.of(5L));
        assertArrayEquals(new int[] {1, 1}, removed, "the group and the flow naming it");
        assertEquals(List.of("priority=1,actions=output:3"), br.flows().stream().map(f -> f.text()).toList());
    }
}
