package io.xvio.openflow;

import io.xvio.datapath.tunnel.TunnelTlvMap;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NXT_TLV_TABLE_REQUEST/REPLY/MOD and NXT_CT_FLUSH_ZONE as ovn-controller sends them on connecting (OpenFlow 1.5):
 * the request gets the switch's limits and mappings, a mod adds OVN's option (class 0x102, type 0x80, 4 bytes),
 * the same mod again is NXTTMFC_ALREADY_MAPPED (ovn-controller then asks again), bad mods get OVS's errors.
 */
class TlvTableTest {
    static final TunnelTlvMap.Mapping OVN = new TunnelTlvMap.Mapping(0x102, 0x80, 4, 0);

    private static List<TunnelTlvMap.Mapping> reply(byte[] msg) {
        Wire.Reader r = new Wire.Reader(msg);
        r.skip(8);
        assertEquals(OfVersion.NX_VENDOR, r.u32());
        assertEquals(TlvTable.NXT_TLV_TABLE_REPLY, r.u32());
        return TlvTable.decodeReply(r);
    }

    /** The (type, experimenter code) of an OpenFlow 1.2+ experimenter error, or (type, code). */
    private static int[] error(byte[] msg) {
        Wire.Reader r = new Wire.Reader(msg);
        r.skip(1);
        assertEquals(OfType.ERROR, r.u8());
        r.skip(6);
        return new int[] {r.u16(), r.u16()};
    }

    /** A request with a body is OFPBRC_BAD_LEN, as OVS (found by ContinuationProperties: a mutated NXT_RESUME). */
    @Test
    void aTableRequestWithABodyIsBadLen() {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF15);
        byte[] plain = TlvTable.encodeRequest(OfVersion.OF15, 5);
        byte[] m = java.util.Arrays.copyOf(plain, plain.length + 8);
        m[2] = 0;
        m[3] = (byte) m.length;
        byte[] e = c.handle(m).getFirst();
        assertEquals(OfType.ERROR, e[1]);
        assertEquals(1, ((e[8] & 0xff) << 8) | (e[9] & 0xff), "OFPET_BAD_REQUEST");
        assertEquals(6, ((e[10] & 0xff) << 8) | (e[11] & 0xff), "OFPBRC_BAD_LEN");
        assertEquals(OfType.VENDOR, c.handle(plain).getFirst()[1], "the connection goes on");
    }

    @Test
    void ovnControllersHandshakeMapsItsOption() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        List<byte[]> first = c.handle(TlvTable.encodeRequest(OfVersion.OF15, 5));
        assertEquals(1, first.size());
        Wire.Reader h = new Wire.Reader(first.getFirst());
        h.skip(4);
        assertEquals(5, h.u32(), "the reply has the request's xid");
        assertEquals(List.of(), reply(first.getFirst()));
        assertEquals(List.of(), c.handle(TlvTable.encodeMod(OfVersion.OF15, 6, new TlvTable.Mod(TlvTable.ADD, List.of(OVN)))));
        assertEquals(List.of(OVN), reply(c.handle(TlvTable.encodeRequest(OfVersion.OF15, 7)).getFirst()));
        // the reply carries the limits: 64 bytes of options in 8 fields
        Wire.Reader r = new Wire.Reader(c.handle(TlvTable.encodeRequest(OfVersion.OF15, 8)).getFirst());
        r.skip(16);
        assertEquals(TlvTable.MAX_SPACE, r.u32());
        assertEquals(TlvTable.MAX_FIELDS, r.u16());
        // a second controller racing for the same index: NXTTMFC_ALREADY_MAPPED (experimenter code 20)
        List<byte[]> again = c.handle(TlvTable.encodeMod(OfVersion.OF15, 9, new TlvTable.Mod(TlvTable.ADD, List.of(OVN))));
        assertArrayEquals(new int[] {0xffff, 20}, error(again.getFirst()));
        // the same option at another index: NXTTMFC_DUP_ENTRY (21)
        List<byte[]> dup = c.handle(TlvTable.encodeMod(OfVersion.OF15, 10, new TlvTable.Mod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, 4, 1)))));
        assertArrayEquals(new int[] {0xffff, 21}, error(dup.getFirst()));
        assertEquals(List.of(), c.handle(TlvTable.encodeMod(OfVersion.OF15, 11, new TlvTable.Mod(TlvTable.CLEAR, List.of()))));
        assertEquals(List.of(), sw.tlv.mappings());
    }

    @Test
    void badModsGetOvsErrors() {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF15);
        assertArrayEquals(new int[] {0xffff, 16}, error(c.handle(TlvTable.encodeMod(OfVersion.OF15, 1, new TlvTable.Mod(3, List.of()))).getFirst()),
                "NXTTMFC_BAD_COMMAND");
        assertArrayEquals(new int[] {0xffff, 17}, error(c.handle(TlvTable.encodeMod(OfVersion.OF15, 2,
                new TlvTable.Mod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, 5, 0))))).getFirst()), "NXTTMFC_BAD_OPT_LEN");
        assertArrayEquals(new int[] {0xffff, 18}, error(c.handle(TlvTable.encodeMod(OfVersion.OF15, 3,
                new TlvTable.Mod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, 4, 64))))).getFirst()), "NXTTMFC_BAD_FIELD_IDX");
        // OpenFlow 1.0: Nicira's vendor error wrapping (1, 528)
        OfConnection c10 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF10);
        byte[] e10 = c10.handle(TlvTable.encodeMod(OfVersion.OF10, 4, new TlvTable.Mod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(1, 1, 6, 0))))).getFirst();
        Wire.Reader r = new Wire.Reader(e10);
        r.skip(8);
        assertEquals(0xb0c2, r.u16());
        r.skip(6);
        assertEquals(1, r.u16());
        assertEquals(528, r.u16());
    }

    @Test
    void ctFlushZoneFlushesTheZone() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        Wire.Writer w = new Wire.Writer(OfVersion.OF15, OfType.VENDOR, 3).u32(OfVersion.NX_VENDOR).u32(OfType.NXT_CT_FLUSH_ZONE).zeros(6).u16(7);
        assertEquals(List.of(), c.handle(w.finish()));
        assertEquals(List.of(7), sw.flushedZones);
        Wire.Writer bad = new Wire.Writer(OfVersion.OF15, OfType.VENDOR, 4).u32(OfVersion.NX_VENDOR).u32(OfType.NXT_CT_FLUSH_ZONE).u8(1).zeros(5).u16(7);
        assertArrayEquals(new int[] {0xffff, 4}, error(c.handle(bad.finish()).getFirst()), "NXBRC_MUST_BE_ZERO");
    }
}
