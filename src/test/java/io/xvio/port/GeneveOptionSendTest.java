package io.xvio.port;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A Geneve port sends a packet's mapped tun_metadata fields as options, as OVS's tun_metadata_to_geneve_header:
 * one TLV per mapped, present field in field order, opt_len and the outer lengths counting them, the C bit when one
 * is critical, the inner frame unchanged; a field that is not set, a bridge without mappings and a VXLAN port send
 * none.
 */
class GeneveOptionSendTest {
    static final TunnelTlvMap OVN = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse(
            "{class=0x0102,type=0x80,len=4}->tun_metadata0,{class=0xffff,type=0x1,len=8}->tun_metadata3"));

    static TunnelPort geneve(TunnelPortTest.Capture up, int mtu, TunnelTlvMap map) throws Exception {
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "geneve", "remote_ip", "172.31.0.2", "key", "5000"), "gnv0");
        TunnelPort p = new TunnelPort("gnv0", 10, cfg);
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, 0x020000000001L, 0x020000000002L,
                InetAddress.getByName("172.31.0.1"), InetAddress.getByName("172.31.0.2"), 6081, 5000, 0, 64, true, true, false, null));
        p.setEgress(new TunnelPort.Egress(h, up, mtu, "br-phy"), null);
        p.setOptions(GeneveOptionWriter.of(map));
        return p;
    }

    /** What set_field:v->tun_metadata{field} leaves in the key: the value and the field's present bit. */
    static void metadata(PacketBatch b, int i, int field, long v) {
        b.keys[i].w[FlowKey.TUN_METADATA0 + field] = v;
        b.keys[i].w[FlowKey.TUN_MISC] |= 1L << (FlowKey.TUN_METADATA_PRESENT + field);
        b.keys[i].extended = true;
    }

    static TunnelMetadata pop(byte[] frame, TunnelTlvMap known) throws Exception {
        TunnelDecoder dec = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(InetAddress.getByName("172.31.0.2")), known, new TunnelDrops());
        TunnelMetadata md = new TunnelMetadata();
        int in = dec.pop(MemorySegment.ofArray(frame), 0, frame.length, md, 0);
        assertTrue(in > 0, "decodes: " + md.drop);
        return md;
    }

    @Test
    void setFieldsLeaveAsOptionsInFieldOrderWithTheCriticalBit() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TunnelPort p = geneve(up, 1500, OVN);
        PacketBatch b = new PacketBatch();
        TunnelPortTest.inner(b, 0, 100, 1);
        byte[] inner = b.data.asSlice(b.off[0], 100).toArray(JAVA_BYTE);
        metadata(b, 0, 3, 0x1122334455667788L);
        metadata(b, 0, 0, 0x5);
        p.transmit(0, b, new int[] {0}, 1);
        byte[] f = up.frames.getFirst();
        assertEquals(14 + 20 + 8 + 8 + 8 + 12 + 100, f.length);
        int g = 14 + 20 + 8;
        assertEquals(5, f[g] & 0x3f, "opt_len in 4-byte words");
        assertEquals(0x40, f[g + 1] & 0xc0, "C set: type 0x80 is critical, O clear");
        assertEquals("0102800100000005" + "ffff0102" + "1122334455667788",
                HexFormat.of().formatHex(f, g + 8, g + 8 + 20), "tun_metadata0 first, then tun_metadata3");
        assertEquals(f.length - 14, ((f[16] & 0xff) << 8) | (f[17] & 0xff), "IPv4 total length");
        assertEquals(f.length - 34, ((f[38] & 0xff) << 8) | (f[39] & 0xff), "UDP length");
        TunnelMetadata md = pop(f, OVN);                 // checks the IPv4 and UDP checksums too (csum=true)
        assertEquals(20, md.optLen);
        assertEquals(100, md.innerLength);
        assertArrayEquals(inner, java.util.Arrays.copyOfRange(f, f.length - 100, f.length), "inner frame untouched");
        assertEquals(8 + 4, OVN.find(md.options, md.optLen, 3));
        assertEquals(100, b.len[0], "the burst's frame is put back");
        assertEquals("tun_metadata0->{class=0x102,type=0x80,len=4},tun_metadata3->{class=0xffff,type=0x1,len=8} (from the flow's tun_metadata, when present)",
                p.details().get("sends options"));
    }

    @Test
    void unsetFieldsNoMappingsAndVxlanSendNoOptions() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TunnelPort p = geneve(up, 1500, OVN);
        PacketBatch b = new PacketBatch();
        TunnelPortTest.inner(b, 0, 64, 1);
        TunnelPortTest.inner(b, 1, 64, 2);
        metadata(b, 1, 5, 0x9);                          // unmapped field
        b.keys[1].w[FlowKey.TUN_METADATA0] = 0x7;         // mapped, a value but not present: nothing to send (OVS)
        TunnelPortTest.inner(b, 2, 64, 3);
        metadata(b, 2, 3, 1);
        b.keys[2].w[FlowKey.TUN_METADATA0] = 7;          // a stale word without extended: never read
        b.keys[2].extended = false;
        p.transmit(0, b, new int[] {0, 1, 2}, 3);
        for (byte[] f : up.frames) {
            assertEquals(14 + 20 + 8 + 8 + 64, f.length);
            assertEquals(0, f[42] & 0x3f);
            assertEquals(0, f[43] & 0xc0);
        }
        b.keys[0].extended = true;
        b.keys[0].w[FlowKey.TUN_METADATA0] = 5;
        p.setOptions(GeneveOptionWriter.NONE);            // del-tlv-map
        p.transmit(0, b, new int[] {0}, 1);
        assertEquals(14 + 20 + 8 + 8 + 64, up.frames.getLast().length);
        TunnelPort vx = TunnelPortTest.port(up, 1500);
        vx.setOptions(GeneveOptionWriter.of(OVN));
        assertTrue(vx.options().isEmpty(), "a VXLAN port has no options");
        vx.transmit(0, b, new int[] {0}, 1);
        assertEquals(14 + 20 + 8 + 8 + 64, up.frames.getLast().length);
    }

    /** OVS's present bit: set_field:0->tun_metadata0 sends the option with data 0; a field never written sends none. */
    @Test
    void aPresentFieldWithValueZeroIsSent() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TunnelPort p = geneve(up, 1500, OVN);
        PacketBatch b = new PacketBatch();
        TunnelPortTest.inner(b, 0, 64, 1);
        metadata(b, 0, 0, 0);
        p.transmit(0, b, new int[] {0}, 1);
        byte[] f = up.frames.getFirst();
        int g = 14 + 20 + 8;
        assertEquals(14 + 20 + 8 + 8 + 8 + 64, f.length);
        assertEquals(2, f[g] & 0x3f, "opt_len: one 4-byte option");
        assertEquals("0102800100000000", HexFormat.of().formatHex(f, g + 8, g + 16), "tun_metadata0 present with data 0");
        assertEquals(4, OVN.find(pop(f, OVN).options, 8, 0), "the receiver finds its data");
    }

    @Test
    void theMtuCheckCountsTheOptions() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TunnelPort p = geneve(up, 1500, OVN);
        PacketBatch b = new PacketBatch();
        TunnelPortTest.inner(b, 0, 1464, 1);             // 1464 + 36: fits without options
        TunnelPortTest.inner(b, 1, 1456, 2);             // 1456 + 36 + 8: fits with tun_metadata0
        TunnelPortTest.inner(b, 2, 1457, 3);             // one byte too many
        metadata(b, 0, 0, 1);
        metadata(b, 1, 0, 1);
        metadata(b, 2, 0, 1);
        p.transmit(0, b, new int[] {0, 1, 2}, 3);
        assertEquals(1, up.frames.size());
        assertEquals(1500 + 14, up.frames.getFirst().length);
        assertEquals(2, p.drops().get(TunnelDrop.TOO_BIG));
    }

    /**
     * A packet decapsulated with a mapped option and switched to another Geneve port sends it again (OVS keeps the
     * flow's tunnel metadata on output to a tunnel port); an option its bridge does not map is not sent on.
     */
    @Test
    void aDecapsulatedPacketSendsItsMappedOptionsOn() throws Exception {
        io.xvio.datapath.BridgeDatapath ov = new io.xvio.datapath.BridgeDatapath("br-int");
        ov.install(new int[] {1, 2, 3}, List.of(io.xvio.datapath.FlowParser.parse("in_port=2,actions=output:3")));
        io.xvio.datapath.BridgeDatapath under = new io.xvio.datapath.BridgeDatapath("br-phy");
        under.install(new int[] {1, 65534}, List.of(io.xvio.datapath.FlowParser.parse("actions=NORMAL")));
        TunnelDrops gd = new TunnelDrops();
        TunnelConfig in = TunnelConfig.parse(Map.of("type", "geneve", "remote_ip", "172.31.0.2", "key", "5000"), "gnv0");
        NeighborAgent agent = new NeighborAgent(0x020000000001L, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        under.setUnderlay(new io.xvio.datapath.Underlay(agent, List.of(new TunnelDecoder(TunnelType.GENEVE, 6081,
                List.of(InetAddress.getByName("172.31.0.1")), OVN, gd)), List.of(new io.xvio.datapath.Underlay.Ingress(in, ov, 1, 2, 2, (t, n) -> { }, OVN)), gd));
        byte[] opts = {0x01, 0x02, (byte) 0x80, 0x01, 0, 0, 0, 0x2a,                 // tun_metadata0 = 0x2a
                0x01, 0x03, 0x01, 0x01, 1, 2, 3, 4};                                   // not mapped, not critical
        TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, 0x020000000002L, 0x020000000001L,
                InetAddress.getByName("172.31.0.2"), InetAddress.getByName("172.31.0.1"), 6081, 5000, 0, 64, true, false, false, opts));
        PacketBatch b = new PacketBatch();
        TunnelPortTest.inner(b, 0, 64, 5);
        byte[] inner = b.data.asSlice(b.off[0], 64).toArray(JAVA_BYTE);
        b.off[0] = (int) h.push(b.data, b.off[0], 64, 7, 1);
        b.len[0] = 64 + h.length();
        b.count = 1;
        io.xvio.datapath.Outputs out = new io.xvio.datapath.Outputs(16);
        under.process(0, b, out, 0, System.nanoTime());
        assertEquals(1, out.touchedCount());
        assertEquals(2 + 2, out.touchedPort(0), "ofport 3 of the overlay, after the underlay's two ports");
        assertEquals(0x2a, b.keys[0].w[FlowKey.TUN_METADATA0]);
        // the PMD hands the packet to the overlay's port 3: another Geneve port
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        TunnelPort p = geneve(up, 1500, OVN);
        p.transmit(0, b, new int[] {0}, 1);
        byte[] f = up.frames.getFirst();
        assertEquals("010280010000002a", HexFormat.of().formatHex(f, 50, 58), "only the mapped option, with its value");
        assertEquals(2, f[42] & 0x3f);
        assertArrayEquals(inner, java.util.Arrays.copyOfRange(f, 58, f.length));
    }

    @Test
    void sendingOptionsAllocatesNothing() throws Exception {
        TunnelPortTest.Capture up = new TunnelPortTest.Capture();
        up.keep = false;
        TunnelPort p = geneve(up, 1500, OVN);
        PacketBatch b = new PacketBatch();
        int[] which = new int[PacketBatch.BURST];
        for (int i = 0; i < PacketBatch.BURST; i++) {
            TunnelPortTest.inner(b, i, 64 + i, i);
            metadata(b, i, 0, i + 1);
            if (i % 2 == 0) metadata(b, i, 3, -i);
            which[i] = i;
        }
        long used = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 20_000; k++) p.transmit(0, b, which, PacketBatch.BURST);
            used = Math.min(used, ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes() - before);
        }
        assertTrue(used < 4096, used + " bytes allocated by 20,000 bursts with options");
        assertEquals(0, p.drops().get(TunnelDrop.NO_HEADROOM));
    }
}
