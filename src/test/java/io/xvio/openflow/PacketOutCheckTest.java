package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A packet-out's actions meet the prerequisites of the frame they run on, as OVS checks them (else MATCH_INCONSISTENT). */
class PacketOutCheckTest {
    private static final byte[] MACS = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

    private static byte[] eth(int[] tags, int type, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 4 * tags.length + payload.length);
        b.put(MACS);
        for (int t : tags) b.putShort((short) 0x8100).putShort((short) t);
        b.putShort((short) type).put(payload);
        return b.array();
    }

    private static byte[] arp() {
        return ByteBuffer.allocate(28).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                .put(MACS, 6, 6).putInt(0x0a000001).put(new byte[6]).putInt(0x0a000002).array();
    }

    private static byte[] ipv4(int proto, byte[] l4) {
        return ByteBuffer.allocate(20 + l4.length).put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putInt(0)
                .put((byte) 64).put((byte) proto).putShort((short) 0).putInt(0x0a000001).putInt(0x0a000002).put(l4).array();
    }

    private static byte[] ports(int sport, int dport, int len) {
        return ByteBuffer.allocate(len).putShort((short) sport).putShort((short) dport).array();
    }

    private static byte[] icmp6(int type) {
        byte[] body = ByteBuffer.allocate(24).put((byte) type).put((byte) 0).array();       // type, code, checksum, reserved, target
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).putInt(0x60000000).putShort((short) body.length).put((byte) 58).put((byte) 255);
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfe, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        return b.put(body).array();
    }

    /** actions as the CLI parses them under a match that allows them. */
    private static List<Action> actions(String match, String actions) { return FlowParser.parse(match + ",actions=" + actions).actions; }

    private static boolean passes(byte[] frame, List<Action> actions) {
        try {
            PacketOutCheck.check(new PacketOut(1, actions, frame));
            return true;
        } catch (OfError.Failure f) {
            assertEquals(OfError.MATCH_INCONSISTENT, f.error, f.getMessage());
            return false;
        }
    }

    /**
     * The actions are checked as the CLI checks the flow they would make (CliCheck's text round trip), so what that
     * text keeps decides here: set_field on ARP, IPv6 and neighbour discovery fields keeps its prerequisites. What the
     * text loses (a full-field set_field of nw_dst or tcp_dst reads back as mod_nw_dst/mod_tp_dst, which OpenFlow 1.0
     * lets run on any frame) is checked while the packet-out is decoded: ActionPrereqsTest.
     */
    @Test
    void actionsMeetThePrerequisitesOfTheFrameTheyRunOn() {
        byte[] arp = eth(new int[0], 0x0806, arp());
        byte[] tcp = eth(new int[0], 0x0800, ipv4(6, ports(1234, 80, 20)));
        byte[] udp = eth(new int[0], 0x0800, ipv4(17, ports(1234, 53, 8)));
        byte[] ns = eth(new int[0], 0x86dd, icmp6(135)), echo6 = eth(new int[0], 0x86dd, icmp6(128));

        List<Action> tpa = actions("arp", "set_field:1.2.3.4->arp_tpa,output:2");
        assertTrue(passes(arp, tpa));
        assertFalse(passes(tcp, tpa), "an ARP rewrite on an IPv4 frame");
        assertTrue(passes(arp, actions("", "output:2")), "no prerequisite: any frame");
        assertTrue(passes(arp, actions("", "set_field:7->reg0,resubmit(,1)")));
        assertTrue(passes(tcp, actions("ip", "set_field:1.2.3.4->nw_dst,output:2")));

        List<Action> v6 = actions("ipv6", "set_field:2001:db8::1->ipv6_src,output:2");
        assertTrue(passes(ns, v6));
        assertFalse(passes(udp, v6), "an IPv6 rewrite on an IPv4 frame");

        List<Action> target = actions("icmp6,icmp_type=135,icmp_code=0", "set_field:fe80::9->nd_target");
        assertTrue(passes(ns, target));
        assertFalse(passes(echo6, target), "nd_target on an echo request");
    }

    @Test
    void aShortOrBrokenFrameStillGetsItsVerdictFromWhatItHas() {
        byte[] cut = eth(new int[0], 0x86dd, new byte[6]);         // IPv6 by its type, no valid header
        assertTrue(passes(cut, actions("ipv6", "set_field:2001:db8::1->ipv6_src")), "dl_type says IPv6, as in OVS's flow");
        assertFalse(passes(cut, actions("icmp6,icmp_type=135,icmp_code=0", "set_field:fe80::9->nd_target")), "no ICMPv6 header");
        assertTrue(passes(eth(new int[0], 0x1234, new byte[0]), actions("", "output:2")));
    }
}
