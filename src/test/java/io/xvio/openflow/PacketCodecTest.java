package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.*;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packet-in and packet-out in every layout (OpenFlow 1.0, 1.3, 1.4, 1.5, Nicira's NXT_PACKET_IN) survive
 * encode/decode; a connection runs a packet-out on its switch and answers role requests as OVS does.
 */
class PacketCodecTest {
    static final byte[] FRAME = frame(60);

    static byte[] frame(int n) {
        byte[] f = new byte[n];
        for (int i = 0; i < n; i++) f[i] = (byte) (i * 7 + 1);
        f[12] = 0x08;
        f[13] = 0x00;
        return f;
    }

    /** Key words with these fields; reg2 (the high half of xreg1) gets reg3's value plus one when reg3 is not 0. */
    static long[] key(int inPort, long metadata, int reg3, long mark) {
        long[] k = new long[FlowKey.PACKET_WORDS];
        k[FlowKey.IN_PORT] = inPort;
        k[FlowKey.METADATA] = metadata;
        k[Field.REG3.word] |= Field.REG3.put(reg3);
        if (reg3 != 0) k[Field.REG2.word] |= Field.REG2.put(reg3 + 1L);
        k[FlowKey.PKT_MARK] = mark;
        return k;
    }

    @Test
    void packetInsRoundTripInEveryLayout() {
        Match m = PacketIn.metadata(key(3, 0x1122334455667788L, 0xabcd, 9));
        assertEquals("reg2=0xabce,reg3=0xabcd,metadata=0x1122334455667788,pkt_mark=0x9,in_port=3", io.xvio.datapath.FlowFormat.match(m).replace(" ", ""));
        PacketIn pi = new PacketIn(1500, PacketIns_ACTION, 7, 0xfeedL, m, FRAME);
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            byte[] msg = pi.encode(v, PacketIn.FORMAT_STANDARD, 5);
            assertEquals(v, msg[0]);
            assertEquals(OfType.PACKET_IN, msg[1]);
            assertEquals(pi, PacketIn.decode(msg), OfVersion.name(v));
        }
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_NXT, 5)), "NXT_PACKET_IN keeps everything");
            assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_NXT2, 5)), "NXT_PACKET_IN2 keeps everything");
        }
        PacketIn whole = new PacketIn(FRAME.length, 0, 0, -1L, m, FRAME);
        assertEquals(whole, PacketIn.decode(whole.encode(OfVersion.OF13, PacketIn.FORMAT_NXT2, 5)), "no full_len and no cookie properties");
        // OpenFlow 1.0's own layout has no table, cookie or metadata: in_port and the frame are what remains
        PacketIn of10 = PacketIn.decode(pi.encode(OfVersion.OF10, PacketIn.FORMAT_STANDARD, 5));
        assertEquals(new PacketIn(1500, PacketIns_ACTION, 0, 0, new Match().set(Field.IN_PORT, 3, 0xffff), FRAME), of10);
        assertEquals(18 + FRAME.length, pi.encode(OfVersion.OF10, PacketIn.FORMAT_STANDARD, 5).length);
    }

    private static final int PacketIns_ACTION = io.xvio.datapath.PacketIns.ACTION;

    /** A tracked packet's conntrack fields travel in the packet-in's match (OXM and NXM, NXT_PACKET_IN2 too). */
    @Test
    void conntrackFieldsGoAlong() {
        long[] k = new long[FlowKey.WORDS];
        System.arraycopy(key(2, 0, 0, 0), 0, k, 0, FlowKey.PACKET_WORDS);
        k[Field.CT_STATE.word] |= Field.CT_STATE.put(0x21);                   // +new+trk
        k[Field.CT_ZONE.word] |= Field.CT_ZONE.put(7);
        k[FlowKey.CT_MARK] = 0x42;
        k[FlowKey.CT_LABEL_LO] = 1;
        Match m = PacketIn.metadata(k);
        String text = io.xvio.datapath.FlowFormat.match(m);
        assertTrue(text.contains("ct_zone=7") && text.contains("ct_mark=0x42") && text.contains("ct_label=0x1") && text.contains("in_port=2"), text);
        PacketIn pi = new PacketIn(60, 1, 3, 9, m, FRAME);
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_NXT2, 1)), OfVersion.name(v));
            if (v != OfVersion.OF10) assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_STANDARD, 1)), OfVersion.name(v));
        }
    }

    /**
     * A decapsulated packet's tunnel fields travel in the packet-in's match as OVS's flow_get_metadata puts them:
     * tun_id, tun_src/tun_dst, the oam flag, each Geneve option present (a value 0 too); not tun_ttl or the ports.
     */
    @Test
    void tunnelFieldsGoAlong() {
        long[] k = new long[FlowKey.WORDS];
        System.arraycopy(key(2, 0, 0, 0), 0, k, 0, FlowKey.PACKET_WORDS);
        k[FlowKey.TUN_ID] = 0x64;
        k[FlowKey.TUN_IPV4] = Field.TUN_SRC.put(0xc0000201L) | Field.TUN_DST.put(0xc0000202L);
        k[FlowKey.TUN_MISC] = Field.TUN_TTL.put(64) | Field.TUN_TP_DST.put(6081) | Field.TUN_FLAGS.put(1)
                | Field.TUN_METADATA0.presentBit() | Field.TUN_METADATA2.presentBit();
        k[Field.TUN_METADATA0.word] = 0x10002;
        Match m = PacketIn.metadata(k);
        String text = io.xvio.datapath.FlowFormat.match(m);
        for (String want : List.of("tun_id=0x64", "tun_src=192.0.2.1", "tun_dst=192.0.2.2", "tun_metadata0=0x10002", "tun_metadata2=0", "in_port=2"))
            assertTrue(text.contains(want), want + " in " + text);
        assertFalse(text.contains("tun_ttl") || text.contains("tun_tp_dst") || text.contains("tun_metadata1"), text);
        assertEquals(0x1, m.value(FlowKey.TUN_MISC) & m.mask(FlowKey.TUN_MISC) & 0xff, "tun_flags: oam");
        PacketIn pi = new PacketIn(60, 1, 3, 9, m, FRAME);
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_NXT2, 1)), OfVersion.name(v));
            if (v != OfVersion.OF10) assertEquals(pi, PacketIn.decode(pi.encode(v, PacketIn.FORMAT_STANDARD, 1)), OfVersion.name(v));
        }
        long[] plain = java.util.Arrays.copyOf(k, FlowKey.PACKET_WORDS);
        assertEquals("in_port=2", io.xvio.datapath.FlowFormat.match(PacketIn.metadata(plain)).replace(" ", ""), "a key of the packet's own words only");
    }

    @Test
    void theOf13PacketInLayoutIsOpenFlows() {
        PacketIn pi = new PacketIn(60, 0, 0, 0, PacketIn.metadata(key(1, 0, 0, 0)), FRAME);
        byte[] m = pi.encode(OfVersion.OF13, 0, 9);
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        assertEquals(0xffffffffL, r.u32(), "buffer_id: none");
        assertEquals(60, r.u16(), "total_len");
        assertEquals(0, r.u8(), "reason: OFPR_NO_MATCH");
        assertEquals(0, r.u8(), "table_id");
        assertEquals(0, r.u64(), "cookie");
        assertEquals(1, r.u16(), "match type OXM");
        assertEquals(12, r.u16(), "match length: header + OXM_OF_IN_PORT");
        assertEquals(0x80000004L, r.u32(), "OXM_OF_IN_PORT");
        assertEquals(1, r.u32());
        r.skip(4 + 2);                                   // match padding, then 2 bytes of pad before the frame
        assertEquals(FRAME.length, r.remaining());
    }

    @Test
    void packetOutsRoundTripInEveryVersion() {
        List<Action> acts = FlowParser.parse("actions=mod_dl_src:00:11:22:33:44:55,output:2,NORMAL").actions;
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            for (int in : new int[] {1, Ports.CONTROLLER, Ports.LOCAL}) {
                PacketOut po = new PacketOut(in, acts, FRAME);
                byte[] msg = po.encode(v, 3);
                Wire.Reader r = new Wire.Reader(msg);
                r.skip(8);
                assertEquals(po, PacketOut.decode(r, v), OfVersion.name(v) + " in_port " + in);
            }
        }
    }

    /** output:TABLE (0xfff9 / 0xfffffff9): allowed in a packet-out as resubmit(,0), refused in a flow. */
    @Test
    void outputToTableOnlyInAPacketOut() {
        Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.PACKET_OUT, 1);
        w.u32(0xffffffffL).u32(0xfffffffdL).u16(16).zeros(6);
        w.u16(0).u16(16).u32(0xfffffff9L).u16(0xffff).zeros(6);
        w.bytes(FRAME);
        Wire.Reader r = new Wire.Reader(w.finish());
        r.skip(8);
        PacketOut po = PacketOut.decode(r, OfVersion.OF13);
        assertEquals(List.of(Resubmit.outputTable()), po.actions());
        assertEquals(Ports.CONTROLLER, po.inPort());
        Wire.Writer a = new Wire.Writer();
        a.u16(0).u16(16).u32(0xfffffff9L).u16(0xffff).zeros(6);
        OfError.Failure f = assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(a.toBytes()), OfVersion.OF13));
        assertEquals(OfError.BAD_OUT_PORT, f.error);
    }

    @Test
    void badPacketOutsGetOvsErrors() {
        Wire.Writer buffered = new Wire.Writer(OfVersion.OF13, OfType.PACKET_OUT, 1);
        buffered.u32(5).u32(1).u16(0).zeros(6).bytes(FRAME);
        assertError(OfError.BUFFER_UNKNOWN, buffered.finish(), OfVersion.OF13);
        Wire.Writer badPort = new Wire.Writer(OfVersion.OF13, OfType.PACKET_OUT, 1);
        badPort.u32(0xffffffffL).u32(0xff00).u16(0).zeros(6).bytes(FRAME);
        assertError(OfError.BAD_PORT, badPort.finish(), OfVersion.OF13);
        Wire.Writer lying = new Wire.Writer(OfVersion.OF10, OfType.PACKET_OUT, 1);
        lying.u32(0xffffffffL).u16(1).u16(400).bytes(FRAME);
        assertError(OfError.BAD_LEN, lying.finish(), OfVersion.OF10);
        Wire.Writer runt = new Wire.Writer(OfVersion.OF10, OfType.PACKET_OUT, 1);
        runt.u32(0xffffffffL).u16(1).u16(0).zeros(10);
        assertError(OfError.BAD_LEN, runt.finish(), OfVersion.OF10);
    }

    /**
     * OpenFlow 1.5: a packet-out's match may carry pipeline fields (metadata, registers, tunnel fields, as OVS's
     * mf_is_pipeline_field); they reach the switch with the packet-out. Any other field is
     * OFPBRC_PIPELINE_FIELDS_ONLY, and older versions cannot carry them.
     */
    @Test
    void anOpenFlow15PacketOutCarriesPipelineFields() {
        Match md = FlowParser.parse("reg0=5,xreg3=0x1122334455667788,metadata=0x7,tun_id=0x9,tun_dst=10.1.2.3,actions=drop").match;
        PacketOut po = new PacketOut(0xfffd, FlowParser.parseActionList("resubmit(,1)"), FRAME, md);
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        assertEquals(List.of(), c.handle(po.encode(OfVersion.OF15, 4)));
        assertEquals(1, sw.packetOuts.size());
        PacketOut got = sw.packetOuts.getFirst();
        assertEquals(po, got);
        assertEquals(5, Field.REG0.get(got.metadata().value(Field.REG0.word)));
        assertTrue(got.metadata().isWild(FlowKey.IN_PORT), "in_port is the packet-out's own, not metadata");
        assertThrows(IllegalArgumentException.class, () -> po.encode(OfVersion.OF13, 5));
        assertEquals(List.of(), c.handle(new PacketOut(1, List.of(new Output(2)), FRAME).encode(OfVersion.OF15, 6)));
        assertNull(sw.packetOuts.getLast().metadata(), "in_port alone: no metadata");

        for (String notPipeline : new String[] {"pkt_mark=1", "ip,nw_dst=10.0.0.1", "dl_src=02:00:00:00:00:01", "ct_mark=1"}) {
            Match m = FlowParser.parse(notPipeline + ",actions=drop").match;
            assertError(OfError.PIPELINE_FIELDS_ONLY, new PacketOut(1, List.of(new Output(2)), FRAME, m).encode(OfVersion.OF15, 7), OfVersion.OF15);
        }
    }

    private static void assertError(OfError want, byte[] msg, int version) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, version);
        List<byte[]> r = c.handle(msg);
        assertEquals(1, r.size());
        assertEquals(OfType.ERROR, r.getFirst()[1]);
        Wire.Reader e = new Wire.Reader(r.getFirst());
        e.skip(8);
        assertEquals(want.type, e.u16(), want.name());
        assertEquals(want.code, e.u16(), want.name());
        assertTrue(sw.packetOuts.isEmpty());
    }

    @Test
    void aConnectionRunsPacketOutsOnItsSwitch() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF15);
        PacketOut po = new PacketOut(2, List.of(new Output(1)), FRAME);
        assertEquals(List.of(), c.handle(po.encode(OfVersion.OF15, 4)));
        assertEquals(List.of(po), sw.packetOuts);
    }

    /** Packet-outs pipeline; any other message (here an echo does not, a barrier and a flow stats request do) waits for them. */
    @Test
    void otherMessagesWaitForThePacketOutsBeforeThem() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        byte[] po = new PacketOut(2, List.of(new Output(1)), FRAME).encode(OfVersion.OF13, 4);
        c.handle(po);
        c.handle(po);
        c.handle(new Wire.Writer(OfVersion.OF13, OfType.ECHO_REQUEST, 5).finish());
        assertEquals(List.of("packet_out", "packet_out"), sw.calls, "packet-outs and echoes do not wait");
        List<byte[]> reply = c.handle(new Wire.Writer(OfVersion.OF13, OfType.BARRIER_REQUEST, 6).finish());
        assertEquals(OfType.BARRIER_REPLY, reply.getFirst()[1]);
        assertEquals(List.of("packet_out", "packet_out", "settle"), sw.calls, "the barrier waits for them");
    }

    private static byte[] role(int version, int role, long gen) {
        Wire.Writer w = new Wire.Writer(version, OfType.ROLE_REQUEST, 11);
        w.u32(role).zeros(4).u64(gen);
        return w.finish();
    }

    private static long[] roleReply(List<byte[]> r) {
        assertEquals(1, r.size());
        assertEquals(OfType.ROLE_REPLY, r.getFirst()[1], "a role reply");
        Wire.Reader x = new Wire.Reader(r.getFirst());
        x.skip(8);
        long role = x.u32();
        x.skip(4);
        return new long[] {role, x.u64()};
    }

    /** As OVS: one master (the old one becomes slave), stale generation ids refused, a slave may not change flows. */
    @Test
    void rolesAsOvsAnswersThem() {
        MemorySwitch sw = new MemorySwitch();
        OfChannels ch = new OfChannels(sw, System.nanoTime());
        try {
            OfConnection a = new OfConnection(null, sw, "a", System.nanoTime(), ch, true), b = new OfConnection(null, sw, "b", System.nanoTime(), ch, true);
            for (OfConnection c : List.of(a, b)) {
                ch.add(c);
                c.handle(OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            }
            assertArrayEquals(new long[] {1, -1}, roleReply(a.handle(role(OfVersion.OF13, 0, 0))), "equal at first; no generation id yet: all ones");
            assertArrayEquals(new long[] {2, 5}, roleReply(a.handle(role(OfVersion.OF13, 2, 5))));
            assertArrayEquals(new long[] {2, 6}, roleReply(b.handle(role(OfVersion.OF13, 2, 6))));
            assertEquals(OfConnection.ROLE_SLAVE, a.role(), "the old master is slave now");
            List<byte[]> stale = a.handle(role(OfVersion.OF13, 2, 4));
            assertEquals(OfType.ERROR, stale.getFirst()[1]);
            assertEquals(11, ((stale.getFirst()[8] & 0xff) << 8) | (stale.getFirst()[9] & 0xff), "OFPET_ROLE_REQUEST_FAILED");
            assertEquals(0, stale.getFirst()[11], "OFPRRFC_STALE");
            List<byte[]> denied = a.handle(OpenFlowCodecTest.flowMod13("priority=1,actions=drop", FlowMod.ADD, OfVersion.OF13));
            assertEquals(OfType.ERROR, denied.getFirst()[1]);
            assertEquals(10, denied.getFirst()[11], "OFPBRC_IS_SLAVE");
            assertTrue(sw.flows.isEmpty());
            assertFalse(a.wantsPacketIns(), "a slave gets no packet-ins");
            assertTrue(b.wantsPacketIns());
            List<byte[]> bad = b.handle(role(OfVersion.OF13, 9, 7));
            assertEquals(2, bad.getFirst()[11], "OFPRRFC_BAD_ROLE");
        } finally {
            ch.close();
        }
    }

    @Test
    void niciraRoleRequests() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 3);
        w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_ROLE_REQUEST).u32(2);
        List<byte[]> r = c.handle(w.finish());
        Wire.Reader x = new Wire.Reader(r.getFirst());
        x.skip(8);
        assertEquals(OfVersion.NX_VENDOR, x.u32());
        assertEquals(OfType.NXT_ROLE_REPLY, x.u32());
        assertEquals(2, x.u32(), "NX_ROLE_SLAVE");
        assertEquals(OfConnection.ROLE_SLAVE, c.role());
    }

    /** A BRIDGE.mgmt client gets packet-ins only once it set a miss_send_len (OVS's service connections). */
    @Test
    void serviceConnectionsAskForPacketIns() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertFalse(c.wantsPacketIns());
        Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.SET_CONFIG, 3);
        w.u16(0).u16(0xffff);
        c.handle(w.finish());
        assertTrue(c.wantsPacketIns());
    }
}
