package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xvio.openflow.OfMessages.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Actions that came over OpenFlow meet the prerequisites of the field header they name and, in 1.1+, OVS's
 * inconsistent_match rules, as OVS's ofpacts_check answers them (the verdicts below are ovs-ofctl parse-flow's and
 * OVS 3.1's for the same flows): a refusal is OFPBAC_MATCH_INCONSISTENT and installs nothing.
 */
class ActionPrereqsTest {
    private static byte[] flowMod(int version, String match, byte[] actions) { return OfMessages.flowMod(version, 9, 0, match, actions); }
    private static byte[] flowMod10(String match, byte[] actions) { return OfMessages.flowMod10(9, match, actions); }
    private static byte[] packetOut(int version, byte[] actions, byte[] frame) { return OfMessages.packetOut(version, 11, actions, frame); }

    /** null if c installed the flow, else the error's name. */
    private static String verdict(MemorySwitch sw, OfConnection c, byte[] msg) {
        int before = sw.flows.size();
        List<byte[]> replies = c.handle(msg);
        if (replies.isEmpty()) {
            assertEquals(before + 1, sw.flows.size(), "accepted: installed");
            sw.flows.clear();
            return null;
        }
        OpenFlowCodecTest.errorOf(replies);
        assertEquals(before, sw.flows.size(), "refused: nothing installed");
        return OfMessages.errorName(replies.getFirst()).replace("OFPBAC_", "");
    }

    private static final byte[] OUT = output(2);

    @Test
    void aSetFieldMeetsThePrerequisiteOfTheFieldItNames() {
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(v, "udp", cat(setField(TCP_DST, 2, 80), OUT))), "tcp_dst on udp");
            assertNull(verdict(sw, c, flowMod(v, "udp", cat(setField(UDP_DST, 2, 80), OUT))), "udp_dst on udp");
            assertNull(verdict(sw, c, flowMod(v, "tcp", cat(setField(TCP_DST, 2, 80), OUT))), "tcp_dst on tcp");
            assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(v, "ip", cat(setField(TCP_DST, 2, 80), OUT))), "tcp_dst on ip");
            assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(v, "arp", cat(setField(IPV4_DST, 4, 0x01020304L), OUT))), "ipv4_dst on arp");
            assertNull(verdict(sw, c, flowMod(v, "arp", cat(setField(ARP_TPA, 4, 0x01020304L), OUT))), "arp_tpa on arp");
            assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(v, "icmp6", cat(setField(ICMPV4_TYPE, 1, 3), OUT))), "icmpv4_type on icmp6");
            assertNull(verdict(sw, c, flowMod(v, "icmp6", cat(setField(ICMPV6_TYPE, 1, 3), OUT))), "icmpv6_type on icmp6");
            assertNull(verdict(sw, c, flowMod(v, "icmp", cat(setField(ICMPV4_TYPE, 1, 3), OUT))), "icmpv4_type on icmp");
        }
    }

    @Test
    void openFlow11AndLaterRefuseWhatOnly10AllowsWithoutAFittingMatch() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(OfVersion.OF13, "", cat(plain(DEC_NW_TTL), OUT))), "dec_ttl without ip");
        assertNull(verdict(sw, c, flowMod(OfVersion.OF13, "ipv6", cat(plain(DEC_NW_TTL), OUT))));
        assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(OfVersion.OF13, "", cat(plain(POP_VLAN), OUT))), "pop_vlan, no tag");
        assertNull(verdict(sw, c, flowMod(OfVersion.OF13, "dl_vlan=10", cat(plain(POP_VLAN), OUT))));
        assertNull(verdict(sw, c, flowMod(OfVersion.OF13, "", cat(pushVlan(), plain(POP_VLAN), OUT))), "push then pop");
        assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(OfVersion.OF13, "dl_vlan=10", cat(plain(POP_VLAN), plain(POP_VLAN), OUT))),
                "the second pop finds no tag");

        assertEquals("MATCH_INCONSISTENT", verdict(sw, c, flowMod(OfVersion.OF13, "", cat(setField(VLAN_VID, 2, 0x1000 | 10), OUT))),
                "set_field vlan_vid without a tag (xvio's text for it, mod_vlan_vid, would push one)");
        assertNull(verdict(sw, c, flowMod(OfVersion.OF13, "", cat(pushVlan(), setField(VLAN_VID, 2, 0x1000 | 10), OUT))));
        assertNull(verdict(sw, c, flowMod(OfVersion.OF13, "dl_vlan=7", cat(setField(VLAN_VID, 2, 0x1000 | 10), OUT))));

        // OpenFlow 1.0 allows the legacy rewrites on any flow; a Nicira reg_load names its field and is checked as set_field
        MemorySwitch sw10 = new MemorySwitch();
        OfConnection c10 = OpenFlowCodecTest.connected(sw10, OfVersion.OF10);
        assertNull(verdict(sw10, c10, flowMod10("", setTpDst10(80))), "mod_tp_dst without tcp: OpenFlow 1.0 allows it");
        assertNull(verdict(sw10, c10, flowMod10("", nxDecTtl())), "dec_ttl without ip: 1.0 allows it");
        assertEquals("MATCH_INCONSISTENT", verdict(sw10, c10, flowMod10("udp", regLoad16(NXM_TCP_DST, 80))), "load to NXM_OF_TCP_DST on udp");
        assertNull(verdict(sw10, c10, flowMod10("udp", regLoad16(NXM_UDP_DST, 80))));
    }

    @Test
    void aPacketOutMeetsThemOnItsFrame() {
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        byte[] udp = new byte[42];
        udp[12] = 0x08;
        udp[14] = 0x45;
        udp[17] = 28;               // total length: the IPv4 header and 8 bytes of UDP
        udp[22] = 64;
        udp[23] = 17;
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF15}) {
            OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
            assertError(c.handle(packetOut(v, cat(plain(DEC_NW_TTL), OUT), arp)), "dec_ttl on an ARP frame");
            assertError(c.handle(packetOut(v, cat(setField(TCP_DST, 2, 80), OUT), udp)), "tcp_dst on a UDP frame");
            assertEquals(List.of(), c.handle(packetOut(v, cat(setField(UDP_DST, 2, 80), OUT), udp)), "udp_dst on a UDP frame");
        }
    }

    @Test
    void anOpenFlow15PacketOutNamesItsInPort() {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF15);
        Wire.Writer w = new Wire.Writer(OfVersion.OF15, OfType.PACKET_OUT, 12);
        w.u32(PacketIn.NO_BUFFER).u16(0).zeros(2);
        FlowModCodec.writeOxmMatch(new io.xvio.datapath.Match(), w);
        assertArrayEquals(new int[] {1, 11}, OpenFlowCodecTest.errorOf(c.handle(w.bytes(new byte[60]).finish())), "OFPBRC_BAD_PORT, as OVS");
    }

    private static void assertError(List<byte[]> replies, String what) {
        assertArrayEquals(new int[] {2, 10}, OpenFlowCodecTest.errorOf(replies), what + ": OFPBAC_MATCH_INCONSISTENT");
    }
}
