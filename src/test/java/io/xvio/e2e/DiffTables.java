package io.xvio.e2e;

import java.util.List;

/**
 * The flow tables the differential test installs in Open vSwitch and in xvio, in ovs-ofctl syntax: each a small
 * scenario for some of the matches and actions xvio supports. Ports (as {@link OvsDifferentialIT} sets them up):
 * 1, 2 and 3 carry every VLAN, 4 is an access port of VLAN 10, 5 a trunk of VLANs 10 and 20 (which only
 * NORMAL cares about). Priorities stay below the test's own sentinel flows (65535).
 */
final class DiffTables {
    /**
     * groups: installed (ovs-ofctl add-groups) before the flows; frames: the corpus groups it runs on (empty: all of
     * them); learned: tables whose learned flows must come out the same in both switches ({@code dump-flows}).
     */
    record Table(String name, List<String> flows, List<String> groups, List<String> frames, List<Integer> learned) {
        Table(String name, List<String> flows) { this(name, flows, List.of(), List.of(), List.of()); }
        Table(String name, List<String> flows, List<String> groups) { this(name, flows, groups, List.of(), List.of()); }

        boolean runsOn(String frameGroup) { return frames.isEmpty() || frames.contains(frameGroup); }
    }

    private DiffTables() {}

    /** A chain of resubmits through tables from..to, each loading its number into reg7 (OVS: later tables do not deepen). */
    private static List<String> forwardChain(int from, int to) {
        List<String> f = new java.util.ArrayList<>();
        for (int t = from; t < to; t++) f.add("table=" + t + ",priority=1,actions=load:" + t + "->NXM_NX_REG7[],resubmit(," + (t + 1) + ")");
        f.add("table=" + to + ",priority=1,actions=move:NXM_NX_REG7[0..7]->NXM_OF_ETH_SRC[0..7],output:4");
        return f;
    }

