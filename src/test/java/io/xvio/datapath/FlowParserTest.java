package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xvio.datapath.Field.*;
import static org.junit.jupiter.api.Assertions.*;

class FlowParserTest {
    private static final long P = FlowKey.VLAN_PRESENT;

    private static Match match(String m) {
        return FlowParser.parse(m + " actions=drop").match;
    }

    private static Match expect(Object... fieldValueMask) {
        Match m = new Match();
        for (int i = 0; i < fieldValueMask.length; i += 3)
            m.setWord((Integer) fieldValueMask[i], ((Number) fieldValueMask[i + 1]).longValue(), ((Number) fieldValueMask[i + 2]).longValue());
        return m;
    }

    private static List<Action> actions(String a) {
        return FlowParser.parse("actions=" + a).actions;
    }

    private static FlowSyntaxException bad(String flow) {
        return assertThrows(FlowSyntaxException.class, () -> FlowParser.parse(flow));
    }

    private static void bad(String flow, int position, String messagePart) {
        FlowSyntaxException e = bad(flow);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        assertEquals(position, e.position(), e.getMessage());
    }

    private static final int IP4 = FlowKey.DL_TYPE;

    // ------------------------------------------------------------------------------------------ attributes

    @Test
    void attributesAndDefaults() {
        Flow f = FlowParser.parse("in_port=1,actions=output:2");
        assertEquals(0, f.table);
        assertEquals(Flow.DEFAULT_PRIORITY, f.priority);
        assertEquals(0, f.cookie);
        assertEquals(0, f.idleTimeout);
        assertEquals(0, f.hardTimeout);
        assertEquals(List.of(new Output(2)), f.actions);
        assertEquals("in_port=1,actions=output:2", f.text());

        f = FlowParser.parse("  table=3 priority=7,cookie=0xabc idle_timeout=10,hard_timeout=20 actions=NORMAL  ");
        assertEquals(3, f.table);
        assertEquals(7, f.priority);
        assertEquals(0xabc, f.cookie);
        assertEquals(10, f.idleTimeout);
        assertEquals(20, f.hardTimeout);
        assertEquals(List.of(new Normal()), f.actions);
        assertEquals(new Match(), f.match);

        assertEquals(-1L, FlowParser.parse("cookie=0xffffffffffffffff,actions=drop").cookie);
        assertEquals(0, FlowParser.parse("priority=0,actions=drop").priority);
        assertEquals(65535, FlowParser.parse("priority=65535,actions=drop").priority);
        assertEquals(254, FlowParser.parse("table=254,actions=drop").table);
    }

    @Test
    void keywordsAreCaseInsensitiveAndSeparatorsFlexible() {
        Flow f = FlowParser.parse("Priority=5\tTCP\n,NW_DST=10.0.0.1 ,TP_DST=22 ACTIONS=Output:2, In_Port ,normal");
        assertEquals(5, f.priority);
        assertEquals(match("tcp,nw_dst=10.0.0.1,tp_dst=22"), f.match);
        assertEquals(List.of(new Output(2), new InPort(), new Normal()), f.actions);
        assertEquals(FlowParser.parse("action=drop").actions, List.of());
        assertEquals(match("in_port=4"), match("in_port:4"));
    }

    @Test
    void dumpFlowsOutputParsesBack() {
        Flow f = FlowParser.parse("cookie=0x5, duration=12.345s, table=2, n_packets=7, n_bytes=700, idle_timeout=30, idle_age=3, hard_age=4, priority=9,ip,nw_src=1.2.3.4 actions=output:1");
        assertEquals(5, f.cookie);
        assertEquals(2, f.table);
        assertEquals(30, f.idleTimeout);
        assertEquals(9, f.priority);
        assertEquals(match("ip,nw_src=1.2.3.4"), f.match);
    }

    // ------------------------------------------------------------------------------------------ fields

    @Test
    void portsMacsAndTypes() {
        assertEquals(expect(FlowKey.IN_PORT, 7, 0xffff), match("in_port=7"));
        assertEquals(expect(FlowKey.DL_SRC, 0x0a0b0c0d0e0fL, 0xffffffffffffL), match("dl_src=0a:0b:0c:0d:0e:0f"));
        assertEquals(expect(FlowKey.DL_DST, 0x010000000000L, 0x010000000000L), match("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"));
        assertEquals(expect(FlowKey.DL_SRC, 0xaabbccddeeffL, 0xffffffffffffL), match("eth_src=AA:BB:CC:DD:EE:FF"));
        assertEquals(expect(FlowKey.DL_DST, 0x0102030405L, 0xffffffffffffL), match("eth_dst=0:1:2:3:4:5"));
        assertEquals(expect(IP4, 0x88cc, 0xffff), match("dl_type=0x88cc"));
        assertEquals(expect(IP4, 0x0800, 0xffff), match("eth_type=2048"));
    }

    @Test
    void vlanViews() {
        assertEquals(expect(FlowKey.VLAN_TCI, 10 | P, 0x0fff | P), match("dl_vlan=10"));
        assertEquals(expect(FlowKey.VLAN_TCI, 0, 0xffff), match("dl_vlan=0xffff"));
        assertEquals(expect(FlowKey.VLAN_TCI, (5 << 13) | P, 0xe000 | P), match("dl_vlan_pcp=5"));
        assertEquals(expect(FlowKey.VLAN_TCI, (5 << 13) | P | 10, 0xffff), match("dl_vlan=10,dl_vlan_pcp=5"));
        assertEquals(expect(FlowKey.VLAN_TCI, P, P), match("vlan_tci=0x1000/0x1000"));
        assertEquals(expect(FlowKey.VLAN_TCI, 0x1064, 0xffff), match("vlan_tci=0x1064"));
        assertEquals(expect(FlowKey.VLAN_TCI, 0x1064, 0x1fff), match("vlan_vid=0x1064"));
        assertEquals(expect(FlowKey.VLAN_TCI, P, P), match("vlan_vid=0x1000/0x1000"));
        assertEquals(match("dl_vlan_pcp=3"), match("vlan_pcp=3"));
        bad("dl_vlan=4096,actions=drop", 8, "outside 0..4095");
        bad("dl_vlan_pcp=8,actions=drop", 12, "dl_vlan_pcp 8 is outside 0..7");
        bad("dl_vlan=0xffff,dl_vlan_pcp=1,actions=drop", 15, "\"dl_vlan_pcp\" contradicts");
    }

