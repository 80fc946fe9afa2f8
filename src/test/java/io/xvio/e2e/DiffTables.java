package io.xvio.e2e;

import java.util.List;

/**
 * The flow tables the differential test installs in Open vSwitch and in xvio, in ovs-ofctl syntax: each a small
 * scenario for some of the matches and actions xvio supports. Ports (as {@link OvsDifferentialIT} sets them up):
 * 1, 2 and 3 carry every VLAN, 4 is an access port of VLAN 10, 5 a trunk of VLANs 10 and 20 (which only
 * NORMAL cares about). Priorities stay below the test's own sentinel flows (65535).
 */
final class DiffTables {
    /** groups: installed (ovs-ofctl add-groups) before the flows. */
    record Table(String name, List<String> flows, List<String> groups) {
        Table(String name, List<String> flows) { this(name, flows, List.of()); }
    }

    private DiffTables() {}

    static final List<Table> ALL = List.of(
            new Table("in_port", List.of(
                    "priority=100,in_port=1,actions=output:2",
                    "priority=100,in_port=2,actions=output:3,output:1",
                    "priority=100,in_port=3,actions=in_port",
                    "priority=100,in_port=4,actions=output:5,output:4",
                    "priority=100,in_port=5,actions=output:1,output:2,output:3,output:4")),
            new Table("normal", List.of(
                    "priority=0,actions=NORMAL")),
            new Table("flood-all", List.of(
                    "priority=100,in_port=1,actions=flood",
                    "priority=100,in_port=2,actions=all",
                    "priority=100,in_port=3,actions=normal",
                    "priority=100,in_port=4,actions=flood",
                    "priority=100,in_port=5,actions=drop")),
            new Table("l2-match", List.of(
                    "priority=1000,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806,actions=output:1",
                    "priority=900,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=output:2",
                    "priority=800,dl_src=02:00:00:00:00:03,actions=output:3",
                    "priority=700,dl_vlan=10,dl_vlan_pcp=3,actions=output:4",
                    "priority=650,dl_vlan=10,actions=output:5",
                    "priority=640,dl_vlan=100,actions=output:1,output:2",
                    "priority=600,vlan_tci=0x1000/0x1fff,actions=output:1,output:3",
                    "priority=550,vlan_tci=0x0000/0x1000,dl_type=0x86dd,actions=output:4",
                    "priority=500,dl_dst=02:00:00:00:00:00/ff:ff:ff:ff:ff:f0,actions=output:5",
                    "priority=400,dl_type=0x8035,actions=output:1,output:2",
                    "priority=1,actions=output:3")),
            new Table("l3-match", List.of(
                    "priority=1000,ip,nw_src=10.7.0.1,nw_dst=10.7.0.2,actions=output:3",
                    "priority=900,ip,nw_dst=10.7.0.0/255.255.255.252,actions=output:4",
                    "priority=850,ip,nw_src=172.16.0.0/12,actions=output:1",
                    "priority=800,udp,nw_ttl=1,actions=output:5",
                    "priority=790,ip,nw_tos=40,actions=output:1",
                    "priority=780,ip,ip_dscp=46,actions=output:2",
                    "priority=770,ip,nw_ecn=3,actions=output:5",
                    "priority=700,arp,arp_op=2,actions=output:1",
                    "priority=690,arp,arp_spa=10.7.0.4,actions=output:2",
                    "priority=680,arp,arp_tpa=10.7.0.0/30,actions=output:3",
                    "priority=600,ipv6,ipv6_src=2001:db8:7::3,actions=output:4",
                    "priority=590,ipv6,ipv6_dst=ff02::/16,actions=output:5",
                    "priority=580,ipv6,nw_ttl=255,actions=output:1",
                    "priority=570,ipv6,nw_proto=58,actions=output:2",
                    "priority=500,ip,nw_frag=yes,actions=output:1,output:2",
                    "priority=490,ipv6,nw_frag=later,actions=output:3",
                    "priority=100,ip,actions=output:3",
                    "priority=90,ipv6,actions=output:1")),
            new Table("l4-match", List.of(
                    "priority=1000,tcp,tp_dst=80,tcp_flags=+syn-ack,actions=output:1",
                    "priority=990,tcp,tp_dst=80,actions=output:2",
                    "priority=980,tcp,tp_src=1024/0xfc00,actions=output:3",
                    "priority=970,tcp,tcp_flags=+rst,actions=output:4",
                    "priority=960,tcp,tp_dst=8080,actions=output:5",
                    "priority=900,udp,tp_dst=53,actions=output:1",
                    "priority=890,udp,tp_src=5000/0xfff0,actions=output:4",
                    "priority=880,udp,udp_dst=9999,actions=output:5",
                    "priority=800,icmp,icmp_type=8,actions=output:3",
                    "priority=790,icmp,icmp_type=3,icmp_code=3,actions=output:4",
                    "priority=700,tcp6,tp_dst=80,actions=output:5",
                    "priority=690,udp6,tp_dst=547,actions=output:1",
                    "priority=680,icmp6,icmp_type=135,actions=output:2",
                    "priority=670,icmp6,icmp_type=128,actions=output:3",
                    "priority=600,tcp,actions=output:1,output:5",
                    "priority=590,udp,actions=output:2,output:5",
                    "priority=580,ip,nw_proto=2,actions=output:1",
                    "priority=1,actions=output:4")),
            new Table("set-l2", List.of(
                    "priority=100,in_port=1,actions=mod_dl_src:02:aa:00:00:00:01,mod_dl_dst:02:bb:00:00:00:02,output:2",
                    "priority=100,in_port=2,actions=set_field:02:cc:00:00:00:03->eth_dst,output:3,set_field:02:dd:00:00:00:04->eth_src,output:1",
                    "priority=100,in_port=3,actions=load:0x02ee00000005->NXM_OF_ETH_DST[],output:4",
                    "priority=100,in_port=4,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:02:ff:00:00:00:06,output:5",
                    "priority=100,in_port=5,actions=move:NXM_OF_ETH_DST[0..15]->NXM_OF_ETH_SRC[32..47],output:1")),
            new Table("set-l3", List.of(
                    "priority=100,in_port=1,ip,actions=mod_nw_src:10.9.9.1,mod_nw_dst:10.9.9.2,output:2",
                    "priority=100,in_port=1,arp,actions=set_field:10.9.9.9->arp_spa,set_field:10.9.9.8->arp_tpa,output:2",
                    "priority=100,in_port=2,ip,actions=mod_nw_tos:32,output:3",
                    "priority=100,in_port=2,ipv6,actions=set_field:2001:db8:9::1->ipv6_src,set_field:2001:db8:9::2->ipv6_dst,output:3",
                    "priority=100,in_port=3,ip,actions=mod_nw_ttl:9,output:4",
                    "priority=100,in_port=3,ipv6,actions=set_field:7->nw_ttl,output:4",
                    "priority=100,in_port=4,ip,actions=set_field:10.9.0.0/255.255.0.0->ip_dst,output:5",
                    "priority=100,in_port=4,ipv6,actions=mod_nw_tos:184,output:5",
                    "priority=100,in_port=5,ip,actions=load:0x0a090909->NXM_OF_IP_DST[],output:1",
                    "priority=100,in_port=5,ipv6,actions=mod_nw_tos:4,output:1")),
            new Table("set-l4", List.of(
                    "priority=100,in_port=1,tcp,actions=mod_tp_src:1111,mod_tp_dst:2222,output:2",
                    "priority=100,in_port=1,udp,actions=mod_tp_dst:3333,output:2",
                    "priority=100,in_port=2,tcp,actions=set_field:443->tcp_dst,output:3",
                    "priority=100,in_port=2,udp,actions=set_field:5353->udp_src,output:3",
                    "priority=100,in_port=3,tcp6,actions=mod_tp_dst:8443,output:4",
                    "priority=100,in_port=3,udp6,actions=set_field:1->udp_dst,output:4",
                    "priority=100,in_port=4,tcp,actions=load:0x1234->NXM_OF_TCP_SRC[],move:NXM_OF_TCP_SRC[]->NXM_OF_TCP_DST[],output:5",
                    "priority=100,in_port=4,udp,actions=move:NXM_OF_UDP_DST[]->NXM_OF_UDP_SRC[],output:5",
                    "priority=100,in_port=5,tcp,actions=mod_tp_src:0,output:1",
                    "priority=90,in_port=5,ip,actions=output:1")),
            new Table("dec-ttl", List.of(
                    "priority=100,in_port=1,ip,actions=dec_ttl,output:2",
                    "priority=100,in_port=1,ipv6,actions=dec_ttl,output:2",
                    "priority=100,in_port=2,ip,actions=output:3,dec_ttl,output:4",
                    "priority=100,in_port=3,ipv6,actions=dec_ttl,output:1",
                    "priority=90,in_port=3,actions=dec_ttl,output:1",
                    "priority=100,in_port=4,ip,actions=dec_ttl,dec_ttl,output:5",
                    "priority=100,in_port=5,ipv6,actions=dec_ttl,output:1")),
            new Table("vlan", List.of(
                    "priority=100,in_port=1,actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:2",
                    "priority=110,in_port=2,dl_vlan=10,actions=mod_vlan_vid:20,output:3",
                    "priority=105,in_port=2,vlan_tci=0/0x1000,actions=mod_vlan_vid:30,mod_vlan_pcp:5,output:3",
                    "priority=100,in_port=2,vlan_tci=0x1000/0x1000,actions=strip_vlan,output:3",
                    "priority=110,in_port=3,vlan_tci=0x1000/0x1000,actions=pop_vlan,output:4",
                    "priority=100,in_port=3,actions=mod_vlan_pcp:7,output:4",
                    "priority=100,in_port=4,actions=push_vlan:0x88a8,set_field:4196->vlan_vid,output:5",
                    "priority=110,in_port=5,dl_vlan=20,actions=set_field:4116->vlan_vid,set_field:6->vlan_pcp,output:1,strip_vlan,output:2",
                    "priority=100,in_port=5,actions=output:1")),
            new Table("registers-pipeline", List.of(
                    "table=0,priority=100,in_port=1,actions=load:0x5->NXM_NX_REG0[],resubmit(,1)",
                    "table=0,priority=100,in_port=2,actions=move:NXM_OF_ETH_SRC[0..7]->NXM_NX_REG1[8..15],load:0x2->NXM_NX_REG2[0..3],goto_table:1",
                    "table=0,priority=100,in_port=3,actions=write_metadata:0xabcd/0xffff,goto_table:2",
                    "table=0,priority=100,in_port=4,actions=resubmit(,3)",
                    "table=0,priority=100,in_port=5,ip,actions=move:NXM_OF_IP_SRC[]->NXM_NX_REG3[],resubmit(,1),output:1",
                    "table=1,priority=100,reg0=5,actions=output:2",
                    "table=1,priority=90,reg1=0x0300/0xff00,actions=output:4",
                    "table=1,priority=80,reg2=2,actions=output:5",
                    "table=1,priority=70,reg3=0x0a070005,actions=load:0x1->NXM_NX_REG4[],resubmit(,2)",
                    "table=1,priority=0,actions=drop",
                    "table=2,priority=100,metadata=0xabcd/0xffff,actions=output:1",
                    "table=2,priority=90,reg4=1,actions=output:3",
                    "table=3,priority=100,in_port=4,actions=output:2,output:5,resubmit(,4)",
                    "table=4,priority=10,actions=mod_dl_dst:02:00:00:00:00:42,output:3")),
            new Table("resubmit-in_port", List.of(
                    // resubmit(P,T) looks T up as if the frame came from P; the actions then see the real in_port
                    "table=0,priority=100,in_port=4,actions=resubmit(5,1)",
                    "table=0,priority=100,in_port=1,actions=resubmit(2,1),output:3",
                    "table=1,priority=100,in_port=5,actions=output:5,output:2",
                    "table=1,priority=100,in_port=2,actions=output:2,in_port")),
            new Table("normal-rewrites", List.of(
                    "priority=100,in_port=1,actions=mod_vlan_vid:10,NORMAL",
                    "priority=100,in_port=2,actions=mod_dl_dst:ff:ff:ff:ff:ff:ff,NORMAL",
                    "priority=110,in_port=3,vlan_tci=0x1000/0x1000,actions=strip_vlan,NORMAL",
                    "priority=100,in_port=3,actions=NORMAL",
                    "priority=100,in_port=4,actions=NORMAL,output:1",
                    "priority=100,in_port=5,actions=push_vlan:0x8100,set_field:4116->vlan_vid,NORMAL")),
            new Table("conjunction", List.of(
                    // an ACL over address sets: (source in {.1, .2}) and (destination .3 or TCP port 80), no cross product
                    "priority=200,ip,nw_src=10.7.0.1,actions=conjunction(7,1/2)",
                    "priority=200,ip,nw_src=10.7.0.2,actions=conjunction(7,1/2)",
                    "priority=200,ip,nw_dst=10.7.0.3,actions=conjunction(7,2/2)",
                    "priority=200,tcp,tp_dst=80,actions=conjunction(7,2/2),conjunction(8,1/3)",
                    "priority=200,conj_id=7,ip,actions=output:4",
                    // three clauses, at a lower priority, and one with a clause nothing matches
                    "priority=150,ip,nw_src=10.7.0.4,actions=conjunction(8,2/3)",
                    "priority=150,ip,nw_dst=10.7.0.1,actions=conjunction(8,3/3)",
                    "priority=150,ip,nw_dst=10.7.0.5,actions=conjunction(9,1/2)",
                    "priority=150,conj_id=8,actions=output:5",
                    "priority=150,conj_id=9,actions=output:1",
                    // ordinary flows: one that outranks the conjunctions, the rest below
                    "priority=300,icmp,nw_src=10.7.0.2,actions=output:3",
                    "priority=100,ip,actions=output:2",
                    "priority=0,actions=output:3")),
            new Table("check-pkt-larger", List.of(
                    "priority=100,actions=check_pkt_larger(200)->reg0[0],resubmit(,1)",
                    "table=1,priority=10,reg0=0x1/0x1,in_port=1,actions=output:2",
                    "table=1,priority=10,reg0=0x1/0x1,actions=output:1",
                    "table=1,priority=5,in_port=3,actions=output:4",
                    "table=1,priority=1,actions=output:3"), List.of()),
            new Table("groups", List.of(
                    "priority=100,in_port=1,actions=group:1",
                    "priority=100,in_port=2,actions=group:3,output:1",
                    "priority=100,in_port=3,ip,actions=group:2,mod_nw_src:10.9.9.9,output:1",
                    "priority=100,in_port=4,actions=group:4",
                    "priority=100,in_port=5,actions=group:5,output:4"), List.of(
                    "group_id=1,type=all,bucket=output:2,bucket=mod_dl_src:02:00:00:00:00:99,output:3,bucket=output:5",
                    "group_id=2,type=indirect,bucket=dec_ttl,output:4",
                    "group_id=3,type=all,bucket=group:2,bucket=mod_nw_tos:32,output:5,bucket=output:1,output:3",
                    "group_id=4,type=fast_failover,bucket=watch_port:2,output:2,bucket=watch_port:3,output:3",
                    "group_id=5,type=select,bucket=output:2")));
}
