package io.xvio.e2e;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.IntFunction;

import static io.xvio.openflow.OfMessages.*;

/**
 * Flow-mods and packet-outs whose actions need something of their match or frame, as a controller sends them over
 * OpenFlow (ovs-ofctl checks the same flows before sending and would refuse to send some): the verdict OVS's
 * ofpacts_check gives each (an error's name, null for accepted), which xvio must give too (OvsDifferentialIT).
 */
final class OpenFlowVerdictCases {
    private OpenFlowVerdictCases() {}

    static final String MI = "OFPBAC_MATCH_INCONSISTENT";
    private static final int OF10 = 1, OF13 = 4, OF15 = 6;

    /** message: the bytes for an xid. ovs: OVS's verdict. */
    record Case(String name, int version, IntFunction<byte[]> message, String ovs) {
        Case withOvs(String verdict) { return new Case(name, version, message, verdict); }
    }

    private static Case flow(String name, int version, String match, byte[] actions, String ovs) {
        return new Case(name, version, xid -> version == OF10 ? flowMod10(xid, match, actions) : flowMod(version, xid, 0, match, actions), ovs);
    }

    private static Case out(String name, int version, byte[] frame, byte[] actions, String ovs) {
        return new Case("packet-out " + name, version, xid -> packetOut(version, xid, actions, frame), ovs);
    }

    /** An OpenFlow 1.5 packet-out (in_port CONTROLLER, no actions) whose match also holds the fields of match. */
    private static Case out15(String name, String match, String ovs) {
        io.xvio.datapath.Match m = io.xvio.datapath.FlowParser.parse(match + ",actions=drop").match;
        return new Case("packet-out " + name, OF15, xid -> new io.xvio.openflow.PacketOut(0xfffd, List.of(), UDP, m).encode(OF15, xid), ovs);
    }

    /** A meter_mod (1.3+): command, flags, meter id, then one OFPMBT_DROP band per rate. */
    private static Case meter(String name, int version, int command, int flags, long id, long... rates) {
        return new Case("meter_mod " + name, version, xid -> {
            ByteBuffer b = ByteBuffer.allocate(16 + 16 * rates.length);
            b.put((byte) version).put((byte) 29).putShort((short) b.capacity()).putInt(xid);
            b.putShort((short) command).putShort((short) flags).putInt((int) id);
            for (long r : rates) b.putShort((short) 1).putShort((short) 16).putInt((int) r).putInt(0).putInt(0);
            return b.array();
        }, null);
    }

    /** An OFPMP_METER request (1.3+) for meter id. */
    private static Case meterStats(String name, int version, long id, String ovs) {
        return new Case(name, version, xid -> {
            ByteBuffer b = ByteBuffer.allocate(24);
            b.put((byte) version).put((byte) 18).putShort((short) 24).putInt(xid);
            b.putShort((short) 9).putShort((short) 0).putInt(0).putInt((int) id).putInt(0);
            return b.array();
        }, ovs);
    }

    /** Actions in xvio's flow syntax, encoded for version. */
    private static byte[] acts(String text, int version) {
        io.xvio.openflow.Wire.Writer w = new io.xvio.openflow.Wire.Writer();
        io.xvio.openflow.OfActions.encodeActions(io.xvio.datapath.FlowParser.parse("actions=" + text).actions, version, w);
        return w.toBytes();
    }

    private static final byte[] MACS = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

