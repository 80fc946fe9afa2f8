package io.xvio.datapath;

import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;

import java.nio.ByteBuffer;

/**
 * A frame made from a flow's fields, for {@code bin/xvio trace BRIDGE FLOW} (as OVS's flow_compose): Ethernet, an
 * 802.1Q tag if the flow has one, and IPv4 or IPv6 with TCP, UDP or ICMP, or ARP, with the flow's values and
 * defaults for the rest (MACs 02:00:00:00:00:01 -> :02, TTL 64). Padded to 60 bytes; IPv4 header checksum right.
 */
public final class TracePacket {
    private TracePacket() {}

    private static long val(Match m, int w, long dflt) { return m.mask(w) != 0 ? m.value(w) : dflt; }

    public static byte[] compose(Match m) {
        ByteBuffer bb = ByteBuffer.allocate(1600);
        long dst = val(m, FlowKey.DL_DST, 0x020000000002L), src = val(m, FlowKey.DL_SRC, 0x020000000001L);
        bb.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src);
        long tci = m.value(FlowKey.VLAN_TCI);
        if ((m.mask(FlowKey.VLAN_TCI) & FlowKey.VLAN_PRESENT) != 0 && (tci & FlowKey.VLAN_PRESENT) != 0)
            bb.putShort((short) Ethernet.TYPE_VLAN).putShort((short) (tci & ~FlowKey.VLAN_PRESENT));
        int type = (int) val(m, FlowKey.DL_TYPE, 0x88b5);          // no dl_type: a local experimental ethertype
        bb.putShort((short) type);
        int proto = (int) m.value(FlowKey.NW_PROTO);
        int ttl = (int) val(m, FlowKey.NW_TTL, 64), tos = (int) (m.value(FlowKey.NW_TOS) | m.value(FlowKey.NW_ECN));
        if (type == Ethernet.TYPE_IPV4) {
            int l3 = bb.position();
            long frag = m.value(FlowKey.NW_FRAG);
            int fragField = (frag & FlowKey.FRAG_ANY) == 0 ? 0 : (frag & FlowKey.FRAG_LATER) != 0 ? 1 : 0x2000;
            bb.put((byte) 0x45).put((byte) tos).putShort((short) 0).putShort((short) 0).putShort((short) fragField)
                    .put((byte) ttl).put((byte) proto).putShort((short) 0)
                    .putInt((int) m.value(FlowKey.NW_SRC)).putInt((int) m.value(FlowKey.NW_DST));
            if (fragField != 1) l4(bb, m, proto, false);             // a later fragment has no L4 header
            bb.putShort(l3 + 2, (short) (bb.position() - l3));
            int sum = 0;
            for (int i = 0; i < 20; i += 2) sum += bb.getShort(l3 + i) & 0xffff;
            while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
            bb.putShort(l3 + 10, (short) ~sum);
        } else if (type == Ethernet.TYPE_IPV6) {
            int l3 = bb.position();
            bb.putInt(0x60000000 | (tos << 20)).putShort((short) 0).put((byte) proto).put((byte) ttl)
                    .putLong(m.value(FlowKey.IPV6_SRC_HI)).putLong(m.value(FlowKey.IPV6_SRC_LO))
                    .putLong(m.value(FlowKey.IPV6_DST_HI)).putLong(m.value(FlowKey.IPV6_DST_LO));
            l4(bb, m, proto, true);
            bb.putShort(l3 + 4, (short) (bb.position() - l3 - 40));
        } else if (type == Ethernet.TYPE_ARP) {
            bb.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) val(m, FlowKey.NW_PROTO, 1));
            bb.putShort((short) (src >>> 32)).putInt((int) src).putInt((int) m.value(FlowKey.NW_SRC));
            bb.putShort((short) 0).putInt(0).putInt((int) m.value(FlowKey.NW_DST));
        }
        while (bb.position() < 60) bb.put((byte) 0);
        byte[] out = new byte[bb.position()];
        bb.flip().get(out);
        return out;
    }

    private static void l4(ByteBuffer bb, Match m, int proto, boolean v6) {
        int sp = (int) m.value(FlowKey.TP_SRC), dp = (int) m.value(FlowKey.TP_DST);
        if (proto == 6) {
            int flags = (int) val(m, FlowKey.TCP_FLAGS, 0x010);
            bb.putShort((short) sp).putShort((short) dp).putInt(1).putInt(0).putShort((short) (0x5000 | flags)).putShort((short) 1024).putInt(0);
        } else if (proto == 17) {
            bb.putShort((short) sp).putShort((short) dp).putShort((short) 8).putShort((short) 0);
        } else if ((proto == 1 && !v6) || (proto == 58 && v6)) {
            bb.put((byte) sp).put((byte) dp).putShort((short) 0).putInt(0);
        }
    }
}
