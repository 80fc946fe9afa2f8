package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;

import java.nio.ByteBuffer;

/**
 * OpenFlow messages built byte by byte, as a controller that does not go through ovs-ofctl's checks sends them (for
 * unit tests and for the differential test that sends the same bytes to OVS and to xvio).
 */
public final class OfMessages {
    private OfMessages() {}

    private static final int OXM_BASIC = 0x8000;
    /** OpenFlow 1.1+ action types and Nicira subtypes, for the builders' callers. */
    public static final int DEC_NW_TTL = OfActions.DEC_NW_TTL, POP_VLAN = OfActions.POP_VLAN;
    /** OXM_OF_* field numbers. */
    public static final int IPV4_DST = 12, TCP_DST = 14, UDP_DST = 16, ICMPV4_TYPE = 19, ARP_TPA = 23, ICMPV6_TYPE = 29, VLAN_VID = 6;
    /** NXM_OF_TCP_DST and NXM_OF_UDP_DST headers. */
    public static final int NXM_TCP_DST = 10 << 9 | 2, NXM_UDP_DST = 12 << 9 | 2;

    /** output:port (1.1+ layout, max_len 0). */
    public static byte[] output(int port) {
        return ByteBuffer.allocate(16).putShort((short) 0).putShort((short) 16).putInt(port).putShort((short) 0).array();
    }

    /** A set_field action naming basic OXM field {@code field} with a value of {@code bytes} bytes. */
    public static byte[] setField(int field, int bytes, long value) {
        int len = (4 + 4 + bytes + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(len).putShort((short) OfActions.SET_FIELD).putShort((short) len)
                .putInt(OXM_BASIC << 16 | field << 9 | bytes);
        for (int i = bytes - 1; i >= 0; i--) b.put((byte) (value >>> (8 * i)));
        return b.array();
    }

    /** An action without arguments (dec_nw_ttl, pop_vlan). */
    public static byte[] plain(int type) { return ByteBuffer.allocate(8).putShort((short) type).putShort((short) 8).array(); }

    public static byte[] pushVlan() {
        return ByteBuffer.allocate(8).putShort((short) OfActions.PUSH_VLAN).putShort((short) 8).putShort((short) 0x8100).array();
    }

    /** OpenFlow 1.0's set_tp_dst. */
    public static byte[] setTpDst10(int port) {
        return ByteBuffer.allocate(8).putShort((short) OfActions.SET_TP_DST10).putShort((short) 8).putShort((short) port).array();
    }

    /** NXAST_DEC_TTL. */
    public static byte[] nxDecTtl() {
        return ByteBuffer.allocate(16).putShort((short) 0xffff).putShort((short) 16).putInt(OfVersion.NX_VENDOR)
                .putShort((short) OfActions.NX_DEC_TTL).array();
    }

    /** NXAST_REG_LOAD of value into all 16 bits of the NXM field behind header. */
    public static byte[] regLoad16(int header, long value) {
        return ByteBuffer.allocate(24).putShort((short) 0xffff).putShort((short) 24).putInt(OfVersion.NX_VENDOR)
                .putShort((short) OfActions.NX_REG_LOAD).putShort((short) 15).putInt(header).putLong(value).array();
    }

    public static byte[] cat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) b.put(p);
        return b.array();
    }

    /** An OpenFlow 1.1+ flow_mod add to table, priority 100, of match (flow syntax, "" for all) with apply_actions(actions). */
    public static byte[] flowMod(int version, int xid, int table, String match, byte[] actions) {
        Flow f = FlowParser.parse(match + (match.isEmpty() ? "" : ",") + "actions=drop");
        Wire.Writer w = new Wire.Writer(version, OfType.FLOW_MOD, xid);
        w.u64(0).u64(0).u8(table).u8(FlowMod.ADD).u16(0).u16(0).u16(100).u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        FlowModCodec.writeOxmMatch(f.match, w);
        w.u16(OfActions.IT_APPLY_ACTIONS).u16(8 + actions.length).u32(0).bytes(actions);
        return w.finish();
    }

    /** An OpenFlow 1.0 flow_mod add (ofp10_match, priority 100) with OpenFlow 1.0 actions. */
    public static byte[] flowMod10(int xid, String match, byte[] actions) {
        Flow f = FlowParser.parse(match + (match.isEmpty() ? "" : ",") + "actions=drop");
        Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.FLOW_MOD, xid);
        Of10Match.encode(f.match, w);
        w.u64(0).u16(FlowMod.ADD).u16(0).u16(0).u16(100).u32(0xffffffffL).u16(0xffff).u16(0).bytes(actions);
        return w.finish();
    }

    /** A packet-out of frame from CONTROLLER with actions (any version; 1.5's match names in_port, as OVS requires). */
    public static byte[] packetOut(int version, int xid, byte[] actions, byte[] frame) {
        Wire.Writer w = new Wire.Writer(version, OfType.PACKET_OUT, xid);
        w.u32(PacketIn.NO_BUFFER);
        if (version == OfVersion.OF10) w.u16(Ports.CONTROLLER).u16(actions.length);
        else if (version < OfVersion.OF15) w.u32(Ports.to32(Ports.CONTROLLER)).u16(actions.length).zeros(6);
        else {
            w.u16(actions.length).zeros(2);
            FlowModCodec.writeOxmMatch(new Match().set(io.xvio.datapath.Field.IN_PORT, Ports.CONTROLLER, io.xvio.datapath.Field.IN_PORT.fullMask()), w);
        }
        return w.bytes(actions).bytes(frame).finish();
    }

    public static byte[] hello(int version) {
        Wire.Writer w = new Wire.Writer(version, OfType.HELLO, 1);
        w.u16(1).u16(8).u32(1 << version);
        return w.finish();
    }

    public static byte[] barrier(int version, int xid) {
        return new Wire.Writer(version, version == OfVersion.OF10 ? OfType.OF10_BARRIER_REQUEST : OfType.BARRIER_REQUEST, xid).finish();
    }

    public static boolean isBarrierReply(byte[] m) {
        return (m[1] & 0xff) == (m[0] == OfVersion.OF10 ? OfType.OF10_BARRIER_REPLY : OfType.BARRIER_REPLY);
    }

    /**
     * An error message's name as OVS's ofp-errors names it, for the errors these tests meet (the OpenFlow 1.0 Nicira
     * vendor form read as its 1.1+ error), else "type/code".
     */
    public static String errorName(byte[] m) {
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        int type = r.u16(), code = r.u16();
        if (type == 0xb0c2) {
            r.skip(4);
            type = r.u16();
            code = r.u16();
            if (type == 1 && code == 522) return "OFPBAC_MATCH_INCONSISTENT";
        }
        if (type == 2 && code == 10) return "OFPBAC_MATCH_INCONSISTENT";
        return type + "/" + code;
    }
}
