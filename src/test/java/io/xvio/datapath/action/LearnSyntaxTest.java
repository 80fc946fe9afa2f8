package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.LearnedFlow;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** learn(...) in ovs-ofctl syntax: parsed, printed as OVS's learn_format, read back; bad input is a clear error. */
class LearnSyntaxTest {
    static final String NEUTRON = "table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,"
            + "NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],"
            + "load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1";

    private static Learn learnOf(String flow) {
        return (Learn) FlowParser.parse(flow).actions.get(0);
    }

    @Test
    void neutronsLearnParsesAndPrintsAsOvs() {
        Learn l = learnOf(NEUTRON);
        assertEquals(20, l.table());
        assertEquals(300, l.hardTimeout());
        assertEquals(1, l.priority());
        assertEquals(0x1234, l.cookie());
        assertEquals(5, l.specs().size());
        LearnSpec vid = l.specs().get(0);
        assertEquals(LearnSpec.Kind.MATCH, vid.kind());
        assertEquals(Field.VLAN_TCI, vid.src());
        assertEquals(12, vid.nBits());
        assertEquals(Field.DL_SRC, l.specs().get(1).src());
        assertEquals(Field.DL_DST, l.specs().get(1).dst());
        assertTrue(l.specs().get(2).immediate());
        assertEquals(LearnSpec.Kind.OUTPUT, l.specs().get(4).kind());
        assertEquals(Field.IN_PORT, l.specs().get(4).src());
        // a 0 immediate prints as "0"; OXM_OF_IN_PORT is OVS's 32-bit in_port_oxm and keeps its name
        assertEquals("learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,NXM_OF_VLAN_TCI[0..11],"
                + "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"
                + "output:OXM_OF_IN_PORT[])", l.format());
        assertEquals(l, learnOf("actions=" + l.format()));
    }

    @Test
    void settingsAndEverySpecKindRoundTrip() {
        for (String a : List.of(
                "learn(table=1)",
                "learn(table=3,idle_timeout=10,priority=0,send_flow_rem,delete_learned,cookie=0xff,limit=5,result_dst=NXM_NX_REG0[3])",
                "learn(table=254,dl_type=0x800,nw_proto=6,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_TCP_DST[]=NXM_OF_TCP_SRC[],load:0x1->NXM_NX_REG10[7])",
                "learn(table=2,NXM_NX_REG1[0..15]=0xabc,OXM_OF_METADATA[],load:NXM_NX_REG2[16..31]->NXM_NX_REG3[0..15],dl_src=00:11:22:33:44:55)")) {
            Learn l = learnOf("tcp,actions=" + a);
            assertEquals(l, learnOf("tcp,actions=" + l.format()), a);
            assertEquals(l.format(), learnOf("tcp,actions=" + l.format()).format(), a);
        }
        assertEquals("learn(table=1)", learnOf("actions=learn()").format());     // OVS's defaults: table 1, priority 32768
    }

    @Test
    void ovnsHairpinLearnParses() {
        // OVN's load-balancer hairpin learning (lflow.c's add_lb_ct_snat_hairpin_flows shape)
        String ovn = "tcp,reg0=0x1,actions=learn(table=69,delete_learned,cookie=0xa1b2c3d4,OXM_OF_METADATA[],eth_type=0x800,"
                + "NXM_OF_IP_SRC[],ip_dst=172.16.0.10,nw_proto=6,NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[],load:0x1->NXM_NX_REG10[7])";
        Learn l = learnOf(ovn);
        assertEquals(7, l.specs().size());
        assertEquals(0xac10000aL, l.specs().get(3).imm());
        assertEquals(l, learnOf("tcp,reg0=0x1,actions=" + l.format()));
        Flow f = LearnedFlow.flow(l, new long[] {0x7, 0x0a000005L, 33000});
        assertEquals(69, f.table);
        assertEquals(0xa1b2c3d4L, f.cookie);
        assertEquals("table=69,priority=32768,cookie=0xa1b2c3d4,metadata=0x7,dl_type=0x800,nw_src=10.0.0.5,nw_dst=172.16.0.10,"
                + "nw_proto=6,tp_src=33000,actions=load:0x1->NXM_NX_REG10[7]", f.text(), "tcp_src of the learned flow = the packet's tcp_dst");
    }

    @Test
    void badInputIsAClearError() {
        assertError("actions=learn(table=255)", "learn table");
        assertError("actions=learn(NXM_OF_ETH_DST[]=NXM_NX_REG0[])", "bit widths");
        assertError("actions=learn(nosuchfield[])", "unknown field");
        assertError("actions=learn(load:NXM_OF_ETH_SRC[0..15]->NXM_OF_ETH_TYPE[])", "cannot be set");
        assertError("actions=learn(load:0x1ff->NXM_NX_REG0[0..7])", "does not fit");
        assertError("actions=learn(load:NXM_NX_REG0[])", "missing \"->\"");
        assertError("actions=learn(result_dst=NXM_NX_REG0[0..1])", "single bit");
        assertError("actions=learn(NXM_OF_IP_SRC[])", "prerequisites");          // source: the learning flow has no ip
        assertError("ip,actions=learn(NXM_OF_IP_SRC[])", "prerequisites");       // destination: no eth_type spec before it
        assertError("actions=learn(fin_idle_timeout=5)", "fin_timeout");
        assertError("ipv6,actions=learn(dl_type=0x86dd,NXM_NX_IPV6_SRC[])", "128-bit");
        assertError("actions=learn(send_flow_rem=1)", "takes no value");
        assertError("actions=learn(table=)", "needs a value");
    }

    private static void assertError(String flow, String says) {
        FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parse(flow), flow);
        assertTrue(e.getMessage().contains(says), flow + ": " + e.getMessage());
    }

    @Test
    void theLearnedFlowIsBuiltFromThePacketsValues() {
        Learn l = learnOf(NEUTRON);
        // sources in spec order: vlan_tci[0..11], eth_src, tun_id, in_port
        long[] v = {5, 0xfa163e000001L, 0x64, 3};
        Flow f = LearnedFlow.flow(l, v);
        assertEquals(20, f.table);
        assertEquals(1, f.priority);
        assertEquals(0x1234, f.cookie);
        assertEquals(300, f.hardTimeout);
        assertEquals(0x0fffL, f.match.mask(Field.VLAN_TCI.word));
        assertEquals(5L, f.match.value(Field.VLAN_TCI.word));
        assertEquals(0xfa163e000001L, Field.DL_DST.get(f.match.value(Field.DL_DST.word)));
        assertEquals("load:0->NXM_OF_VLAN_TCI[],load:0x64->NXM_NX_TUN_ID[],output:3", LearnedFlow.text(l, v).replaceAll(".*actions=", ""));
        assertEquals(3, f.actions.size());
        // an output to a port OVS would not learn (0, or reserved but IN_PORT/FLOOD/ALL) is left out
        assertTrue(LearnedFlow.text(l, new long[] {5, 1, 1, 0}).endsWith("output:NXM_NX_TUN_ID[]") == false);
        assertTrue(LearnedFlow.text(l, new long[] {5, 1, 1, 0xfff8}).endsWith(",in_port"));
    }
}