    private static byte[] eth(int tag, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + (tag >= 0 ? 4 : 0) + payload.length).put(MACS);
        if (tag >= 0) b.putShort((short) 0x8100).putShort((short) tag);
        return b.putShort((short) type).put(payload).array();
    }

    private static final byte[] ARP = eth(-1, 0x0806, ByteBuffer.allocate(28).putShort((short) 1).putShort((short) 0x0800).put((byte) 6)
            .put((byte) 4).putShort((short) 1).put(MACS, 6, 6).putInt(0x0a000001).put(new byte[6]).putInt(0x0a000002).array());
    private static final byte[] UDP4 = ByteBuffer.allocate(28).put((byte) 0x45).put((byte) 0).putShort((short) 28).putInt(0)
            .put((byte) 64).put((byte) 17).putShort((short) 0).putInt(0x0a000001).putInt(0x0a000002)
            .putShort((short) 1234).putShort((short) 53).putShort((short) 8).putShort((short) 0).array();
    private static final byte[] UDP = eth(-1, 0x0800, UDP4), UDP_TAGGED = eth(10, 0x0800, UDP4);

    static final List<Case> ALL = List.of(
            flow("set_field tcp_dst on udp", OF13, "udp", setField(TCP_DST, 2, 80), MI),
            flow("set_field udp_dst on udp", OF13, "udp", setField(UDP_DST, 2, 80), null),
            flow("set_field tcp_dst on ip", OF15, "ip", setField(TCP_DST, 2, 80), MI),
            flow("set_field ipv4_dst on arp", OF13, "arp", setField(IPV4_DST, 4, 0x01020304L), MI),
            flow("set_field arp_tpa on arp", OF13, "arp", setField(ARP_TPA, 4, 0x01020304L), null),
            flow("set_field icmpv4_type on icmp6", OF15, "icmp6", setField(ICMPV4_TYPE, 1, 3), MI),
            flow("set_field icmpv6_type on icmp6", OF15, "icmp6", setField(ICMPV6_TYPE, 1, 3), null),
            flow("set_field vlan_vid without a tag", OF13, "", setField(VLAN_VID, 2, 0x1000 | 10), MI),
            flow("push_vlan then set_field vlan_vid", OF13, "", cat(pushVlan(), setField(VLAN_VID, 2, 0x1000 | 10)), null),
            flow("dec_ttl without ip (1.3)", OF13, "", plain(DEC_NW_TTL), MI),
            flow("dec_ttl on ipv6 (1.3)", OF13, "ipv6", plain(DEC_NW_TTL), null),
            flow("pop_vlan without a tag (1.3)", OF13, "", plain(POP_VLAN), MI),
            flow("pop_vlan on dl_vlan=10 (1.3)", OF13, "dl_vlan=10", plain(POP_VLAN), null),
            flow("push_vlan then pop_vlan (1.5)", OF15, "", cat(pushVlan(), plain(POP_VLAN)), null),
            flow("two pop_vlan on one tag (1.3)", OF13, "dl_vlan=10", cat(plain(POP_VLAN), plain(POP_VLAN)), MI),
            flow("set_tp_dst without tcp (1.0)", OF10, "", setTpDst10(80), null),
            flow("dec_ttl without ip (1.0)", OF10, "", nxDecTtl(), null),
            flow("reg_load NXM_OF_TCP_DST on udp (1.0)", OF10, "udp", regLoad16(NXM_TCP_DST, 80), MI),
            flow("reg_load NXM_OF_UDP_DST on udp (1.0)", OF10, "udp", regLoad16(NXM_UDP_DST, 80), null),
            out("dec_ttl on an ARP frame (1.3)", OF13, ARP, plain(DEC_NW_TTL), MI),
            out("dec_ttl on an ARP frame (1.0)", OF10, ARP, nxDecTtl(), null),
            out("dec_ttl on a UDP frame (1.3)", OF13, UDP, plain(DEC_NW_TTL), null),
            out("set_field tcp_dst on a UDP frame", OF13, UDP, setField(TCP_DST, 2, 80), MI),
            out("set_field udp_dst on a UDP frame", OF15, UDP, setField(UDP_DST, 2, 80), null),
            out("set_field ipv4_dst on an ARP frame", OF15, ARP, setField(IPV4_DST, 4, 0x01020304L), MI),
            out("set_field arp_tpa on a UDP frame", OF15, UDP, setField(ARP_TPA, 4, 0x01020304L), MI),
            out("pop_vlan on an untagged frame (1.3)", OF13, UDP, plain(POP_VLAN), MI),
            out("pop_vlan on a tagged frame (1.3)", OF13, UDP_TAGGED, plain(POP_VLAN), null),
            // a 1.5 packet-out's match: pipeline fields only (OVS's mf_is_pipeline_field), else OFPBRC_PIPELINE_FIELDS_ONLY
            out15("with metadata, reg0, xreg3 and tun_id (1.5)", "metadata=0x7,reg0=5,xreg3=0x11,tun_id=0x9", null),
            out15("with pkt_mark (1.5)", "pkt_mark=1", "1/17"),
            out15("with eth_src (1.5)", "dl_src=02:00:00:00:00:01", "1/17"),
            out15("with ct_mark (1.5)", "ct_mark=1", "1/17"),
            // groups and meters a message names must exist, inside clone too (OVS's flattened ofproto_check_ofpacts)
            flow("group:99 in a clone, no such group", OF15, "", acts("clone(group:99)", OF15), "2/9"),
            out("group:99 in a clone, no such group", OF15, UDP, acts("clone(group:99)", OF15), "2/9"),
            out("meter:99, no such meter", OF15, UDP, acts("meter:99,output:2", OF15), "12/2"),
            // meter_mods dpif-netdev refuses (dpif_meter_set), and stats of a meter that is not there
            meter("without bands", OF13, 0, 1, 77).withOvs("12/11"),
            meter("without a rate unit", OF13, 0, 0, 78, 1000).withOvs("12/5"),
            meter("with a band (accepted)", OF13, 0, 1, 79, 1000),
            meterStats("meter stats of a meter that does not exist", OF13, 80, "12/3"));
}
