package io.xvio.datapath;

import io.xvio.datapath.action.Move;
import io.xvio.datapath.action.StackPush;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Flows as ovn-controller 23.03 installs them (seen in OvnIT), through xvio's flow syntax: they parse, and what
 * dump-flows prints parses back to the same flow.
 */
class OvnFlowsTest {
    static final List<String> FLOWS = List.of(
            // the ARP responder of a logical switch
            "table=26,priority=50,arp,metadata=0x1,arp_tpa=10.95.1.12,arp_op=1 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                    + "set_field:02:00:00:00:95:02->eth_src,set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                    + "set_field:02:00:00:00:95:02->arp_sha,move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:10.95.1.12->arp_spa,"
                    + "move:NXM_NX_REG14[]->NXM_NX_REG15[],load:0x1->NXM_NX_REG10[0],resubmit(,37)",
            // the loopback output: in_port saved, zeroed and restored
            "table=64,priority=100,reg10=0x1/0x1,reg15=0x1,metadata=0x1 actions=push:NXM_OF_IN_PORT[],load:0->NXM_OF_IN_PORT[],resubmit(,65),pop:NXM_OF_IN_PORT[]",
            // port security results in one bit of xxreg0
            "table=8,priority=50,metadata=0x1 actions=load:0->NXM_NX_REG10[12],resubmit(,73),move:NXM_NX_REG10[12]->NXM_NX_XXREG0[111],resubmit(,9)",
            // a stateful ACL's label from a register
            "table=54,priority=100,ip,metadata=0x1 actions=ct(commit,zone=NXM_NX_REG13[0..15],exec(set_field:0/0x1->ct_mark,move:NXM_NX_XXREG0[0..31]->NXM_NX_CT_LABEL[96..127]))",
            // router: neighbour discovery, ICMP echo reply, IPv6 next hop
            "table=11,priority=90,icmp6,metadata=0x3,nw_ttl=255,icmp_type=135,icmp_code=0,nd_target=fe80::ff:fe00:95a1 actions=resubmit(,12)",
            "table=11,priority=90,icmp,metadata=0x3,nw_dst=10.95.1.1,icmp_type=8,icmp_code=0 actions=push:NXM_OF_IP_DST[],pop:NXM_OF_IP_SRC[],set_field:255->nw_ttl,set_field:0->icmp_type,resubmit(,12)",
            "table=21,priority=194,ipv6,metadata=0x3,ipv6_dst=fe80::/64 actions=dec_ttl,move:NXM_NX_IPV6_DST[]->NXM_NX_XXREG0[],push:NXM_NX_XXREG0[],pop:NXM_NX_XXREG1[],resubmit(,22)",
            "table=10,priority=90,rarp,metadata=0x1,arp_op=3 actions=resubmit(,11)");

    @Test
    void ovnFlowsParseAndPrintBack() {
        for (String text : FLOWS) {
            Flow f = FlowParser.parse(text);
            String printed = FlowFormat.match(f.match) + " actions=" + FlowFormat.actions(f.actions);
            Flow back = FlowParser.parse("table=" + f.table + ",priority=" + f.priority + "," + printed);
            assertEquals(f.match, back.match, printed);
            assertEquals(f.actions, back.actions, printed);
        }
    }

    @Test
    void xxregBitsAreTheXregsAndWhole128BitFieldsStayWhole() {
        Flow f = FlowParser.parse(FLOWS.get(2));
        assertEquals(new Move(Field.REG10, 12, Field.XREG0, 47, 1), f.actions.get(2), "xxreg0[111] is xreg0[47]");
        Flow r = FlowParser.parse(FLOWS.get(6));
        assertEquals(new Move(Field.IPV6_DST, 0, Field.XXREG0, 0, 128), r.actions.get(1));
        assertEquals(new StackPush(Field.XXREG0, 0, 128), r.actions.get(2));
        assertTrue(FlowFormat.match(FlowParser.parse(FLOWS.get(4)).match).contains("nd_target=fe80::ff:fe00:95a1"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("ipv6,actions=move:NXM_NX_IPV6_DST[32..95]->NXM_NX_XXREG0[32..95]"),
                "a range across the halves is refused");
    }
}
