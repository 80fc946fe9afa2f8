package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Matches and actions survive encode/decode in every version; bad messages get OVS's error codes. */
class OpenFlowCodecTest {
    static final List<String> FLOWS = List.of(
            "priority=100,in_port=1,actions=output:2",
            "table=1,ip,ct_state=+trk+est-inv,ct_zone=5,ct_mark=0x1/0x1,ct_label=0x5000000000000000a/0xffff0000000000000000ffff,actions=output:2",
            "table=2,ip,ct_state=+trk+new,ct_nw_src=10.0.0.0/8,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=1000,ct_tp_dst=80,actions=output:2",
            "table=2,ipv6,ct_state=+trk+rpl,ct_ipv6_src=fd00::1,ct_ipv6_dst=fd00::/16,actions=drop",
            "table=1,priority=10,ip,reg0=0x5,nw_src=10.0.0.0/24,actions=load:0x7->reg1[0..3],resubmit(,2),dec_ttl,mod_dl_src:00:11:22:33:44:55,set_field:0x5->reg2,move:reg0[0..7]->reg3[8..15],strip_vlan,mod_vlan_vid:7",
            "priority=5,tcp,tp_dst=80,dl_vlan=10,actions=NORMAL",
            "priority=6,udp,tp_src=53,dl_vlan_pcp=3,actions=mod_vlan_pcp:5,mod_nw_tos:32,FLOOD",
            "priority=7,ipv6,ipv6_src=2001:db8::/32,icmp6,icmp_type=128,actions=ALL",
            "priority=8,arp,arp_spa=10.0.0.1,arp_op=1,actions=IN_PORT",
            "priority=9,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,vlan_tci=0x0000/0xffff,actions=drop",
            "priority=11,icmp,icmp_type=8,icmp_code=0,nw_ttl=64,actions=resubmit:3",
            "priority=12,tcp,tcp_flags=+syn-ack,reg15=0x1/0xff,pkt_mark=0x2,actions=set_field:0xab->pkt_mark",
            "priority=13,ip,nw_dst=192.168.0.0/16,nw_tos=16,actions=mod_nw_dst:10.1.1.1,mod_tp_src:1,output:3",
            "priority=14,dl_type=0x88cc,actions=drop",
            // OVN's neighbour discovery: nd_* matched and written (OXM set_field, NXM reg_load/reg_move, masked load2)
            "priority=16,icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1,nd_sll=02:00:00:00:00:01,actions=set_field:2001:db8::5->nd_target,"
                    + "set_field:02:00:00:00:00:aa->nd_sll,load:0x1234->nd_sll[0..15],move:nd_sll[]->dl_src[],move:xxreg0[]->nd_target[],output:2",
            "priority=17,icmp6,icmp_type=136,nd_tll=02:00:00:00:00:02/ff:ff:ff:ff:ff:00,actions=set_field:02:00:00:00:00:bb->nd_tll,"
                    + "set_field:00:00:00:00:00:07/00:00:00:00:00:ff->nd_tll,set_field:::1/::ffff->nd_target,move:nd_target[]->xxreg1[],"
                    + "move:reg0[0..15]->nd_tll[32..47],output:3",
            "priority=15,ip,actions=dec_ttl(1,2),dec_ttl(7),dec_ttl(0),dec_ttl,output:1",
            "table=10,priority=1,in_port=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,NXM_OF_VLAN_TCI[0..11],"
                    + "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1");

    private static Match oxmRoundTrip(Match m, boolean nxm) {
        Wire.Writer w = new Wire.Writer();
        Oxm.encode(m, nxm, w);
        return Oxm.decode(new Wire.Reader(w.toBytes()));
    }

    @Test
    void everyMatchRoundTripsThroughNxmAndOxm() {
        for (String text : FLOWS) {
            Match m = FlowParser.parse(text).match;
            assertEquals(FlowFormat.match(m), FlowFormat.match(oxmRoundTrip(m, true)), "NXM: " + text);
            assertEquals(m, oxmRoundTrip(m, false), "OXM: " + text);
            assertEquals(m, oxmRoundTrip(m, true), "NXM: " + text);
        }
    }

    @Test
    void of10MatchesRoundTripWhenTheyFit() {
        for (String text : FLOWS) {
            Match m = FlowParser.parse(text).match;
            if (!Of10Match.fits(m)) continue;
            Wire.Writer w = new Wire.Writer();
            Of10Match.encode(m, w);
            assertEquals(Of10Match.SIZE, w.size());
            assertEquals(FlowFormat.match(m), FlowFormat.match(Of10Match.decode(new Wire.Reader(w.toBytes()))), text);
        }
    }

