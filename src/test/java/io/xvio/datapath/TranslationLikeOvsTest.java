package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static io.xvio.datapath.conntrack.Fragmenter.cut;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Translation details where xvio followed OVS's translation only in part (a review of the table walk against
 * ofproto-dpif-xlate.c): a clone has its own register stack, and a recirculation takes the stack along; ct_clear in
 * a clone clears the copy's state only; NORMAL learns and floods by the key's in_port; a fragment's lookup, which
 * sees ports 0, revalidates as such; any write to a tun_metadata makes it present. Caches on and off.
 */
class TranslationLikeOvsTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    /** Ports 1, 2, 3 (indexes 0, 1, 2). */
    static BridgeDatapath bridge(boolean cached, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        dp.setLive(new boolean[] {true, true, true});
        return dp;
    }

    @Test
    void aCloneHasACopyOfTheRegisterStack() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,in_port=1,actions=load:0x5->NXM_NX_REG0[],push:NXM_NX_REG0[],clone(load:0x9->NXM_NX_REG1[],push:NXM_NX_REG1[],resubmit(,2)),pop:NXM_NX_REG2[],resubmit(,1)",
                    "table=1,reg1=0,reg2=0x5,actions=output:3",
                    "table=2,reg1=0x9,actions=pop:NXM_NX_REG3[],pop:NXM_NX_REG4[],resubmit(,3)",
                    "table=3,reg3=0x9,reg4=0x5,actions=output:2");
            for (int k = 0; k < 3; k++)
                assertEquals(Set.of(1, 2), GroupsTest.send(dp, 0, GroupsTest.tcp(1, 2, 3, 4)).keySet(),
                        "cached " + cached + ": the clone pops its own 9 and the flow's 5 (OVS 3.1: a copy of the stack); "
                                + "after it the flow's pop gets 5 again and the clone's registers are gone");
        }
    }

    @Test
    void ctClearInACloneClearsTheCopysStateOnly() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,ip,actions=ct(zone=1,table=1)",
                    "table=1,ip,ct_state=+trk,actions=clone(ct_clear,output:2),resubmit(,2)",
                    "table=2,ip,ct_state=+trk,actions=output:3");
            for (int k = 0; k < 3; k++)
                assertEquals(Set.of(1, 2), CtDatapathTest.send(dp, 0, v4(A, B, 17, udp(5000, 53, 20))).keySet(),
                        "cached " + cached + ": after the clone the packet is still tracked");
        }
    }

    @Test
    void normalTakesTheKeysInPort() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, "in_port=1,actions=load:0x2->NXM_OF_IN_PORT[],NORMAL");
            byte[] bcast = GroupsTest.tcp(1, 2, 3, 4);
            for (int x = 0; x < 6; x++) bcast[x] = (byte) 0xff;
            assertEquals(Set.of(0, 2), GroupsTest.send(dp, 0, bcast).keySet(),
                    "cached " + cached + ": flooded as received on port 2 (OVS's xlate_normal reads flow->in_port)");
        }
    }

    @Test
    void aFlowAddedForWhatAFragmentsLookupSeesTakesEffectOnItsCachedTranslation() {
        Flow drop = FlowParser.parse("priority=20,icmp,icmp_type=0,actions=drop");
        BridgeDatapath dp = bridge(true, "priority=10,icmp,icmp_type=8,actions=output:2", "priority=1,actions=output:3");
        byte[] echo = v4(A, B, 1, Arrays.copyOf(icmp(8, 0, 7, 1), 3008));
        List<byte[]> frags = cut(echo, 9, 1480);
        for (byte[] f : frags) assertEquals(Set.of(2), GroupsTest.send(dp, 0, f).keySet(), "a fragment's lookup sees type 0: port 3");
        List<Flow> all = new ArrayList<>(List.of(FlowParser.parse("priority=10,icmp,icmp_type=8,actions=output:2"),
                FlowParser.parse("priority=1,actions=output:3"), drop));
        dp.installChanges(new int[] {1, 2, 3}, new PortVlan[] {PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL}, all, List.of(drop), List.of());
        for (byte[] f : frags)
            assertEquals(Set.of(), GroupsTest.send(dp, 0, f).keySet(), "the new flow (type 0, what the lookup sees) drops it, as OVS");
    }

    @Test
    void aTunMetadataWrittenByPopIsPresent() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,in_port=1,actions=load:0x5->NXM_NX_REG0[],push:NXM_NX_REG0[],pop:NXM_NX_TUN_METADATA0[0..31],resubmit(,1)",
                    "table=1,tun_metadata0=0x5,actions=output:2");
            for (int k = 0; k < 2; k++)
                assertEquals(Set.of(1), GroupsTest.send(dp, 0, GroupsTest.tcp(1, 2, 3, 4)).keySet(),
                        "cached " + cached + ": a match on tun_metadata0 needs it present, as any write makes it in OVS");
        }
    }

    @Test
    void theRegisterStackTravelsWithARecirculation() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,ip,actions=load:0x7->NXM_NX_REG1[],push:NXM_NX_REG1[],load:0->NXM_NX_REG1[],ct(zone=1,table=1)",
                    "table=1,actions=pop:NXM_NX_REG1[],resubmit(,2)",
                    "table=2,reg1=0x7,actions=output:2",
                    "table=2,priority=0,actions=drop");
            for (int k = 0; k < 3; k++)
                assertEquals(Set.of(1), CtDatapathTest.send(dp, 0, v4(A, B, 17, udp(5000 + k, 53, 20))).keySet(),
                        "cached " + cached + ": the pass after ct(table=1) pops the 7 pushed before it (OVS freezes the stack)");
        }
    }
}
