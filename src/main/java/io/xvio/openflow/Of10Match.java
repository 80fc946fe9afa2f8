package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;

/**
 * OpenFlow 1.0's fixed 40-byte ofp10_match (wildcard bits, then every field). Decoding keeps, as OVS's
 * normalization does, only the fields whose prerequisites the match has (nw_* for IP or ARP, tp_* for TCP, UDP,
 * SCTP and ICMP); dl_vlan 0xffff means "no tag".
 */
public final class Of10Match {
    private Of10Match() {}

    public static final int SIZE = 40;
    static final int IN_PORT = 1, DL_VLAN = 1 << 1, DL_SRC = 1 << 2, DL_DST = 1 << 3, DL_TYPE = 1 << 4, NW_PROTO = 1 << 5,
            TP_SRC = 1 << 6, TP_DST = 1 << 7, NW_SRC_SHIFT = 8, NW_DST_SHIFT = 14, DL_VLAN_PCP = 1 << 20, NW_TOS = 1 << 21,
            ALL = (1 << 22) - 1;

    public static Match decode(Wire.Reader r) {
        int wc = r.s32();
        int inPort = r.u16();
        long dlSrc = r.uN(6), dlDst = r.uN(6);
        int vlan = r.u16(), pcp = r.u8();
        r.skip(1);
        int type = r.u16(), tos = r.u8(), proto = r.u8();
        r.skip(2);
        long nwSrc = r.u32(), nwDst = r.u32();
        int tpSrc = r.u16(), tpDst = r.u16();
        Match m = new Match();
        if ((wc & IN_PORT) == 0) m.set(Field.IN_PORT, inPort, -1);
        if ((wc & DL_SRC) == 0) m.set(Field.DL_SRC, dlSrc, -1);
        if ((wc & DL_DST) == 0) m.set(Field.DL_DST, dlDst, -1);
        if ((wc & DL_VLAN) == 0 && vlan == 0xffff) {
            m.setWord(FlowKey.VLAN_TCI, 0, 0xffff);
        } else {
            long tciMask = 0;
            if ((wc & DL_VLAN) == 0) tciMask |= 0x0fff | FlowKey.VLAN_PRESENT;
            if ((wc & DL_VLAN_PCP) == 0) tciMask |= 0xe000 | FlowKey.VLAN_PRESENT;
            if (tciMask != 0) m.setWord(FlowKey.VLAN_TCI, (vlan & 0x0fff) | (pcp & 7) << 13 | FlowKey.VLAN_PRESENT, tciMask);
        }
        if ((wc & DL_TYPE) != 0) return m;
        m.set(Field.DL_TYPE, type, -1);
        boolean ip = type == 0x0800, arp = type == 0x0806;
        if (!ip && !arp) return m;
        long srcMask = prefixMask((wc >>> NW_SRC_SHIFT) & 63), dstMask = prefixMask((wc >>> NW_DST_SHIFT) & 63);
        if (srcMask != 0) m.set(Field.NW_SRC, nwSrc & srcMask, srcMask);
        if (dstMask != 0) m.set(Field.NW_DST, nwDst & dstMask, dstMask);
        if ((wc & NW_PROTO) == 0) m.set(Field.NW_PROTO, arp ? proto & 0xff : proto, -1);
        if (arp) return m;
        if ((wc & NW_TOS) == 0) m.set(Field.NW_TOS, tos & 0xfc, -1);
        if ((wc & NW_PROTO) != 0) return m;
        if (proto == 6 || proto == 17 || proto == 132 || proto == 1) {
            if ((wc & TP_SRC) == 0) m.set(proto == 1 ? Field.ICMP_TYPE : Field.TP_SRC, tpSrc, -1);
            if ((wc & TP_DST) == 0) m.set(proto == 1 ? Field.ICMP_CODE : Field.TP_DST, tpDst, -1);
        }
        return m;
    }

    /** The 32-bit mask OpenFlow 1.0 means by n wildcarded low bits (32 or more: all). */
    static long prefixMask(int n) { return n >= 32 ? 0 : (0xffffffffL << n) & 0xffffffffL; }

    private static int wildBits(long mask) {
        mask &= 0xffffffffL;
        return mask == 0 ? 32 : Long.numberOfTrailingZeros(mask);
    }