    /** Resubmits back into one table, n times deep (OVS's limit is 64), then an output. */
    private static List<String> loopBack(int table, int n) {
        List<String> f = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++)
            f.add("table=" + table + ",priority=10,reg6=" + i + ",actions=load:" + (i + 1) + "->NXM_NX_REG6[],resubmit(," + table + ")");
        f.add("table=" + table + ",priority=10,reg6=" + n + ",actions=output:1");
        return f;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> f = new java.util.ArrayList<>(a);
        f.addAll(b);
        return List.copyOf(f);
    }

    /** What OVN's logical flows compile to (matches): ARP hardware addresses and neighbor discovery fields. */
    static final Table OVN_MATCH = new Table("ovn-match", List.of(
            "priority=300,arp,arp_op=2,arp_sha=02:00:00:00:00:02,actions=output:3",
            "priority=290,arp,arp_tha=ff:ff:ff:ff:ff:ff,actions=output:4",
            "priority=285,arp,arp_tha=00:00:00:00:00:00,arp_sha=02:00:00:00:00:00/ff:ff:ff:ff:ff:fc,actions=output:5",
            "priority=280,icmp6,icmp_type=135,icmp_code=0,nd_target=2001:db8:7::2,actions=output:5",
            "priority=275,icmp6,icmp_type=135,icmp_code=0,nd_sll=02:00:00:00:00:03,actions=output:1",
            "priority=270,icmp6,icmp_type=135,icmp_code=0,nd_sll=00:00:00:00:00:00,actions=output:2",
            "priority=265,icmp6,icmp_type=136,icmp_code=0,nd_tll=02:00:00:00:00:04,actions=output:3",
            "priority=260,icmp6,icmp_type=136,icmp_code=0,nd_target=2001:db8:7::2,nd_tll=00:00:00:00:00:00,actions=output:4",
            "priority=250,icmp6,icmp_type=136,actions=output:1,output:2",
            "priority=10,arp,actions=output:1",
            "priority=10,icmp6,actions=output:3",
            "priority=1,actions=output:5"));

    /** OVN's responders and routers (rewrites): ARP and ICMP replies, ND fields read, dec_ttl with controller ids, ct_clear. */
    static final Table OVN_REWRITE = new Table("ovn-rewrite", List.of(
            "priority=100,in_port=1,arp,arp_op=1,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:02:00:00:00:aa:01,"
                    + "load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],load:0x02000000aa01->NXM_NX_ARP_SHA[],"
                    + "push:NXM_OF_ARP_TPA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],pop:NXM_OF_ARP_SPA[],"
                    + "push:NXM_OF_IN_PORT[],load:0->NXM_OF_IN_PORT[],output:1,pop:NXM_OF_IN_PORT[],output:1,output:2",
            "priority=100,in_port=2,arp,actions=set_field:2->arp_op,set_field:02:00:00:00:cc:02->arp_tha,output:3",
            "priority=100,in_port=1,icmp,icmp_type=8,actions=push:NXM_OF_IP_SRC[],push:NXM_OF_IP_DST[],pop:NXM_OF_IP_SRC[],"
                    + "pop:NXM_OF_IP_DST[],set_field:0->icmp_type,dec_ttl(1,2),output:2",
            "priority=100,in_port=2,icmp,actions=set_field:3->icmp_type,set_field:3->icmp_code,output:3",
            "priority=100,in_port=3,icmp6,icmp_type=128,actions=set_field:129->icmpv6_type,set_field:1->icmpv6_code,output:4",
            "priority=100,in_port=2,icmp6,icmp_type=135,icmp_code=0,actions=move:NXM_NX_ND_SLL[]->NXM_OF_ETH_SRC[],output:4",
            "priority=100,in_port=3,icmp6,icmp_type=136,icmp_code=0,actions=move:NXM_NX_ND_TLL[]->NXM_OF_ETH_DST[],"
                    + "output:1",
            "priority=100,in_port=4,icmp6,icmp_type=136,icmp_code=0,actions=dec_ttl(5),output:5",
            "priority=90,in_port=4,ip,actions=dec_ttl(7,8),output:5",
            "priority=90,in_port=5,ipv6,actions=dec_ttl(1),output:1",
            "priority=90,in_port=5,ip,actions=ct_clear,dec_ttl,output:2",
            "priority=1,actions=output:3"));

    /**
     * Neighbour discovery rewrites (OVN's nd_na/nd_ns inner actions): nd_target, nd_sll and nd_tll set whole, masked,
     * by load and by move (a 128-bit move into nd_target), on solicitations and advertisements with and without a
     * link-layer address option; a solicitation made an advertisement before nd_sll is set (OVS skips that set, its
     * run-time prerequisite failing) and then given an nd_tll (its only option is a source one: nothing written).
     */
    static final Table OVN_ND = new Table("ovn-nd", List.of(
            "priority=100,in_port=1,icmp6,icmp_type=135,icmp_code=0,actions=set_field:2001:db8:7::99->nd_target,"
                    + "set_field:02:00:00:00:aa:01->nd_sll,output:2",
            "priority=100,in_port=2,icmp6,icmp_type=135,actions=set_field:00:00:00:00:00:77/00:00:00:00:00:ff->nd_sll,"
                    + "load:0xabcd->NXM_NX_ND_SLL[32..47],load:0x5->NXM_NX_ND_TARGET[0..7],output:3",
            "priority=100,in_port=3,icmp6,icmp_type=135,icmp_code=0,actions=set_field:136->icmpv6_type,set_field:02:00:00:00:aa:03->nd_sll,"
                    + "move:NXM_NX_IPV6_SRC[]->NXM_NX_ND_TARGET[],resubmit(,1)",
            "table=1,priority=100,icmp6,icmp_type=136,actions=set_field:02:00:00:00:cc:03->nd_tll,output:4",
            "table=1,priority=0,actions=output:5",
            "priority=100,icmp6,icmp_type=136,icmp_code=0,nd_tll=02:00:00:00:00:00/ff:ff:ff:ff:ff:00,actions="
                    + "set_field:02:00:00:00:bb:02->nd_tll,move:NXM_NX_IPV6_SRC[]->NXM_NX_ND_TARGET[],output:1",
            "priority=90,icmp6,icmp_type=136,actions=move:NXM_OF_ETH_SRC[]->NXM_NX_ND_TLL[],set_field:fe80::1->nd_target,output:5",
            "priority=1,actions=output:3"), List.of(), List.of("ovn", "main"), List.of());

    /** OVN's register use: xreg/xxreg loads and moves, in_port pushed and popped, deep resubmit chains. */
    static final Table OVN_REGS = new Table("ovn-regs", concat(List.of(
            "table=0,priority=100,in_port=1,actions=load:0x0102030405060708->xreg2[],move:xreg2[0..47]->NXM_OF_ETH_DST[],"
                    + "move:NXM_NX_REG4[]->NXM_NX_REG9[],resubmit(,1)",
            "table=0,priority=100,in_port=2,ipv6,actions=move:NXM_NX_IPV6_SRC[]->xxreg1[],move:xxreg1[64..127]->xreg0[],"
                    + "move:xxreg1[]->NXM_NX_IPV6_DST[],resubmit(,2)",
            "table=0,priority=90,in_port=2,actions=load:0xffeeddccbbaa99887766554433221100->xxreg3[],move:xxreg3[8..55]->NXM_OF_ETH_SRC[],output:3",
            "table=0,priority=100,in_port=3,actions=resubmit(,10)",
            // deeper than 64: OVS drops the packet (its whole translation), xvio too (nothing was sent before the loop)
            "table=0,priority=100,in_port=4,actions=resubmit(,90)",
            "table=0,priority=100,in_port=5,actions=push:NXM_OF_IN_PORT[],load:1->NXM_OF_IN_PORT[],resubmit(,3),pop:NXM_OF_IN_PORT[],"
                    + "output:NXM_NX_REG8[0..15],output:4",
            "table=1,priority=100,reg9=0x01020304,actions=output:2",
            "table=1,priority=90,reg5=0x05060708,actions=output:3",
            "table=1,priority=0,actions=drop",
            "table=2,priority=100,xxreg1=0x20010db8000700000000000000000002,reg0=0x20010db8,actions=output:3",
            "table=2,priority=50,reg1=0x00070000,actions=output:4",
            "table=2,priority=0,actions=output:5",
            "table=3,priority=100,in_port=1,actions=output:2,in_port,load:5->NXM_NX_REG8[]"),
            concat(forwardChain(10, 80), loopBack(90, 70))));

    /** OVN's ACLs: conntrack with ct_mark/ct_label set in ct(commit,exec(...)), read back, and ct_clear. */
    static final Table OVN_CT = new Table("ovn-ct", List.of(
            "table=0,priority=100,ip,actions=load:0xabcd->NXM_NX_REG3[],ct(zone=7,table=1)",
            "table=0,priority=100,ipv6,actions=load:0xabcd->NXM_NX_REG3[],ct(zone=7,table=1)",
            "table=0,priority=0,actions=output:1",
            "table=1,priority=100,ct_state=+new+trk,ip,actions=ct(commit,zone=7,exec(set_field:0x5->ct_mark,move:NXM_NX_REG3[]->NXM_NX_CT_LABEL[64..95])),output:2",
            "table=1,priority=100,ct_state=+new+trk,ipv6,actions=ct(commit,zone=7,exec(set_field:0x5->ct_mark,move:NXM_NX_REG3[]->NXM_NX_CT_LABEL[64..95])),output:2",
            "table=1,priority=90,ct_state=+est+trk,ct_mark=0x5,ct_label=0xabcd0000000000000000/0xffffffff0000000000000000,"
                    + "actions=move:NXM_NX_CT_MARK[]->NXM_NX_REG0[],ct_clear,resubmit(,2)",
            "table=1,priority=80,ct_state=+est+trk,actions=output:4",
            "table=1,priority=70,ct_state=+inv+trk,actions=output:5",
            "table=1,priority=60,ct_state=+rel+trk,actions=output:1,output:5",
            "table=1,priority=0,actions=output:3,output:4",
            "table=2,priority=100,ct_state=-trk,reg0=5,actions=output:3",
            "table=2,priority=0,actions=output:1"), List.of(), List.of("main", "ovn"), List.of());

    /**
     * learn as a MAC learning switch into table 1 (per VLAN, by source MAC), and with a limit into table 2 whose
     * result_dst chooses the output; the learned tables are compared after each frame group. xvio learns a few
     * milliseconds after the packet (README), so the test pauses after each frame here.
     */
    static final Table LEARN = new Table("learn", List.of(
            "table=0,priority=10,actions=learn(table=1,priority=10,hard_timeout=300,cookie=0x77,NXM_OF_VLAN_TCI[0..11],"
                    + "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_NX_REG5[]->NXM_NX_REG6[],output:NXM_OF_IN_PORT[]),load:0x1->NXM_NX_REG5[],resubmit(,1)",
            "table=0,priority=20,ip,actions=learn(table=2,limit=3,result_dst=NXM_NX_REG0[0],cookie=0x88,priority=5,eth_type=0x800,"
                    + "NXM_OF_IP_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,3)",
            "table=1,priority=0,actions=flood",
            "table=3,priority=10,reg0=0x1/0x1,actions=output:1,resubmit(,2)",
            "table=3,priority=5,actions=output:5",
            "table=2,priority=0,actions=output:2"), List.of(), List.of("malformed", "ovn"), List.of(1, 2));

    /**
     * Actions that send to the controller ({@code ovs-ofctl monitor} on both switches compares the packet-ins): the
     * plain action, with userdata, max_len (OVS sends the whole packet) and a reason, after registers, metadata and
     * pkt_mark are set, after ct, under resubmit and goto_table with cookies, a table-miss flow.
     */
    static final Table CONTROLLER = new Table("controller", List.of(
            "table=0,priority=100,in_port=1,actions=controller",
            "table=0,priority=100,cookie=0x1234,in_port=2,ip,actions=load:0xabc->NXM_NX_REG3[],load:0x77->OXM_OF_METADATA[],resubmit(,1)",
            "table=0,priority=90,in_port=2,actions=load:0x1->NXM_NX_REG15[],goto_table:1",
            "table=0,priority=100,in_port=3,actions=set_field:0x42->pkt_mark,controller(reason=no_match,max_len=100),output:4",
            "table=0,priority=100,in_port=4,ip,actions=ct(zone=3,table=2)",
            "table=0,priority=90,in_port=4,actions=dec_ttl,controller(userdata=0a.0b),output:5",
            // not a table miss: OVS sends one to OpenFlow 1.0-1.2 connections, xvio does not (README)
            "table=0,priority=100,in_port=5,ipv6,actions=goto_table:5",
            "table=5,priority=0,actions=controller(reason=no_match)",
            "table=0,priority=90,in_port=5,actions=check_pkt_larger(200)->NXM_NX_REG1[0],controller(id=0,userdata=aa.bb.cc.dd.ee,max_len=64),output:1",
            "table=1,priority=10,cookie=0x55,actions=controller(max_len=64,userdata=01.02.03.04.05.06.07.08.09),output:3",
            "table=2,priority=10,cookie=0x66,ip,actions=ct(commit,zone=3,exec(set_field:0x9->ct_mark)),controller(max_len=128)"),
            List.of(), List.of("ovn"), List.of());

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
                    "group_id=5,type=select,bucket=output:2")),
            new Table("clone-stack-normal", List.of(
                    // clone runs with a copy of the stack (OVS 3.1): it pops what the flow pushed, its push is gone
                    // afterwards, and the flow's pushes are all there again after it
                    "table=0,priority=100,in_port=1,actions=load:5->NXM_NX_REG0[],push:NXM_NX_REG0[],clone(pop:NXM_NX_REG1[],resubmit(,1)),pop:NXM_NX_REG2[],resubmit(,2)",
                    "table=0,priority=100,in_port=3,actions=load:7->NXM_NX_REG0[],push:NXM_NX_REG0[],clone(load:9->NXM_NX_REG0[],push:NXM_NX_REG0[]),pop:NXM_NX_REG2[],resubmit(,2)",
                    // NORMAL switches the frame as if it came from the in_port the actions set (it may go back out of
                    // the port it really came in on)
                    "table=0,priority=100,in_port=2,actions=load:1->NXM_OF_IN_PORT[],NORMAL",
                    "table=0,priority=100,in_port=4,actions=output:1",
                    "table=0,priority=100,in_port=5,actions=resubmit(1,1)",
                    "table=1,priority=10,reg1=5,actions=output:2",
                    "table=1,priority=5,in_port=1,actions=output:3",
                    "table=1,priority=1,actions=output:5",
                    "table=2,priority=10,reg2=5,actions=output:4",
                    "table=2,priority=10,reg2=7,actions=output:5",
                    "table=2,priority=1,actions=output:1")),
            OVN_MATCH, OVN_REWRITE, OVN_ND, OVN_REGS, OVN_CT, LEARN, CONTROLLER);
}