    @Test
    void ipv4Fields() {
        Match ip = expect(IP4, 0x0800, 0xffff);
        assertEquals(ip, match("ip"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_SRC, 0x0a000000L, 0xff000000L), match("ip,nw_src=10.1.2.3/8"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_DST, 0x0a000003L, 0xff0000ffL), match("ip,nw_dst=10.1.2.3/255.0.0.255"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_DST, 0xc0a80001L, 0xffffffffL), match("ip,ip_dst=192.168.0.1"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_SRC, 0xc0a80001L, 0xffffffffL), match("ipv4_src=192.168.0.1/32,dl_type=0x0800"));
        assertEquals(expect(IP4, 0x0800, 0xffff), match("ip,nw_src=1.2.3.4/0"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 47, 0xff), match("ip,nw_proto=47"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 47, 0xff), match("ip,ip_proto=47"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_TOS, 184, 0xff), match("ip,nw_tos=184"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_TOS, 184, 0xff), match("ip,ip_dscp=46"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_ECN, 3, 3), match("ip,nw_ecn=3"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_TTL, 64, 0xff), match("ip,nw_ttl=64"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_FRAG, 1, 3), match("ip,nw_frag=first"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_FRAG, 0, 3), match("ip,nw_frag=no"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_FRAG, 3, 3), match("ip,nw_frag=later"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_FRAG, 1, 1), match("ip,nw_frag=yes"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_FRAG, 0, 2), match("ip,nw_frag=not_later"));
        bad("ip,nw_tos=185,actions=drop", 10, "ECN bits");
        bad("ip,ip_dscp=64,actions=drop", 11, "outside 0..63");
        bad("ip,nw_ecn=4,actions=drop", 10, "does not fit in 2 bits");
        bad("ip,nw_src=1.2.3,actions=drop", 10, "\"1.2.3\" is not an IPv4 address");
        bad("ip,nw_src=1.2.3.256,actions=drop", 10, "is not an IPv4 address");
        bad("ip,nw_src=1.2.3.4/33,actions=drop", 18, "outside 0..32");
        bad("ip,nw_src=1.2.3.4/255.x.0.0,actions=drop", 18, "is not a prefix length or an IPv4 mask");
        bad("ip,nw_frag=sometimes,actions=drop", 11, "not one of no, yes, first, later, not_later");
    }

