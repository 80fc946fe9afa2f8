package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Cached translations around ct() behave as the table walk (and OVS) does: write_metadata reaches the pass after a
 * ct(table=T) recirculation on every packet, not only the first; a flow added after ct() or ct_clear that matches
 * the cleared ct_* words takes effect on packets whose translation was cached.
 */
class CtCachedReplayTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    @Test
    void writeMetadataBeforeACtWithTableReachesTheRecirculatedPassOnEveryPacket() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,actions=write_metadata:0x5,goto_table:1",
                    "table=1,ip,actions=ct(zone=1,table=2)",
                    "table=2,metadata=0x5,ct_state=+trk,actions=output:2",
                    "table=2,priority=0,actions=drop");
            for (int k = 0; k < 4; k++) {
                Map<Integer, byte[]> out = CtDatapathTest.send(dp, 0, v4(A, B, 17, udp(5000, 53, 20)));
                assertEquals(Set.of(1), out.keySet(), "cached " + cached + ", packet " + k + ": metadata 0x5 after the recirculation");
            }
        }
    }

    @Test
    void aFlowMatchingTheCtWordsACtClearedTakesEffectOnCachedTranslations() {
        for (String clear : new String[] {"ct(commit,zone=2)", "ct_clear"}) {
            List<Flow> flows = new ArrayList<>();
            for (String f : new String[] {
                    "table=0,ip,actions=ct(zone=1,table=1)",
                    "table=1,ip,ct_state=+trk+new,actions=ct(commit,zone=1),output:2",
                    "table=1,ip,ct_state=+trk+est,actions=" + clear + ",resubmit(,2)",
                    "table=2,priority=0,actions=output:1"}) flows.add(FlowParser.parse(f));
            BridgeDatapath dp = new BridgeDatapath("br0");
            dp.install(new int[] {1, 2}, flows);
            dp.setLive(new boolean[] {true, true});
            assertEquals(Set.of(1), CtDatapathTest.send(dp, 0, v4(A, B, 17, udp(5000, 53, 20))).keySet(), "new: committed, out of port 2");
            for (int k = 0; k < 3; k++)                      // the reply, established: cached
                assertEquals(Set.of(0), CtDatapathTest.send(dp, 1, v4(B, A, 17, udp(53, 5000, 20))).keySet(), clear);
            Flow drop = FlowParser.parse("table=2,priority=10,ct_state=-trk,actions=drop");
            List<Flow> all = new ArrayList<>(flows);
            all.add(drop);
            dp.installChanges(new int[] {1, 2}, new io.xvio.datapath.PortVlan[] {io.xvio.datapath.PortVlan.TRUNK_ALL, io.xvio.datapath.PortVlan.TRUNK_ALL},
                    all, List.of(drop), List.of());
            assertEquals(Set.of(), CtDatapathTest.send(dp, 1, v4(B, A, 17, udp(53, 5000, 20))).keySet(),
                    "after " + clear + " ct_state is 0 (-trk): the new flow drops it, as the table walk and OVS do");
        }
    }
}