    /** Whether m says nothing ofp10_match cannot (else the connection must use NXM for it). */
    public static boolean fits(Match m) {
        for (int w = 0; w < FlowKey.WORDS; w++) {
            if (m.mask(w) == 0) continue;
            if (w != FlowKey.IN_PORT && w != FlowKey.DL_SRC && w != FlowKey.DL_DST && w != FlowKey.VLAN_TCI && w != FlowKey.DL_TYPE
                    && w != FlowKey.NW_SRC && w != FlowKey.NW_DST && w != FlowKey.NW_PROTO && w != FlowKey.NW_TOS
                    && w != FlowKey.TP_SRC && w != FlowKey.TP_DST) return false;
        }
        for (int w : new int[] {FlowKey.IN_PORT, FlowKey.DL_SRC, FlowKey.DL_DST, FlowKey.DL_TYPE, FlowKey.NW_PROTO, FlowKey.NW_TOS,
                FlowKey.TP_SRC, FlowKey.TP_DST}) {
            long k = m.mask(w);
            if (k != 0 && k != fieldMaskOf(w)) return false;
        }
        for (int w : new int[] {FlowKey.NW_SRC, FlowKey.NW_DST}) {
            long k = m.mask(w);
            if (k != 0 && k != prefixMask(wildBits(k))) return false;
        }
        long tci = m.mask(FlowKey.VLAN_TCI);
        return tci == 0 || tci == 0xffff && m.value(FlowKey.VLAN_TCI) == 0
                || tci == (0x0fff | FlowKey.VLAN_PRESENT) || tci == (0xe000 | FlowKey.VLAN_PRESENT) || tci == 0xffff;
    }

    private static long fieldMaskOf(int w) {
        for (Field f : Field.values()) if (f.word == w && f.shift == 0 && f.words() == 1) return f.fullMask();
        return -1;
    }

    public static void encode(Match m, Wire.Writer w) {
        int wc = ALL & ~(63 << NW_SRC_SHIFT) & ~(63 << NW_DST_SHIFT);
        if (m.mask(FlowKey.IN_PORT) != 0) wc &= ~IN_PORT;
        if (m.mask(FlowKey.DL_SRC) != 0) wc &= ~DL_SRC;
        if (m.mask(FlowKey.DL_DST) != 0) wc &= ~DL_DST;
        if (m.mask(FlowKey.DL_TYPE) != 0) wc &= ~DL_TYPE;
        if (m.mask(FlowKey.NW_PROTO) != 0) wc &= ~NW_PROTO;
        if (m.mask(FlowKey.NW_TOS) != 0) wc &= ~NW_TOS;
        if (m.mask(FlowKey.TP_SRC) != 0) wc &= ~TP_SRC;
        if (m.mask(FlowKey.TP_DST) != 0) wc &= ~TP_DST;
        wc |= Math.min(32, wildBits(m.mask(FlowKey.NW_SRC))) << NW_SRC_SHIFT;
        wc |= Math.min(32, wildBits(m.mask(FlowKey.NW_DST))) << NW_DST_SHIFT;
        long tci = m.value(FlowKey.VLAN_TCI), tciMask = m.mask(FlowKey.VLAN_TCI);
        int vlan = 0, pcp = 0;
        if (tciMask == 0xffff && tci == 0) {
            wc &= ~DL_VLAN;
            vlan = 0xffff;
        } else {
            if ((tciMask & 0x0fff) != 0) { wc &= ~DL_VLAN; vlan = (int) tci & 0x0fff; }
            if ((tciMask & 0xe000) != 0) { wc &= ~DL_VLAN_PCP; pcp = (int) (tci >>> 13) & 7; }
        }
        w.u32(wc & 0xffffffffL).u16((int) m.value(FlowKey.IN_PORT)).uN(m.value(FlowKey.DL_SRC), 6).uN(m.value(FlowKey.DL_DST), 6)
                .u16(vlan).u8(pcp).zeros(1).u16((int) m.value(FlowKey.DL_TYPE)).u8((int) m.value(FlowKey.NW_TOS))
                .u8((int) m.value(FlowKey.NW_PROTO)).zeros(2).u32(m.value(FlowKey.NW_SRC)).u32(m.value(FlowKey.NW_DST))
                .u16((int) m.value(FlowKey.TP_SRC)).u16((int) m.value(FlowKey.TP_DST));
    }
}
