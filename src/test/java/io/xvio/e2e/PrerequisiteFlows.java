package io.xvio.e2e;

import java.util.List;

/**
 * Flows whose actions write fields with and without the match that makes them meaningful (ovs-fields(7)
 * prerequisites, and VLAN fields that need a VLAN header). {@link OvsDifferentialIT} checks that xvio refuses
 * exactly the ones Open vSwitch refuses under both OpenFlow 1.0 and 1.5 (and accepts the ones OVS accepts under
 * both); where OVS's verdict depends on the version there is nothing to compare.
 */
final class PrerequisiteFlows {
    private PrerequisiteFlows() {}

    static final List<String> ALL = List.of(
            "actions=set_field:4096->vlan_vid,output:1",
            "actions=set_field:4106->vlan_vid,output:1",
            "dl_vlan=10,actions=set_field:4106->vlan_vid,output:1",
            "vlan_tci=0x1000/0x1000,actions=set_field:5->vlan_pcp,output:1",
            "actions=set_field:3->vlan_pcp,output:1",
            "actions=mod_vlan_vid:10,output:1",
            "actions=mod_vlan_pcp:3,output:1",
            "actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:1",
            "actions=pop_vlan,output:1",
            "actions=set_field:10.0.0.1->ip_src,output:1",
            "ip,actions=set_field:10.0.0.1->ip_src,output:1",
            "arp,actions=set_field:10.0.0.1->ip_src,output:1",
            "actions=mod_nw_src:10.0.0.1,output:1",
            "tcp,actions=mod_tp_dst:80,output:1",
            "actions=set_field:80->tcp_dst,output:1",
            "udp,actions=set_field:80->tcp_dst,output:1",
            "tcp,actions=set_field:80->tcp_dst,output:1",
            "actions=load:1->NXM_OF_IP_SRC[],output:1",
            "actions=load:1->NXM_OF_TCP_DST[],output:1",
            "ip,actions=load:1->NXM_OF_TCP_DST[],output:1",
            "actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG0[],output:1",
            "actions=move:NXM_NX_REG0[]->NXM_OF_IP_DST[],output:1",
            "ip,actions=move:NXM_NX_REG0[]->NXM_OF_IP_DST[],output:1",
            "actions=move:NXM_NX_REG0[0..15]->NXM_OF_TCP_DST[],output:1",
            "actions=load:0x5->NXM_OF_VLAN_TCI[],output:1",
            "actions=move:NXM_OF_VLAN_TCI[]->NXM_NX_REG0[0..15],output:1",
            "actions=set_field:2001:db8::1->ipv6_src,output:1",
            "ip,actions=set_field:2001:db8::1->ipv6_src,output:1",
            "ipv6,actions=set_field:2001:db8::1->ipv6_src,output:1",
            "arp,actions=set_field:1.2.3.4->arp_spa,output:1",
            "ip,actions=set_field:1.2.3.4->arp_spa,output:1",
            "actions=set_field:5->nw_ttl,output:1",
            "ipv6,actions=mod_nw_ttl:5,output:1",
            "actions=set_field:02:00:00:00:00:01->eth_src,output:1",
            // neighbour discovery: nd_target needs a solicitation or advertisement, nd_sll a solicitation, nd_tll an advertisement
            "icmp6,actions=set_field:::1->nd_target,output:1",
            "icmp6,icmp_type=135,actions=set_field:::1->nd_target,output:1",
            "icmp6,icmp_type=136,icmp_code=0,actions=set_field:::1->nd_target,output:1",
            "icmp6,icmp_type=135,icmp_code=1,actions=set_field:::1->nd_target,output:1",
            "icmp6,icmp_type=128,actions=set_field:::1->nd_target,output:1",
            "icmp6,icmp_type=135,actions=set_field:02:00:00:00:00:01->nd_sll,output:1",
            "icmp6,icmp_type=136,actions=set_field:02:00:00:00:00:01->nd_sll,output:1",
            "icmp6,icmp_type=136,actions=set_field:02:00:00:00:00:01->nd_tll,output:1",
            "icmp6,icmp_type=135,actions=load:1->NXM_NX_ND_TLL[0..7],output:1",
            "icmp6,icmp_type=136,actions=move:NXM_NX_ND_TLL[]->NXM_OF_ETH_SRC[],output:1",
            "icmp6,actions=move:NXM_NX_ND_SLL[]->NXM_OF_ETH_SRC[],output:1",
            "icmp6,icmp_type=135,actions=move:NXM_NX_IPV6_SRC[]->NXM_NX_ND_TARGET[],output:1");
}