    @Test
    void transportFields() {
        Match tcp = expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 6, 0xff);
        assertEquals(tcp, match("tcp"));
        assertEquals(tcp, match("ip,nw_proto=6"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 17, 0xff, FlowKey.TP_SRC, 53, 0xffff), match("udp,tp_src=53"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 6, 0xff, FlowKey.TP_DST, 0x1000, 0xf000), match("tcp,tp_dst=0x1000/0xf000"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 6, 0xff, FlowKey.TP_DST, 80, 0xffff), match("tcp,tcp_dst=80"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 17, 0xff, FlowKey.TP_SRC, 80, 0xffff), match("udp,udp_src=80"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 132, 0xff, FlowKey.TP_SRC, 9, 0xffff), match("sctp,tp_src=9"));
        assertEquals(expect(IP4, 0x0800, 0xffff, FlowKey.NW_PROTO, 1, 0xff, FlowKey.TP_SRC, 8, 0xff, FlowKey.TP_DST, 0, 0xff),
                match("icmp,icmp_type=8,icmp_code=0"));
        assertEquals(match("icmp,icmp_type=8"), match("icmp,icmpv4_type=8"));
        assertEquals(expect(IP4, 0x86dd, 0xffff, FlowKey.NW_PROTO, 58, 0xff, FlowKey.TP_SRC, 128, 0xff), match("icmp6,icmp_type=128"));
        assertEquals(match("icmp6,icmp_type=128"), match("icmp6,icmpv6_type=128"));
        assertEquals(expect(IP4, 0x86dd, 0xffff, FlowKey.NW_PROTO, 6, 0xff), match("tcp6"));
        assertEquals(expect(IP4, 0x86dd, 0xffff, FlowKey.NW_PROTO, 17, 0xff), match("udp6"));
        assertEquals(expect(IP4, 0x86dd, 0xffff, FlowKey.NW_PROTO, 132, 0xff), match("sctp6"));
        bad("tcp,tp_dst=65536,actions=drop", 11, "does not fit in 16 bits");
        bad("icmp,icmp_type=256,actions=drop", 15, "does not fit in 8 bits");
        bad("tcp,udp_dst=53,actions=drop", 4, "\"udp_dst\" needs \"udp\" or \"udp6\"");
        bad("icmp6,icmpv4_type=8,actions=drop", 6, "needs \"icmp\" (ip,nw_proto=1)");
    }

    @Test
    void tcpFlags() {
        Match base = match("tcp");
        assertEquals(withWord(base, FlowKey.TCP_FLAGS, 0x002, 0x012), match("tcp,tcp_flags=+syn-ack"));
        assertEquals(withWord(base, FlowKey.TCP_FLAGS, 0x012, 0xfff), match("tcp,tcp_flags=syn|ack"));
        assertEquals(withWord(base, FlowKey.TCP_FLAGS, 0x100, 0x1ff), match("tcp,tcp_flags=0x100/0x1ff"));
        assertEquals(withWord(match("tcp6"), FlowKey.TCP_FLAGS, 0x004, 0xfff), match("tcp6,tcp_flags=4"));
        bad("tcp,tcp_flags=+syn+bogus,actions=drop", 19, "unknown TCP flag \"bogus\"");
        bad("tcp,tcp_flags=+syn+syn,actions=drop", 18, "given twice");
        bad("tcp,tcp_flags=0x1000,actions=drop", 14, "does not fit in 12 bits");
        bad("udp,tcp_flags=+syn,actions=drop", 4, "needs \"tcp\" or \"tcp6\"");
    }

    private static Match withWord(Match base, int w, long v, long m) {
        Match r = new Match();
        for (int i = 0; i < FlowKey.WORDS; i++) if (base.mask(i) != 0) r.setWord(i, base.value(i), base.mask(i));
        return r.setWord(w, v, m);
    }

    @Test
    void arpFields() {
        Match arp = expect(IP4, 0x0806, 0xffff);
        assertEquals(arp, match("arp"));
        assertEquals(withWord(arp, FlowKey.NW_PROTO, 2, 0xff), match("arp,arp_op=2"));
        assertEquals(withWord(arp, FlowKey.NW_PROTO, 2, 0xff), match("arp,nw_proto=2"));
        assertEquals(withWord(arp, FlowKey.NW_SRC, 0x0a000001L, 0xffffffffL), match("arp,arp_spa=10.0.0.1"));
        assertEquals(withWord(arp, FlowKey.NW_DST, 0x0a000000L, 0xffffff00L), match("arp,arp_tpa=10.0.0.0/24"));
        assertEquals(match("arp,arp_spa=10.0.0.1"), match("arp,nw_src=10.0.0.1"));
        bad("ip,arp_op=1,actions=drop", 3, "\"arp_op\" needs \"arp\"");
        bad("arp,arp_op=256,actions=drop", 11, "does not fit in 8 bits");
        bad("arp,ip_src=1.1.1.1,actions=drop", 4, "\"ip_src\" needs \"ip\"");
    }

    @Test
    void ipv6Fields() {
        Match m = match("ipv6,ipv6_src=2001:db8::1,ipv6_dst=fe80::/10");
        assertEquals(0x86dd, m.value(FlowKey.DL_TYPE));
        assertEquals(0x20010db800000000L, m.value(FlowKey.IPV6_SRC_HI));
        assertEquals(1L, m.value(FlowKey.IPV6_SRC_LO));
        assertEquals(-1L, m.mask(FlowKey.IPV6_SRC_HI));
        assertEquals(-1L, m.mask(FlowKey.IPV6_SRC_LO));
        assertEquals(0xfe80000000000000L, m.value(FlowKey.IPV6_DST_HI));
        assertEquals(0xffc0000000000000L, m.mask(FlowKey.IPV6_DST_HI));
        assertEquals(0L, m.mask(FlowKey.IPV6_DST_LO));
        Match n = match("ipv6,ipv6_src=::ffff:10.0.0.1/96");
        assertEquals(0L, n.value(FlowKey.IPV6_SRC_HI));
        assertEquals(0x0000ffff00000000L, n.value(FlowKey.IPV6_SRC_LO));
        assertEquals(0xffffffff00000000L, n.mask(FlowKey.IPV6_SRC_LO));
        Match o = match("ipv6,ipv6_dst=::1/::ffff");
        assertEquals(0L, o.mask(FlowKey.IPV6_DST_HI));
        assertEquals(0xffffL, o.mask(FlowKey.IPV6_DST_LO));
        assertEquals(match("ipv6,ipv6_src=1:2:3:4:5:6:7:8"), match("ipv6,ipv6_src=0001:0002:0003:0004:0005:0006:0007:0008/128"));
        bad("ipv6,ipv6_src=1::2::3,actions=drop", 14, "is not an IPv6 address");
        bad("ipv6,ipv6_src=1:2:3:4:5:6:7:8:9,actions=drop", 14, "is not an IPv6 address");
        bad("ipv6,ipv6_src=12345::,actions=drop", 14, "is not an IPv6 address");
        bad("ipv6,ipv6_src=::/129,actions=drop", 17, "outside 0..128");
        bad("ip,ipv6_src=::1,actions=drop", 3, "needs \"ipv6\"");
        bad("ipv6,nw_src=1.1.1.1,actions=drop", 5, "\"nw_src\" needs \"ip\" or \"arp\"");
    }

    @Test
    void metadataAndRegisters() {
        assertEquals(expect(FlowKey.METADATA, 0x5, 0xff), match("metadata=0x5/0xff"));
        assertEquals(expect(FlowKey.METADATA, -1L, -1L), match("metadata=0xffffffffffffffff"));
        for (int r = 0; r < 8; r++) {
            // reg(2N) is the high half of xreg N's word, reg(2N+1) the low half (OVS's layout)
            int sh = r % 2 == 0 ? 32 : 0;
            assertEquals(expect(FlowKey.XREG0 + r / 2, 0x12L << sh, 0xffffffffL << sh), match("reg" + r + "=0x12"));
            assertEquals(expect(FlowKey.XREG0 + r / 2, 0x10L << sh, 0xf0L << sh), match("reg" + r + "=0x12/0xf0"));
        }
        bad("reg0=0x100000000,actions=drop", 5, "does not fit in 32 bits");
        bad("reg16=1,actions=drop", 0, "unknown field \"reg16\"");
        bad("metadata=0x10000000000000000,actions=drop", 9, "does not fit in 64 bits");
    }

    @Test
    void prerequisitesAreCheckedWhateverTheOrder() {
        assertEquals(match("tcp,tp_dst=80"), match("tp_dst=80,tcp"));
        assertEquals(match("ip,nw_src=1.2.3.4"), match("nw_src=1.2.3.4,dl_type=0x0800"));
        bad("nw_src=10.0.0.1,actions=drop", 0, "\"nw_src\" needs \"ip\" or \"arp\"");
        bad("in_port=1,nw_dst=10.0.0.1,actions=drop", 10, "\"nw_dst\" needs");
        bad("nw_proto=6,actions=drop", 0, "\"nw_proto\" needs \"ip\", \"ipv6\" or \"arp\"");
        bad("tp_dst=80,actions=drop", 0, "\"tp_dst\" needs \"tcp\", \"udp\" or \"sctp\"");
        bad("ip,tp_src=80,actions=drop", 3, "\"tp_src\" needs");
        bad("ip,nw_proto=47,tp_src=80,actions=drop", 15, "\"tp_src\" needs");
        bad("udp,icmp_type=3,actions=drop", 4, "\"icmp_type\" needs \"icmp\" or \"icmp6\"");
        bad("nw_ttl=3,actions=drop", 0, "\"nw_ttl\" needs \"ip\" or \"ipv6\"");
        bad("arp,nw_tos=4,actions=drop", 4, "\"nw_tos\" needs \"ip\" or \"ipv6\"");
        bad("ip_dscp=4,actions=drop", 0, "\"ip_dscp\" needs");
        bad("nw_ecn=1,actions=drop", 0, "\"nw_ecn\" needs");
        bad("arp_spa=1.1.1.1,actions=drop", 0, "\"arp_spa\" needs \"arp\"");
        bad("ipv6_dst=::1,actions=drop", 0, "\"ipv6_dst\" needs \"ipv6\"");
        bad("tcp_flags=+syn,actions=drop", 0, "\"tcp_flags\" needs");
        bad("nw_frag=yes,actions=drop", 0, "\"nw_frag\" needs");
        bad("dl_type=0x0800/0xffff,nw_src=1.1.1.1,actions=drop", 14, "\"dl_type\" cannot be masked");
    }

    // ------------------------------------------------------------------------------------------ actions

    @Test
    void outputsAndReservedPorts() {
        assertEquals(List.of(new Output(2), new Output(3)), actions("output:2,3"));
        assertEquals(List.of(new Output(4)), actions("output(4)"));
        assertEquals(List.of(new InPort(), new InPort()), actions("in_port,output:IN_PORT"));
        assertEquals(List.of(new Normal(), new Flood(false), new Flood(true)), actions("NORMAL,flood,All"));
        assertEquals(List.of(), actions("drop"));
        assertEquals(List.of(), actions(""));
        assertEquals(List.of(new Output(1), new Output(2)), actions(" 1 , 2 "));
        bad("actions=output:0", 15, "output port 0 is outside 1..65279");
        bad("actions=output:65280", 15, "outside 1..65279");
        bad("actions=output:x", 15, "output: unknown field \"x\"");
        bad("actions=output", 8, "\"output\" needs an argument");
        bad("actions=local", 8, "\"local\" is not supported");
        assertEquals(List.of(new Controller(100, null)), actions("controller:100"));
        bad("actions=output:2,drop", 17, "\"drop\" must not be accompanied");
        bad("actions=drop,2", 8, "\"drop\" must not be accompanied");
        bad("actions=normal:1", 15, "\"normal\" takes no argument");
        bad("actions=explode", 8, "unknown action \"explode\"");
        bad("in_port=1,actions=output:2,explode", 27, "unknown action \"explode\"");
    }

    /** Sixteen registers, xreg (two of them) and xxreg (four), pkt_mark: as OVS lays them out and prints them. */
    @Test
    void registerViewsShareTheirWords() {
        assertEquals(match("reg14=0x1,reg15=0x2"), match("xreg7=0x0000000100000002"));
        assertEquals(match("reg0=0x1,reg1=0x2,reg2=0x3,reg3=0x4"), match("xxreg0=0x00000001000000020000000300000004"));
        assertEquals(match("reg5=0xff/0xff"), match("xreg2=0xff/0xff"));
        assertEquals("reg14=0x1,reg15=0x2", FlowFormat.match(match("xreg7=0x0000000100000002")));
        assertEquals("pkt_mark=0x10/0xf0", FlowFormat.match(match("pkt_mark=0x10/0xf0")));
        assertEquals(List.of(new SetField(REG15, 7, 0xffffffffL)), actions("load:7->NXM_NX_REG15[]"));
        // a load into the middle of xxreg1 spans its two words
        SetField x = (SetField) actions("load:0xffff->NXM_NX_XXREG1[56..71]").getFirst();
        assertEquals(new SetField(XXREG1, 0xffL, 0xffL, 0xffL << 56, 0xffL << 56), x);
        assertEquals("load:0xffff->xxreg1[56..71]", FlowFormat.action(x));
        assertEquals("set_field:0x1->pkt_mark", FlowFormat.action(actions("set_field:1->pkt_mark").getFirst()));
        assertEquals("load:0x5->reg9[4..7]", FlowFormat.action(actions("load:5->reg9[4..7]").getFirst()));
        bad("actions=load:1->reg16[]", 16, "unknown field \"reg16\"");
        bad("xxreg0=0x1ffffffffffffffffffffffffffffffff,actions=drop", 7, "does not fit in 128 bits");
    }

    /** OVS's check_SET_FIELD: set_field on vlan_vid needs a tag where it runs (match, push_vlan, strip_vlan in order). */
    @Test
    void setFieldOnVlanVidNeedsATag() {
        bad("actions=set_field:4096->vlan_vid", 24, "set_field: \"vlan_vid\" lacks correct prerequisites");
        bad("dl_vlan=5,actions=strip_vlan,set_field:4097->vlan_vid", 45, "lacks correct prerequisites");
        bad("vlan_tci=0x0000/0x1000,actions=set_field:4097->vlan_vid", 47, "lacks correct prerequisites");
        assertEquals(2, FlowParser.parse("actions=push_vlan:0x8100,set_field:4097->vlan_vid").actions.size());
        assertEquals(2, FlowParser.parse("actions=mod_vlan_vid:3,set_field:4097->vlan_vid").actions.size());
        assertEquals(1, FlowParser.parse("vlan_tci=0x1000/0x1000,actions=set_field:4097->vlan_vid").actions.size());
        // dl_vlan and vlan_pcp add a tag when there is none (as mod_vlan_vid), so they need none
        assertEquals(1, FlowParser.parse("actions=set_field:7->dl_vlan").actions.size());
        assertEquals(List.of(new SetField(VLAN_TCI, 0, 0xffff)), FlowParser.parse("dl_vlan=7,actions=set_field:0xffff->dl_vlan").actions);
    }

    @Test
    void vlanActions() {
        assertEquals(List.of(new SetField(VLAN_TCI, 10 | P, 0x0fff | P)), actions("mod_vlan_vid:10"));
        assertEquals(List.of(new SetField(VLAN_TCI, (3 << 13) | P, 0xe000 | P)), actions("mod_vlan_pcp:3"));
        assertEquals(List.of(new StripVlan(), new StripVlan()), actions("strip_vlan,pop_vlan"));
        assertEquals(List.of(new PushVlan(0x8100), new PushVlan(0x88a8)), actions("push_vlan:0x8100,push_vlan:0x88a8"));
        assertEquals(actions("mod_vlan_vid:100"), FlowParser.parse("dl_vlan=5,actions=set_field:4196->vlan_vid").actions);
        // OXM's vlan_vid without the 4096 (present) bit removes the tag, as in OVS
        assertEquals(List.of(new SetField(VLAN_TCI, 100, 0x1fff)), FlowParser.parse("dl_vlan=5,actions=set_field:100->vlan_vid").actions);
        assertEquals(actions("mod_vlan_pcp:2"), actions("set_field:2->dl_vlan_pcp"));
        assertEquals(actions("mod_vlan_pcp:2"), FlowParser.parse("dl_vlan=3,actions=set_field:2->vlan_pcp").actions);
        bad("actions=set_field:2->vlan_pcp", 21, "lacks correct prerequisites");
        bad("actions=mod_vlan_vid:4096", 21, "mod_vlan_vid 4096 is outside 0..4095");
        bad("actions=mod_vlan_pcp:8", 21, "outside 0..7");
        bad("actions=push_vlan:0x0800", 18, "must be 0x8100 or 0x88a8");
    }

    @Test
    void rewriteActions() {
        assertEquals(List.of(new SetField(DL_SRC, 0x020000000001L, 0xffffffffffffL),
                        new SetField(DL_DST, 0x020000000002L, 0xffffffffffffL)),
                actions("mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:00:02"));
        assertEquals(List.of(new SetField(NW_SRC, 0x0a000001L, 0xffffffffL), new SetField(NW_DST, 0x0a000002L, 0xffffffffL)),
                actions("mod_nw_src:10.0.0.1,mod_nw_dst:10.0.0.2"));
        assertEquals(List.of(new SetField(TP_SRC, 1000, 0xffff), new SetField(TP_DST, 2000, 0xffff)),
                actions("mod_tp_src:1000,mod_tp_dst:2000"));
        assertEquals(List.of(new SetField(NW_TOS, 184, 0xff), new SetField(NW_TTL, 9, 0xff), new DecTtl()),
                actions("mod_nw_tos:184,mod_nw_ttl:9,dec_ttl"));
        bad("actions=mod_nw_tos:185", 19, "ECN bits");
        bad("actions=mod_dl_src:02:00:00:00:00", 19, "is not a MAC address");
        bad("actions=mod_nw_dst:10.0.0", 19, "is not an IPv4 address");
        bad("actions=mod_tp_src:70000", 19, "outside 0..65535");
        // OVS's dec_ttl(IDS): the controllers an invalid_ttl packet-in goes to (plain dec_ttl and dec_ttl() are id 0)
        assertEquals(List.of(new DecTtl(List.of(1, 2), true), new DecTtl(), new DecTtl()), actions("dec_ttl(1,2),dec_ttl(),dec_ttl"));
        assertEquals("dec_ttl(1,2),dec_ttl", io.xvio.datapath.action.ActionSyntax.format(FlowParser.parse("ip,actions=dec_ttl(1,2),dec_ttl()").actions));
        bad("actions=dec_ttl(1,x)", 18, "dec_ttl controller id");
        bad("actions=dec_ttl(70000)", 16, "dec_ttl controller id");
    }

    @Test
    void setFieldLoadAndMove() {
        assertEquals(List.of(new SetField(NW_DST, 0x0a000001L, 0xffffffffL)), FlowParser.parse("ip,actions=set_field:10.0.0.1->nw_dst").actions);
        assertEquals(List.of(new SetField(NW_DST, 0x0a000000L, 0xff000000L)), FlowParser.parse("ip,actions=set_field:10.1.1.1/8->ip_dst").actions);
        assertEquals(List.of(new SetField(REG0, 0x12L << 32, 0xffL << 32)), actions("set_field:0x12/0xff->reg0"));
        assertEquals(List.of(new SetField(METADATA, 5, -1L)), actions("set_field:5->metadata"));
        assertEquals(List.of(new SetField(DL_SRC, 0x020000000001L, 0xffffffffffffL)), actions("set_field:02:00:00:00:00:01->eth_src"));
        assertEquals(List.of(new SetField(TP_DST, 80, 0xffff)), FlowParser.parse("tcp,actions=set_field:80->tcp_dst").actions);
        assertEquals(List.of(new SetField(NW_TOS, 184, 0xff)), FlowParser.parse("ip,actions=set_field:46->ip_dscp").actions);
        assertEquals(List.of(new SetField(IPV6_SRC, 0x20010db800000000L, -1L, 1L, -1L)),
                FlowParser.parse("ipv6,actions=set_field:2001:db8::1->ipv6_src").actions);
        assertEquals(List.of(new SetField(ARP_TPA, 0x0a000001L, 0xffffffffL)), FlowParser.parse("arp,actions=set_field:10.0.0.1->arp_tpa").actions);

        assertEquals(List.of(new SetField(REG0, 0x50L << 32, 0xf0L << 32)), actions("load:0x5->NXM_NX_REG0[4..7]"));
        assertEquals(List.of(new SetField(REG1, 0x5, 0xffffffffL)), actions("load:5->reg1[]"));
        assertEquals(List.of(new SetField(REG1, 0x5, 0xffffffffL)), actions("load:5->reg1"));
        assertEquals(List.of(new SetField(REG2, 1L << 63, 1L << 63)), actions("load:1->reg2[31]"));
        assertEquals(List.of(new SetField(METADATA, -1L, -1L)), actions("load:0xffffffffffffffff->OXM_OF_METADATA[]"));
        assertEquals(List.of(new SetField(DL_DST, 0x020000000000L, 0xffffffffffffL)), actions("load:0x020000000000->NXM_OF_ETH_DST[]"));
        assertEquals(List.of(new SetField(IPV6_DST, 1L << 63, 1L << 63, 0, 0)), FlowParser.parse("ipv6,actions=load:1->ipv6_dst[127]").actions);
        assertEquals(List.of(new SetField(IPV6_DST, 0, 0, 3, 3)), FlowParser.parse("ipv6,actions=load:3->ipv6_dst[0..1]").actions);

        assertEquals(List.of(new Move(REG0, 0, REG1, 16, 16)), actions("move:reg0[0..15]->reg1[16..31]"));
        assertEquals(List.of(new Move(DL_SRC, 0, DL_DST, 0, 48)), actions("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]"));
        assertEquals(List.of(new Move(IN_PORT, 0, REG3, 0, 16)), actions("move:in_port[]->reg3[0..15]"));
        assertEquals(List.of(new Move(NW_SRC, 0, NW_DST, 0, 32)), FlowParser.parse("ip,actions=move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[]").actions);

        bad("actions=set_field:10.0.0.1->nw_dst", 28, "set_field: \"nw_dst\" needs \"ip\" (dl_type=0x0800)");
        // on ARP, nw_dst is arp_tpa in a match (as in OVS) but not in an action: OVS's set_field nw_dst is ip_dst
        assertEquals("arp_tpa=10.0.0.2", FlowFormat.match(FlowParser.parse("arp,nw_dst=10.0.0.2,actions=drop").match).replaceFirst("^arp,", ""));
        bad("arp,actions=set_field:10.0.0.1->nw_dst", 32, "set_field: \"nw_dst\" needs \"ip\" (dl_type=0x0800)");
        bad("arp,actions=load:1->NXM_OF_IP_SRC[]", 20, "needs \"ip\" (dl_type=0x0800)");
        // in_port is set in the key only, as OVS lets a flow set it (OVN's loopback: push, load 0, resubmit, pop)
        assertEquals(List.of(new SetField(IN_PORT, 0, 0xffff)), actions("load:0->NXM_OF_IN_PORT[]"));
        bad("actions=set_field:0x800->dl_type", 25, "\"dl_type\" cannot be set");
        bad("ip,actions=set_field:6->nw_proto", 24, "\"nw_proto\" cannot be set");
        bad("actions=set_field:1->bogus", 21, "unknown field \"bogus\"");
        bad("actions=set_field:1", 18, "needs \"VALUE->FIELD\"");
        bad("actions=set_field:0x100000000->reg0", 18, "does not fit in 32 bits");
        bad("actions=load:0x10->reg0[0..3]", 13, "does not fit in 4 bits");
        bad("actions=load:1->reg0[0..32]", 24, "outside 0..31");
        bad("actions=load:1->reg0[5..2]", 21, "runs backwards");
        bad("actions=load:1->reg0[0..3", 8, "unbalanced brackets");
        bad("actions=load:1->NXM_OF_ETH_TYPE[]", 16, "cannot be set");
        bad("actions=load:1->NXM_OF_IP_SRC[]", 16, "load: \"NXM_OF_IP_SRC\" needs \"ip\"");
        bad("actions=load:x->reg0[]", 13, "load value \"x\" is not a number");
        bad("actions=move:reg0[0..7]->reg1[0..15]", 13, "source is 8 bits wide but destination is 16 bits wide");
        bad("actions=move:nw_src[]->reg0[]", 13, "move: \"nw_src\" needs");
        bad("ipv6,actions=move:ipv6_src[0..31]->reg0[]", 18, "128-bit fields");
        assertEquals(List.of(new SetField(NW_TOS, 0x28, 0xfc)), FlowParser.parse("ip,actions=load:10->nw_tos[2..7]").actions);
        bad("ip,actions=load:1->nw_tos[0..1]", 16, "ECN bits");
        bad("ip,actions=move:reg0[0..7]->nw_tos[]", 28, "ECN bits");
        bad("ip,actions=move:reg0[0..7]->nw_proto[]", 28, "move: \"nw_proto\" cannot be set");
    }

    @Test
    void resubmitGotoTableAndWriteMetadata() {
        assertEquals(List.of(new Resubmit(-1, 2), new Resubmit(3, -1), new Resubmit(4, 5), new Resubmit(6, -1)),
                actions("resubmit(,2),resubmit:3,resubmit(4,5),resubmit(6,)"));
        assertEquals(List.of(new Resubmit(-1, 1)), actions("resubmit(in_port,1)"));
        assertEquals(List.of(new Output(1), new WriteMetadata(0x1, 0xff), new GotoTable(3)),
                actions("output:1,write_metadata:0x1/0xff,goto_table:3"));
        assertEquals(List.of(new WriteMetadata(0x5, -1L)), actions("write_metadata:5"));
        assertEquals(List.of(new GotoTable(9)), FlowParser.parse("table=8,actions=goto_table:9").actions);
        bad("actions=resubmit(,)", 17, "needs a port or a table");
        bad("actions=resubmit(1,2,ct)", 17, "extra arguments");
        bad("actions=resubmit(,255)", 18, "resubmit table 255 is outside 0..254");
        bad("actions=resubmit(,1)x", 20, "unexpected \"x\"");
        bad("actions=resubmit(,1))", 20, "unbalanced \")\"");
        bad("actions=goto_table:0", 19, "must name a later table than this flow's table 0");
        bad("table=5,actions=goto_table:5", 27, "later table");
        bad("actions=goto_table:2,output:1", 8, "goto_table must be the last action");
        bad("actions=goto_table:2,goto_table:3", 8, "goto_table must be the last action");
        bad("actions=write_metadata:1,output:1", 8, "write_metadata may only be followed by goto_table");
        bad("actions=write_metadata:1/0x10000000000000000", 25, "does not fit in 64 bits");
    }

    // ------------------------------------------------------------------------------------------ errors

    @Test
    void errorsNameTheTokenAndPosition() {
        bad("in_port=1,dl_vlam=5,actions=drop", 10, "unknown field \"dl_vlam\"");
        bad("in_port=x,actions=drop", 8, "in_port \"x\" is not a number");
        bad("in_port=1", 9, "missing \"actions=\"");
        bad("in_port=1 actions output:1", 10, "write \"actions=\"");
        bad("in_port=,actions=drop", 8, "\"in_port\" needs a value");
        bad("in_port,actions=drop", 0, "\"in_port\" needs a value");
        bad("=1,actions=drop", 0, "missing field name");
        bad("tcp=1,actions=drop", 0, "shorthand and takes no value");
        bad("priority=70000,actions=drop", 9, "priority 70000 is outside 0..65535");
        bad("priority=1,priority=2,actions=drop", 11, "\"priority\" is given twice");
        bad("table=255,actions=drop", 6, "table 255 is outside 0..254");
        bad("idle_timeout=-1,actions=drop", 13, "is not a number");
        bad("cookie=0x5/0xff,actions=drop", 10, "cannot use a cookie mask");
        bad("out_port=1,actions=drop", 0, "\"out_port\" selects flows");
        bad("tcp,udp,actions=drop", 4, "\"udp\" contradicts");
        bad("in_port=1,in_port=2,actions=drop", 10, "\"in_port\" contradicts");
        bad("ip,arp,actions=drop", 3, "contradicts");
        bad(null).position();
        assertEquals(0, bad("").position());
        assertEquals(match("in_port=1"), match("in_port=1,in_port=1"));
    }

    @Test
    void aBadFlowYieldsNothing() {
        // the whole flow is rejected, whatever part is bad
        for (String s : List.of("in_port=1,actions=output:2,bogus", "nw_src=1.1.1.1,actions=output:2", "in_port=1,actions=drop,drop,1"))
            assertThrows(FlowSyntaxException.class, () -> FlowParser.parse(s), s);
    }

    // ------------------------------------------------------------------------------------------ format

    @Test
    void formatLooksLikeOvsAndParsesBack() {
        String[][] cases = {
                {"in_port=1,actions=output:2", "in_port=1 actions=output:2"},
                {"priority=10,dl_type=0x0800,nw_proto=6,tp_dst=80,nw_src=10.0.0.0/255.0.0.0,actions=mod_dl_src:02:00:00:00:00:01,dec_ttl,output:3",
                        "priority=10,tcp,nw_src=10.0.0.0/8,tp_dst=80 actions=mod_dl_src:02:00:00:00:00:01,dec_ttl,output:3"},
                {"table=1,cookie=0x5,udp6,ipv6_src=fe80::1/64,tp_src=0x100/0xff00,actions=resubmit(,2),resubmit:3,resubmit(4,5)",
                        "table=1,cookie=0x5,udp6,ipv6_src=fe80::/64,tp_src=0x100/0xff00 actions=resubmit(,2),resubmit:3,resubmit(4,5)"},
                {"arp,arp_op=1,arp_tpa=10.0.0.0/255.0.255.0 actions=flood", "arp,arp_tpa=10.0.0.0/255.0.255.0,arp_op=1 actions=FLOOD"},
                {"dl_vlan=10,dl_vlan_pcp=3,actions=strip_vlan,push_vlan:0x88a8,mod_vlan_vid:20,mod_vlan_pcp:5,normal",
                        "dl_vlan=10,dl_vlan_pcp=3 actions=strip_vlan,push_vlan:0x88a8,mod_vlan_vid:20,mod_vlan_pcp:5,NORMAL"},
                {"dl_vlan=0xffff actions=all", "vlan_tci=0x0000 actions=ALL"},
                {"icmp,vlan_tci=0x1000/0x1000,icmp_type=8,icmp_code=0 actions=in_port", "icmp,vlan_tci=0x1000/0x1000,icmp_type=8,icmp_code=0 actions=IN_PORT"},
                {"icmp6,icmp_type=128,nw_ttl=64,ip_dscp=46,nw_ecn=1,nw_frag=first actions=drop", "icmp6,nw_tos=184,nw_ecn=1,nw_ttl=64,nw_frag=first,icmp_type=128 actions=drop"},
                {"tcp,tcp_flags=+syn-ack,metadata=0x5/0xff,reg3=0x10,actions=load:0x5->NXM_NX_REG0[4..7],move:reg1[0..15]->tp_dst[],write_metadata:0x1/0x1,goto_table:3",
                        "tcp,reg3=0x10,metadata=0x5/0xff,tcp_flags=+syn-ack actions=load:0x5->reg0[4..7],move:reg1[0..15]->tp_dst[0..15],write_metadata:0x1/0x1,goto_table:3"},
                {"idle_timeout=5,hard_timeout=6,priority=0,actions=drop", "idle_timeout=5,hard_timeout=6,priority=0 actions=drop"},
                {"actions=drop", "actions=drop"},
                {"ipv6,ipv6_dst=2001:db8:0:0:1:0:0:1,actions=set_field:::1->ipv6_src", "ipv6,ipv6_dst=2001:db8::1:0:0:1 actions=set_field:::1->ipv6_src"},
        };
        for (String[] c : cases) {
            Flow f = FlowParser.parse(c[0]);
            String text = FlowFormat.format(f, 0, false);
            assertEquals(c[1], text, c[0]);
            Flow g = FlowParser.parse(text);
            assertEquals(f.match, g.match, text);
            assertEquals(f.actions, g.actions, text);
            assertEquals(f.priority, g.priority, text);
            assertEquals(f.table, g.table, text);
            assertEquals(f.cookie, g.cookie, text);
        }
    }

    @Test
    void dumpFlowsLine() {
        Flow f = FlowParser.parse("table=2,priority=100,idle_timeout=9,tcp,tp_dst=22,actions=output:3");
        String line = FlowFormat.format(f, f.createdNanos() + 1_500_000_000L, true);
        assertTrue(line.matches("cookie=0x0, duration=1\\.500s, table=2, n_packets=0, n_bytes=0, idle_timeout=9, idle_age=1, priority=100,tcp,tp_dst=22 actions=output:3"), line);
        Flow g = FlowParser.parse(line);
        assertEquals(f.match, g.match);
        assertEquals(f.table, g.table);
        line = FlowFormat.format(FlowParser.parse("actions=NORMAL"), f.createdNanos(), true);
        assertTrue(line.endsWith("idle_age=0, actions=NORMAL"), line);
    }

    // ------------------------------------------------------------------------------------------ specs

    @Test
    void specsSelectLikeOpenFlow() {
        Flow a = FlowParser.parse("priority=10,tcp,nw_dst=10.0.0.1,tp_dst=80,actions=output:2");
        Flow b = FlowParser.parse("table=1,cookie=0x15,priority=20,ip,nw_dst=10.0.0.0/8,actions=output:3");
        Flow c = FlowParser.parse("in_port=1,actions=output:2");
        List<Flow> all = List.of(a, b, c);

        assertEquals(all, all.stream().filter(FlowParser.parseSpec("", false)::selects).toList());
        assertEquals(List.of(a, b), all.stream().filter(FlowParser.parseSpec("ip", false)::selects).toList());
        assertEquals(List.of(a), all.stream().filter(FlowParser.parseSpec("ip,nw_dst=10.0.0.0/24", false)::selects).toList());
        assertEquals(List.of(a), all.stream().filter(FlowParser.parseSpec("tcp", false)::selects).toList());
        assertEquals(List.of(b), all.stream().filter(FlowParser.parseSpec("table=1", false)::selects).toList());
        assertEquals(List.of(b), all.stream().filter(FlowParser.parseSpec("cookie=0x10/0xf0", false)::selects).toList());
        assertEquals(List.of(), all.stream().filter(FlowParser.parseSpec("cookie=0x10", false)::selects).toList());
        assertEquals(List.of(a, c), all.stream().filter(FlowParser.parseSpec("out_port=2", false)::selects).toList());

        // strict: same match and priority (32768 unless given)
        assertEquals(List.of(), all.stream().filter(FlowParser.parseSpec("ip", true)::selects).toList());
        assertEquals(List.of(c), all.stream().filter(FlowParser.parseSpec("in_port=1", true)::selects).toList());
        assertEquals(List.of(), all.stream().filter(FlowParser.parseSpec("priority=1,in_port=1", true)::selects).toList());
        assertEquals(List.of(a), all.stream().filter(FlowParser.parseSpec("priority=10,tcp,tp_dst=80,nw_dst=10.0.0.1", true)::selects).toList());
        assertEquals(List.of(b), all.stream().filter(FlowParser.parseSpec("priority=20,ip,nw_dst=10.0.0.0/8", true)::selects).toList());
        assertEquals(List.of(), all.stream().filter(FlowParser.parseSpec("table=0,priority=20,ip,nw_dst=10.0.0.0/8", true)::selects).toList());
        assertEquals(List.of(), all.stream().filter(FlowParser.parseSpec("cookie=0x15/0xff,priority=20,ip,nw_dst=10.0.0.0/16", true)::selects).toList());
    }

    @Test
    void specsParseTheirParts() {
        FlowSpec s = FlowParser.parseSpec("table=3,cookie=0x5/0xff,priority=7,out_port=4,udp", true);
        assertEquals(3, s.table());
        assertEquals(0x5, s.cookie());
        assertEquals(0xff, s.cookieMask());
        assertEquals(7, s.priority());
        assertEquals(4, s.outPort());
        assertTrue(s.strict());
        assertFalse(s.hasActions());
        assertEquals(match("udp"), s.match());
        s = FlowParser.parseSpec("", false);
        assertEquals(FlowSpec.ALL_TABLES, s.table());
        assertEquals(0, s.cookieMask());
        assertEquals(Flow.DEFAULT_PRIORITY, s.priority());
        assertEquals(FlowSpec.ALL_TABLES, FlowParser.parseSpec("table=255", false).table());
        s = FlowParser.parseSpec("in_port=1 actions=output:2", false);
        assertEquals(List.of(new Output(2)), s.actions());
        assertEquals("in_port=1 actions=output:2", FlowFormat.spec(s));
        assertEquals("table=3,cookie=0x5/0xff,priority=7,out_port=4,udp", FlowFormat.spec(FlowParser.parseSpec("table=3,cookie=0x5/0xff,priority=7,out_port=4,udp", true)));
        FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parseSpec("nw_src=1.2.3.4", false));
        assertEquals(0, e.position());
        e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parseSpec("ip,bogus", false));
        assertEquals(3, e.position());
    }

    @Test
    void neighbourDiscoveryFieldsAreWritableWithOvsPrerequisites() {
        String ns = "icmp6,icmp_type=135,icmp_code=0,actions=", na = "icmp6,icmp_type=136,actions=";
        // set_field, load and move into and out of them, formatted as dump-flows shows them and parsed back
        for (String flow : List.of(ns + "set_field:2001:db8::5->nd_target,set_field:02:00:00:00:00:aa->nd_sll,load:0x1234->nd_sll[0..15]",
                ns + "move:nd_sll[]->dl_src[],move:xxreg0[]->nd_target[],move:nd_target[]->xxreg1[]",
                na + "set_field:02:00:00:00:00:bb->nd_tll,set_field:00:00:00:00:00:07/00:00:00:00:00:ff->nd_tll,set_field:::1/::ffff->nd_target",
                na + "load:0x5->NXM_NX_ND_TLL[40..47],move:reg0[0..15]->OXM_OF_IPV6_ND_TLL[0..15],load:0x1->NXM_NX_ND_TARGET[0..7]")) {
            Flow f = FlowParser.parse(flow);
            String text = FlowFormat.format(f, 0, false);
            assertEquals(f.actions, FlowParser.parse(text).actions, flow + " formatted as " + text);
        }
        assertEquals(List.of(new SetField(ND_SLL, ND_SLL.put(0x0200000000aaL), ND_SLL.fullMask())),
                FlowParser.parse(ns + "set_field:02:00:00:00:00:aa->nd_sll").actions);
        assertEquals("set_field:02:00:00:00:00:aa->nd_sll", FlowParser.parse(ns + "set_field:02:00:00:00:00:aa->nd_sll").actions.getFirst().format());
        assertEquals("set_field:2001:db8::5->nd_target", FlowParser.parse(ns + "set_field:2001:db8::5->nd_target").actions.getFirst().format());
        // OVS's prerequisites: nd_target a solicitation or advertisement, nd_sll a solicitation, nd_tll an advertisement
        FlowParser.parse("icmp6,icmp_type=136,icmp_code=0,actions=set_field:::1->nd_target");
        FlowParser.parse("icmp6,icmp_type=135,nd_sll=02:00:00:00:00:01,actions=set_field:::1->nd_target");
        bad("icmp6,actions=set_field:::1->nd_target", 29, "needs \"icmp6,icmp_type=135\" or \"icmp6,icmp_type=136\"");
        bad("ipv6,actions=set_field:::1->nd_target", 28, "nd_target");
        bad("icmp6,icmp_type=128,actions=set_field:::1->nd_target", 43, "nd_target");
        bad("icmp6,icmp_type=135,icmp_code=1,actions=set_field:::1->nd_target", 55, "and icmp_code 0");
        bad("icmp6,icmp_type=136,actions=set_field:02:00:00:00:00:01->nd_sll", 57, "a neighbor solicitation");
        bad("icmp6,icmp_type=135,actions=set_field:02:00:00:00:00:01->nd_tll", 57, "a neighbor advertisement");
        bad("icmp6,icmp_type=136,actions=load:1->NXM_NX_ND_SLL[0..7]", 36, "a neighbor solicitation");
        bad("icmp6,icmp_type=135,actions=move:NXM_NX_ND_TLL[]->dl_src[]", 33, "a neighbor advertisement");
        bad("icmp6,actions=move:nd_target[]->xxreg0[]", 19, "nd_target");
    }
}
