package io.xvio.openflow;

import io.xvio.datapath.Flow;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A modify restarts the flows' hard timeout, as OVS's: the modified rule is a new rule whose 'modified' time is now
 * (ofproto.c ofproto_rule_create, replace_rule_start copies created and the timeouts but not modified; ofproto-dpif.c
 * rule_expire counts hard_timeout from modified), while its age (duration) goes on from its creation.
 */
class ModifyRestartsHardTimeoutTest {
    @Test
    void aModifiedFlowExpiresAHardTimeoutAfterTheModify() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(OpenFlowCodecTest.flowMod13("priority=5,hard_timeout=1,in_port=1,actions=output:2", FlowMod.ADD, OfVersion.OF13)));
        Thread.sleep(700);
        assertEquals(List.of(), c.handle(OpenFlowCodecTest.flowMod13("priority=5,in_port=1,actions=output:3", FlowMod.MODIFY_STRICT, OfVersion.OF13)));
        Thread.sleep(500);
        // what control.Bridge.expire asks of each flow: 1.2 s after the add, 0.5 s after the modify, it stays
        Flow f = sw.flows().getFirst();
        assertFalse(f.expired(System.nanoTime()), "the modify restarted the hard timeout");
        FlowStatsView.Entry e = FlowStatsView.dump(c).getFirst();
        assertEquals(1, e.hardTimeout());
        assertEquals(1, e.durationSec(), "the age goes on from the add");
        Thread.sleep(600);
        assertTrue(sw.flows().getFirst().expired(System.nanoTime()), "1.1 s after the modify it has expired");
    }
}
