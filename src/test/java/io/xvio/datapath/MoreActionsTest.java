package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** note, controller, ct_clear, output:FIELD, clone and the register stack: parsed, printed back and run as OVS runs them. */
class MoreActionsTest {
    private static String roundTrip(String actions) {
        return FlowFormat.actions(FlowParser.parse("ip,actions=" + actions).actions);
    }

    private static BridgeDatapath bridge(boolean cached, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2, 3}, fs);
        return dp;
    }

    @Test
    void parsedAndPrintedAsOvsPrintsThem() {
        assertEquals("note:aa.00.00.00.00.00", roundTrip("note:aa"));
        assertEquals("note:01.02.03.04.05.06.07.00.00.00.00.00.00.00", roundTrip("note:01.02.03.04.05.06.07"));
        assertEquals("CONTROLLER:65535", roundTrip("controller"));
        assertEquals("CONTROLLER:128", roundTrip("controller:128"));
        assertEquals("CONTROLLER:65535", roundTrip("output:controller"));
        assertEquals("controller(reason=no_match,max_len=100)", roundTrip("controller(reason=no_match,max_len=100)"));
        assertEquals("ct_clear", roundTrip("ct_clear"));
        assertEquals("output:reg0[0..15]", roundTrip("output:NXM_NX_REG0[0..15]"));
        assertEquals("clone(mod_nw_src:1.2.3.4,output:2),output:3", roundTrip("clone(mod_nw_src:1.2.3.4,output:2),output:3"));
        assertEquals("push:dl_src[0..47],pop:reg0[0..15]", roundTrip("push:NXM_OF_ETH_SRC[],pop:reg0[0..15]"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=note:abc"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=controller(colour=red)"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=output:reg0[0..31]"), "a port is 16 bits");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=clone(set_field:1.2.3.4->nw_src,output:2)"),
                "the clone's actions are checked against the flow's match (no ip here)");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=clone(goto_table:3)"));
        assertEquals("check_pkt_larger(1500)->reg0[0]", roundTrip("check_pkt_larger(1500)->NXM_NX_REG0[0]"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=check_pkt_larger(1500)->reg0[0..1]"), "one bit");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=check_pkt_larger(1500)"), "a destination");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=check_pkt_larger(70000)->reg0[0]"), "16 bits");
    }

    @Test
    void cloneRunsOnACopyAndTheFlowGoesOnWithThePacketAsItWas() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, "actions=clone(mod_dl_src:02:00:00:00:00:99,output:2),output:3");
            for (int pass = 0; pass < 2; pass++) {
                byte[] f = GroupsTest.tcp(1, 2, 3, 4);
                Map<Integer, byte[]> out = GroupsTest.send(dp, f);
                assertEquals(0x99, out.get(1)[11] & 0xff);
                assertArrayEquals(f, out.get(2));
            }
        }
    }

    @Test
    void outputToTheFieldsPortAndThePushPopMacSwap() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "in_port=1,tcp,tp_dst=4,actions=load:3->reg1[0..15],output:reg1[0..15]",
                    "in_port=1,tcp,tp_dst=5,actions=push:NXM_OF_ETH_SRC[],push:NXM_OF_ETH_DST[],pop:NXM_OF_ETH_SRC[],pop:NXM_OF_ETH_DST[],output:2");
            for (int pass = 0; pass < 2; pass++) {
                assertEquals(Set.of(2), GroupsTest.send(dp, GroupsTest.tcp(1, 2, 3, 4)).keySet());
                byte[] f = GroupsTest.tcp(1, 2, 3, 5);
                byte[] o = GroupsTest.send(dp, f).get(1);
                assertArrayEquals(Arrays.copyOfRange(f, 6, 12), Arrays.copyOfRange(o, 0, 6), "source became destination");
                assertArrayEquals(Arrays.copyOfRange(f, 0, 6), Arrays.copyOfRange(o, 6, 12), "destination became source");
            }
        }
    }

    /** Small and large packets of the same flow, interleaved: each takes its branch, cache or not. */
    @Test
    void checkPktLargerDecidesPerPacketAndIsCachedPerLengthClass() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "in_port=1,actions=check_pkt_larger(100)->reg0[0],resubmit(,1)",
                    "table=1,reg0=0x1/0x1,actions=output:2",
                    "table=1,actions=output:3");
            byte[] small = GroupsTest.tcp(1, 2, 3, 4), large = Arrays.copyOf(small, 101), edge = Arrays.copyOf(small, 100);
            for (int pass = 0; pass < 2; pass++) {
                assertEquals(Set.of(2), GroupsTest.send(dp, small).keySet(), "64 bytes: not larger");
                assertEquals(Set.of(1), GroupsTest.send(dp, large).keySet(), "101 bytes: larger than 100");
                assertEquals(Set.of(2), GroupsTest.send(dp, edge).keySet(), "100 bytes: not larger");
            }
            for (byte[] f : List.of(small, small, edge, large, large, large, small))
                assertEquals(f == large ? Set.of(1) : Set.of(2), GroupsTest.send(dp, f).keySet(), f.length + " bytes");
            if (!cached) continue;
            MegaflowStats st = dp.cacheStats(0);
            assertEquals(0, st.uncacheable(), "cached with the length as a guard: " + st);
            assertEquals(1, st.entries(), "one entry per key, of the last length class seen");
            // a change of class is a miss whose translation replaces the entry; the same class again is a hit
            assertEquals(7, st.misses(), st.toString());
            assertEquals(6, st.hits(), st.toString());
        }
    }

    /** The guard is the length at check_pkt_larger: a VLAN pushed before it counts, GSO frames count their segments. */
    @Test
    void checkPktLargerAfterAPushReadsTheLengthThen() {
        BridgeDatapath dp = bridge(true,
                "in_port=1,actions=push_vlan:0x8100,check_pkt_larger(100)->reg0[0],resubmit(,1)",
                "table=1,reg0=0x1/0x1,actions=output:2",
                "table=1,actions=output:3");
        byte[] f96 = Arrays.copyOf(GroupsTest.tcp(1, 2, 3, 4), 96), f97 = Arrays.copyOf(f96, 97);
        for (byte[] f : List.of(f96, f96, f97, f97, f96))
            assertEquals(f == f97 ? Set.of(1) : Set.of(2), GroupsTest.send(dp, f).keySet(), f.length + " bytes and a tag");
        assertEquals(2, dp.cacheStats(0).hits());
    }

    @Test
    void controllerIsCountedAndTheActionsGoOn() {
        BridgeDatapath dp = bridge(true, "actions=controller,note:01,ct_clear,output:2");
        for (int pass = 0; pass < 3; pass++) assertEquals(Set.of(1), GroupsTest.send(dp, GroupsTest.tcp(1, 2, 3, 4)).keySet());
        assertEquals(3, dp.drops().get(DatapathDrops.Reason.CONTROLLER));
    }
}