    private static List<Action> actionsRoundTrip(List<Action> a, int version) {
        Wire.Writer w = new Wire.Writer();
        if (version == OfVersion.OF10) {
            OfActions.encodeActions(a, version, w);
            return OfActions.decodeActions(new Wire.Reader(w.toBytes()), version);
        }
        OfActions.encodeInstructions(a, version, w);
        return OfActions.decodeInstructions(new Wire.Reader(w.toBytes()), version);
    }

    @Test
    void actionsRoundTripInEveryVersion() {
        List<String> extra = List.of("actions=push_vlan:0x8100,mod_vlan_vid:5,write_metadata:0x5/0xff,goto_table:3",
                "ipv6,actions=set_field:2001:db8::1->ipv6_dst,load:0x1->xxreg1[64..71],set_field:0x1234->xreg3,output:7",
                // the actions of the datapath issue, as a controller sends them
                "tcp,actions=note:01.02.03.04.05.06.07,controller:128,ct_clear,output:reg1[0..15],push:reg2[0..31],pop:reg3[0..31],"
                        + "check_pkt_larger(1500)->reg0[0],clone(mod_tp_dst:8080,output:3,clone(output:4)),group:7",
                "priority=200,ip,nw_src=10.0.0.1,actions=conjunction(9,2/3)",
                // conntrack, as the OpenStack firewall driver and OVN write it
                "ip,actions=ct(table=1,zone=NXM_NX_REG6[0..15],nat),ct(commit,force,zone=5,exec(set_field:0x3/0xf->ct_mark,set_field:0x1->ct_label))",
                "tcp,actions=ct(commit,table=3,nat(src=10.0.0.1-10.0.0.9:1024-65535,persistent,hash))",
                "ipv6,actions=ct(commit,nat(dst=[fd00::1]-[fd00::2]:80,random)),ct(commit,nat(src=fd00::9))");
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            for (String text : concat(FLOWS, extra)) {
                List<Action> a = FlowParser.parse(text).actions;
                boolean only11 = a.stream().anyMatch(x -> x instanceof GotoTable || x instanceof PushVlan || x instanceof GroupAction);
                if (v == OfVersion.OF10 && only11) continue;
                assertEquals(a, actionsRoundTrip(a, v), OfVersion.name(v) + ": " + text);
            }
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> r = new java.util.ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    // ---------------------------------------------------------------- messages through a connection

    static byte[] hello(int version, int bitmap) {
        Wire.Writer w = new Wire.Writer(version, OfType.HELLO, 1);
        if (bitmap != 0) w.u16(1).u16(8).u32(bitmap);
        return w.finish();
    }

    static OfConnection connected(MemorySwitch sw, int version) {
        OfConnection c = new OfConnection(null, sw, "test", System.nanoTime());
        assertEquals(List.of(), c.handle(hello(version, 1 << version)));
        return c;
    }

    /** An OpenFlow 1.3+ flow_mod for text. */
    static byte[] flowMod13(String text, int command, int version) {
        Flow f = FlowParser.parse(text);
        Wire.Writer w = new Wire.Writer(version, OfType.FLOW_MOD, 7);
        w.u64(f.cookie).u64(0).u8(f.table).u8(command).u16(f.idleTimeout).u16(f.hardTimeout).u16(f.priority)
                .u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        FlowModCodec.writeOxmMatch(f.match, w);
        OfActions.encodeInstructions(f.actions, version, w);
        return w.finish();
    }

    static int[] errorOf(List<byte[]> replies) {
        assertEquals(1, replies.size());
        byte[] m = replies.getFirst();
        assertEquals(OfType.ERROR, m[1]);
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        return new int[] {r.u16(), r.u16()};
    }

    @Test
    void helloPicksTheHighestCommonVersionAndRefusesNone() {
        OfConnection c = new OfConnection(null, new MemorySwitch(), "test", System.nanoTime());
        assertEquals(List.of(), c.handle(hello(OfVersion.OF15, (1 << 1) | (1 << 4))));
        assertEquals("OpenFlow13", c.state().getFirst());
        OfConnection old = new OfConnection(null, new MemorySwitch(), "test", System.nanoTime());
        assertEquals(List.of(), old.handle(hello(3, 0)));            // 1.2 without a bitmap: 1.0 is common
        assertEquals("OpenFlow10", old.state().getFirst());
        OfConnection none = new OfConnection(null, new MemorySwitch(), "test", System.nanoTime());
        assertArrayEquals(new int[] {0, 0}, errorOf(none.handle(hello(OfVersion.OF15, 1 << 2))));   // only 1.1: HELLO_FAILED
        assertTrue(none.closing);
        assertNull(new OfConnection(null, new MemorySwitch(), "t", 0).handle(new Wire.Writer(4, OfType.ECHO_REQUEST, 1).finish()));
    }

    @Test
    void flowModsAddModifyAndDeleteLikeTheCli() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(flowMod13("table=1,priority=10,ip,nw_src=10.0.0.0/24,actions=output:2,goto_table:4", FlowMod.ADD, 4)));
        assertEquals(List.of(), c.handle(flowMod13("table=1,priority=11,ip,actions=output:2", FlowMod.ADD, 4)));
        assertEquals(2, sw.flows.size());
        Flow want = FlowParser.parse("table=1,priority=10,ip,nw_src=10.0.0.0/24,actions=output:2,goto_table:4");
        assertEquals(FlowFormat.format(want, 0, false), sw.flows.getFirst().text());
        assertEquals(List.of(), c.handle(flowMod13("table=1,priority=10,ip,nw_src=10.0.0.0/24,actions=output:3", FlowMod.MODIFY_STRICT, 4)));
        assertEquals(FlowParser.parse("actions=output:3").actions, sw.flows.getFirst().actions);
        assertEquals(List.of(), c.handle(flowMod13("table=1,priority=11,ip,actions=drop", FlowMod.DELETE_STRICT, 4)));
        assertEquals(1, sw.flows.size());
        // non-strict delete in table 255 (all) of everything IP
        byte[] del = flowMod13("ip,actions=drop", FlowMod.DELETE, 4);
        del[24] = (byte) 0xff;
        assertEquals(List.of(), c.handle(del));
        assertEquals(0, sw.flows.size());
    }

    /** os-ken's OFPFlowMod sends out_port 0 and out_group 0 by default: a modify ignores both, as OVS's does. */
    @Test
    void aModifyIgnoresOutPortAndOutGroup() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = connected(sw, OfVersion.OF13);
        assertEquals(List.of(), c.handle(flowMod13("table=0,priority=10,ip,actions=output:2", FlowMod.ADD, 4)));
        for (int command : new int[] {FlowMod.MODIFY, FlowMod.MODIFY_STRICT}) {
            byte[] mod = flowMod13("table=0,priority=10,ip,actions=output:" + (command == FlowMod.MODIFY ? 1 : 3), command, 4);
            for (int k = 36; k < 44; k++) mod[k] = 0;             // out_port 0, out_group 0
            assertEquals(List.of(), c.handle(mod));
            assertEquals(FlowParser.parse("actions=output:" + (command == FlowMod.MODIFY ? 1 : 3)).actions, sw.flows.getFirst().actions,
                    "command " + command + " changed the flow");
        }
    }

    @Test
    void addsReceivedTogetherAreAppliedTogetherAndRepliesKeepTheirOrder() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = connected(sw, OfVersion.OF13);
        byte[] bad = flowMod13("priority=3,actions=output:2", FlowMod.ADD, 4);
        bad[bad.length - 16 + 1] = 22;                                     // group action: refused
        byte[] barrier = new Wire.Writer(4, OfType.BARRIER_REQUEST, 77).finish();
        List<byte[]> replies = c.handleAll(List.of(flowMod13("priority=1,in_port=1,actions=output:2", FlowMod.ADD, 4),
                flowMod13("priority=2,in_port=2,actions=output:1", FlowMod.ADD, 4), bad, barrier,
                flowMod13("priority=1,in_port=1,actions=drop", FlowMod.ADD, 4)));
        assertEquals(2, replies.size());
        assertEquals(OfType.ERROR, replies.get(0)[1]);
        assertEquals(OfType.BARRIER_REPLY, replies.get(1)[1]);
        assertEquals(2, sw.flows.size(), "the refused flow is not there; the last add replaced the first");
        assertEquals(FlowParser.parse("actions=drop").actions, sw.flows.stream().filter(f -> f.priority == 1).findFirst().orElseThrow().actions);
    }

    @Test
    void unsupportedThingsGetOvsErrorCodes() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = connected(sw, OfVersion.OF13);
        byte[] fm = flowMod13("priority=1,actions=output:2", FlowMod.ADD, 4);
        // output action (type 0) turned into set_queue (21): not executed by xvio -> OFPBAC_BAD_TYPE (2,0)
        int at = fm.length - 16;
        assertEquals(0, fm[at + 1]);
        fm[at + 1] = 21;
        assertArrayEquals(new int[] {2, 0}, errorOf(c.handle(fm)));
        fm[at + 1] = 0;
        // a match field xvio lacks (OXM MPLS_LABEL 34) -> OFPBMC_BAD_FIELD (4,6)
        Wire.Writer w = new Wire.Writer(4, OfType.FLOW_MOD, 9);
        w.u64(0).u64(0).u8(0).u8(0).u16(0).u16(0).u16(1).u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        w.u16(1).u16(4 + 8).u32(0x8000L << 16 | 34 << 9 | 4).u32(5).zeros(4);
        assertArrayEquals(new int[] {4, 6}, errorOf(c.handle(w.finish())));
        // a missing prerequisite (tp_dst without tcp) -> OFPBMC_BAD_PREREQ (4,9)
        Wire.Writer p = new Wire.Writer(4, OfType.FLOW_MOD, 9);
        p.u64(0).u64(0).u8(0).u8(0).u16(0).u16(0).u16(1).u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        p.u16(1).u16(4 + 6).u32(0x8000L << 16 | 14 << 9 | 2).u16(80).zeros(6);
        assertArrayEquals(new int[] {4, 9}, errorOf(c.handle(p.finish())));
        // a flow_mod cut short -> OFPBRC_BAD_LEN (1,6); the wrong version -> OFPBRC_BAD_VERSION (1,0)
        byte[] cut = java.util.Arrays.copyOf(fm, 30);
        cut[2] = 0;
        cut[3] = 30;
        assertArrayEquals(new int[] {1, 6}, errorOf(c.handle(cut)));
        byte[] v = flowMod13("actions=drop", FlowMod.ADD, 6);
        assertArrayEquals(new int[] {1, 0}, errorOf(c.handle(v)));
        // an action whose prerequisite the match lacks (move from tp_src without tcp/udp) -> OFPBAC_MATCH_INCONSISTENT (2,10)
        Wire.Writer inc = new Wire.Writer(4, OfType.FLOW_MOD, 9);
        inc.u64(0).u64(0).u8(0).u8(0).u16(0).u16(0).u16(1).u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        FlowModCodec.writeOxmMatch(new io.xvio.datapath.Match(), inc);
        OfActions.encodeInstructions(List.of(new Move(io.xvio.datapath.Field.TP_SRC, 0, io.xvio.datapath.Field.REG0, 0, 8)), 4, inc);
        assertArrayEquals(new int[] {2, 10}, errorOf(c.handle(inc.finish())));
        assertEquals(0, sw.flows.size());
    }

    @Test
    void openFlow10SendsNiciraVendorErrorsWhereItHasNoCode() {
        OfConnection c = connected(new MemorySwitch(), OfVersion.OF10);
        // NXT_FLOW_MOD with an unknown NXM field (class 1, field 127)
        Wire.Writer w = new Wire.Writer(1, OfType.VENDOR, 3);
        w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_FLOW_MOD).u64(0).u16(0).u16(0).u16(0).u16(1).u32(0xffffffffL).u16(0xffff).u16(0)
                .u16(8).zeros(6).u32(1L << 16 | 127 << 9 | 4).u32(0);
        byte[] err = c.handle(w.finish()).getFirst();
        Wire.Reader r = new Wire.Reader(err);
        r.skip(8);
        assertEquals(0xb0c2, r.u16());
        assertEquals(0, r.u16());
        assertEquals(OfVersion.NX_VENDOR, r.u32());
        assertEquals(0, r.u16());           // NX1.0(0,263): OFPBMC_BAD_FIELD
        assertEquals(263, r.u16());
    }

    @Test
    void flowStatsSplitOverMessagesOf64KiB() {
        MemorySwitch sw = new MemorySwitch();
        for (int i = 0; i < 3000; i++) sw.flows.add(FlowParser.parse("priority=" + i + ",ip,nw_src=10.0." + (i / 250) + "." + (i % 250) + ",actions=output:2"));
        OfConnection c = connected(sw, OfVersion.OF13);
        Wire.Writer w = new Wire.Writer(4, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_FLOW).u16(0).zeros(4).u8(0xff).zeros(3).u32(0xffffffffL).u32(0xffffffffL).zeros(4).u64(0).u64(0).u16(1).u16(4).zeros(4);
        List<byte[]> replies = c.handle(w.finish());
        assertTrue(replies.size() > 1);
        int entries = 0;
        for (int i = 0; i < replies.size(); i++) {
            byte[] m = replies.get(i);
            assertEquals(m.length, ((m[2] & 0xff) << 8) | (m[3] & 0xff));
            assertEquals(i < replies.size() - 1 ? 1 : 0, m[11]);   // REPLY_MORE on all but the last
            Wire.Reader r = new Wire.Reader(m);
            r.skip(16);
            while (r.remaining() > 0) { int len = r.peek16(); r.skip(len); entries++; }
        }
        assertEquals(3000, entries);
    }
}
