package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import io.xvio.datapath.tunnel.TunnelTlvMap;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NXM_NX_TUN_METADATA0..7 (NXM1 fields 40..47), variable-length: OVN's Geneve flows (table 0 reads its option into
 * reg14/reg15, the remote output table writes it) are taken by a bridge that maps the option, dumped back with the
 * mapped length in the header, and refused as OVS refuses them when the field is not mapped or its length is wrong.
 */
class TunMetadataOxmTest {
    /** What ovn-controller 23.03 installs for a Geneve port (ofctrl/physical.c), in ovs-ofctl's syntax. */
    static final List<String> OVN_FLOWS = List.of(
            "priority=100,in_port=5,actions=move:NXM_NX_TUN_ID[0..23]->OXM_OF_METADATA[0..23],"
                    + "move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14],move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15],resubmit(,38)",
            "table=39,priority=100,reg15=0x2,metadata=0x1,actions=load:0x1->NXM_NX_TUN_ID[0..23],set_field:0x2->tun_metadata0,"
                    + "move:NXM_NX_REG14[0..14]->NXM_NX_TUN_METADATA0[16..30],output:5",
            "table=0,priority=90,in_port=5,tun_metadata0=0x10002/0x7fff0000,actions=drop",
            "table=0,priority=80,in_port=5,tun_id=0x7,tun_metadata0=0x3,actions=drop");

    static final int OVN_HEADER = 0x00015004;             // NXM1, field 40, no mask, 4 bytes

    static MemorySwitch mapped(int len) {
        MemorySwitch sw = new MemorySwitch();
        sw.tlvTableMod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, len, 0)));
        return sw;
    }

    /**
     * The other tunnel fields OVS's NXM has and OXM does not: NXM_NX_TUN_IPV4_SRC/DST (31, 32), NXM_NX_TUN_IPV6_SRC/DST
     * (109, 110), NXM_NX_TUN_FLAGS (104), in a match and in set_field, over OpenFlow 1.3 and 1.5 (NXM headers in OXM).
     */
    @Test
    void flowsOnTheOuterAddressesAndFlagsAreTakenOverOpenFlow() {
        List<String> flows = List.of(
                "priority=10,tun_src=192.0.2.1,tun_dst=192.0.2.0/24,actions=set_field:198.51.100.7->tun_dst,output:1",
                "priority=9,tun_ipv6_src=2001:db8::1,tun_ipv6_dst=2001:db8::/32,actions=set_field:2001:db8::9->tun_ipv6_dst,output:1",
                "priority=8,tun_flags=+oam,actions=drop");
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            for (String text : flows) {
                List<byte[]> replies = c.handle(OpenFlowCodecTest.flowMod13(text, 0, v));
                assertEquals(List.of(), replies, () -> text + ": error " + ((replies.getFirst()[8] & 0xff) << 8 | replies.getFirst()[9] & 0xff)
                        + "/" + ((replies.getFirst()[10] & 0xff) << 8 | replies.getFirst()[11] & 0xff));
            }
            assertEquals(flows.size(), sw.flows.size());
            for (int i = 0; i < flows.size(); i++) {
                Flow want = FlowParser.parse(flows.get(i)), got = sw.flows.get(i);
                assertEquals(FlowFormat.match(want.match), FlowFormat.match(got.match), OfVersion.name(v) + ": " + flows.get(i));
                assertEquals(FlowFormat.actions(want.actions), FlowFormat.actions(got.actions), OfVersion.name(v) + ": " + flows.get(i));
            }
        }
    }

    @Test
    void ovnsGenevePortFlowsAreTakenAndDumpedBack() {
        MemorySwitch sw = mapped(4);
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        for (String text : OVN_FLOWS) assertEquals(List.of(), c.handle(OpenFlowCodecTest.flowMod13(text, 0, OfVersion.OF15)), text);
        assertEquals(OVN_FLOWS.size(), sw.flows.size());
        for (int i = 0; i < OVN_FLOWS.size(); i++) {
            Flow want = FlowParser.parse(OVN_FLOWS.get(i)), got = sw.flows.get(i);
            assertEquals(FlowFormat.match(want.match), FlowFormat.match(got.match), OVN_FLOWS.get(i));
            assertEquals(FlowFormat.actions(want.actions), FlowFormat.actions(got.actions), OVN_FLOWS.get(i));
        }
        // a match on the option needs it present (OVS's tun_metadata_set_match)
        Match m = sw.flows.get(2).match;
        assertEquals(1L << FlowKey.TUN_METADATA_PRESENT, m.mask(FlowKey.TUN_MISC) & m.value(FlowKey.TUN_MISC));
        // the dump (OpenFlow 1.3 flow stats) writes the field with the option's length, 4 bytes
        OfConnection c13 = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        Wire.Writer w = new Wire.Writer(4, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_FLOW).u16(0).zeros(4).u8(0xff).zeros(3).u32(0xffffffffL).u32(0xffffffffL).zeros(4).u64(0).u64(0).u16(1).u16(4).zeros(4);
        byte[] reply = c13.handle(w.finish()).getFirst();
        assertTrue(contains(reply, OVN_HEADER) || contains(reply, 0x00015108), "tun_metadata0 with 4-byte length in the dump");
        assertFalse(contains(reply, 0x00015008) || contains(reply, 0x00015110), "no 8-byte tun_metadata0 header in the dump");
        Wire.Reader r = new Wire.Reader(reply);
        r.skip(16);
        int n = 0;
        while (r.remaining() > 0) {
            Wire.Reader e = r.sub(r.peek16(), OfError.BAD_LEN, "entry");
            e.skip(48);
            Match got = TlvLengths.with(TlvLengths.of(sw.tlvMappings()), () -> FlowModCodec.readOxmMatch(e));
            assertTrue(sw.flows.stream().anyMatch(f -> f.match.equals(got)), FlowFormat.match(got));
            n++;
        }
        assertEquals(OVN_FLOWS.size(), n);
    }

    @Test
    void anUnmappedFieldIsInvalidTlvField() {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF15);
        for (String text : OVN_FLOWS) {
            int[] e = OpenFlowCodecTest.errorOf(c.handle(OpenFlowCodecTest.flowMod13(text, 0, OfVersion.OF15)));
            assertArrayEquals(new int[] {0xffff, 37}, e, "NXFMFC_INVALID_TLV_FIELD: " + text);
        }
        // mapped to another field: tun_metadata0 still unmapped
        MemorySwitch sw = new MemorySwitch();
        sw.tlvTableMod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, 4, 1)));
        assertArrayEquals(new int[] {0xffff, 37}, OpenFlowCodecTest.errorOf(OpenFlowCodecTest.connected(sw, OfVersion.OF15)
                .handle(OpenFlowCodecTest.flowMod13(OVN_FLOWS.get(2), 0, OfVersion.OF15))));
    }

    @Test
    void aTlvTableModInTheSameBatchMapsTheFieldForTheFlowsAfterIt() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        byte[] mod = TlvTable.encodeMod(OfVersion.OF15, 3, new TlvTable.Mod(TlvTable.ADD, List.of(new TunnelTlvMap.Mapping(0x102, 0x80, 4, 0))));
        List<byte[]> out = c.handleAll(List.of(mod, OpenFlowCodecTest.flowMod13(OVN_FLOWS.get(1), 0, OfVersion.OF15)));
        assertEquals(List.of(), out);
        assertEquals(1, sw.flows.size());
    }

    /** A flow_mod whose match is one raw entry (header, then the given bytes). */
    static byte[] rawMatchMod(long header, byte[] payload) {
        Wire.Writer w = new Wire.Writer(OfVersion.OF15, OfType.FLOW_MOD, 7);
        w.u64(0).u64(0).u8(0).u8(0).u16(0).u16(0).u16(1).u32(0xffffffffL).u32(0xffffffffL).u32(0xffffffffL).u16(0).u16(0);
        int start = w.size();
        w.u16(1).u16(4 + 4 + payload.length).u32(header).bytes(payload, 0, payload.length);
        w.pad8(start);
        return w.finish();
    }

    @Test
    void badLengthsAndMasksGetOvsErrors() {
        OfConnection c = OpenFlowCodecTest.connected(mapped(4), OfVersion.OF15);
        // 5 bytes for a 4-byte option, 0 bytes, an odd masked length: OFPBMC_BAD_LEN (4, 1)
        assertArrayEquals(new int[] {4, 1}, OpenFlowCodecTest.errorOf(c.handle(rawMatchMod(0x00015005, new byte[5]))));
        assertArrayEquals(new int[] {4, 1}, OpenFlowCodecTest.errorOf(c.handle(rawMatchMod(0x00015000, new byte[0]))));
        assertArrayEquals(new int[] {4, 1}, OpenFlowCodecTest.errorOf(c.handle(rawMatchMod(0x00015107, new byte[7]))));
        // value bits outside the mask: OFPBMC_BAD_WILDCARDS (4, 5)
        assertArrayEquals(new int[] {4, 5}, OpenFlowCodecTest.errorOf(c.handle(rawMatchMod(0x00015108, new byte[] {0, 0, 0, 1, 0, 0, 0, 0}))));
        // tun_metadata8..63: xvio maps 0..7, so never mapped (NXFMFC_INVALID_TLV_FIELD)
        assertArrayEquals(new int[] {0xffff, 37}, OpenFlowCodecTest.errorOf(c.handle(rawMatchMod(1 << 16 | 48 << 9 | 4, new byte[4]))));
        // a shorter value than the option is right-aligned in it (OVS's copy_entry_value); no mask: all 4 bytes
        MemorySwitch sw = mapped(4);
        OfConnection ok = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        assertEquals(List.of(), ok.handle(rawMatchMod(0x00015002, new byte[] {0x12, 0x34})));
        Match m = sw.flows.getFirst().match;
        assertEquals(0x1234, m.value(FlowKey.TUN_METADATA0));
        assertEquals(-1L, m.mask(FlowKey.TUN_METADATA0), "exact over the option");
    }

    @Test
    void withNoMapAnyLengthUpToEightIsTakenAndWrittenAtItsOwnLength() {
        Match m = FlowParser.parse("tun_metadata0=0x1234,tun_metadata3=0x5/0xff,actions=drop").match;
        Wire.Writer w = new Wire.Writer();
        Oxm.encode(m, false, w);
        byte[] b = w.toBytes();
        assertTrue(contains(b, 0x00015002), "2 bytes for 0x1234");
        assertTrue(contains(b, 1 << 16 | 43 << 9 | 0x100 | 2), "tun_metadata3 masked, 1 byte each");
        assertEquals(m, Oxm.decode(new Wire.Reader(b)));
        // under a map of 8 bytes both go at 8 bytes
        Wire.Writer w8 = new Wire.Writer();
        TlvLengths.with(new int[] {8, 0, 0, 8, 0, 0, 0, 0}, () -> { Oxm.encode(m, false, w8); return null; });
        assertTrue(contains(w8.toBytes(), 0x00015008));
        assertEquals(m, TlvLengths.with(new int[] {8, 0, 0, 8, 0, 0, 0, 0}, () -> Oxm.decode(new Wire.Reader(w8.toBytes()))));
    }

    static boolean contains(byte[] b, int header) {
        for (int i = 0; i + 4 <= b.length; i++)
            if (((b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff)) == header) return true;
        return false;
    }
}
