package io.xvio.datapath;

import io.xvio.datapath.conntrack.CtEntry;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.*;

import static io.xvio.datapath.conntrack.Frames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * ct() in the datapath: a security-group table (allow new from port 1, replies and established both ways, nothing
 * new from port 2), exec(ct_mark), NAT both ways, ct_clear and the ct_* matches, with the caches on (each frame
 * replayed from the megaflow cache the second time round) and off.
 */
class CtDatapathTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2"), NAT = ip("192.168.0.100");

    static final String[] SECURITY_GROUP = {
            "table=0,priority=10,ip,actions=ct(table=1,zone=7)",
            "table=0,priority=0,actions=drop",
            "table=1,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=7,exec(set_field:0x5->ct_mark)),output:2",
            "table=1,priority=10,ip,in_port=1,ct_state=+trk+est-new,ct_mark=5,actions=output:2",
            "table=1,priority=10,ip,in_port=2,ct_state=+trk+est-new,ct_mark=5,actions=output:1",
            "table=1,priority=0,actions=drop"};

    static BridgeDatapath bridge(boolean cached, String... flows) { return bridge(cached, 2, flows); }

    /** A bridge of ports 1..ports (indexes 0..ports - 1), all live, with these flows. */
    static BridgeDatapath bridge(boolean cached, int ports, String... flows) {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.setCacheEnabled(cached);
        List<Flow> fs = new ArrayList<>();
        for (String f : flows) fs.add(FlowParser.parse(f));
        int[] ofports = new int[ports];
        boolean[] live = new boolean[ports];
        for (int p = 0; p < ports; p++) {
            ofports[p] = p + 1;
            live[p] = true;
        }
        dp.install(ofports, fs);
        dp.setLive(live);
        return dp;
    }

    /** Sends frame in on port index inPort; returns port index -> the frame that left there. */
    static Map<Integer, byte[]> send(BridgeDatapath dp, int inPort, byte[] frame) { return GroupsTest.send(dp, inPort, frame); }

    static byte[] seg(long src, long dst, int sport, int dport, int flags, int seq, int ack) {
        return v4(src, dst, 6, tcp(sport, dport, flags, seq, ack, 65535, 0, new byte[0]));
    }

    @Test
    void aSecurityGroupLetsConnectionsFromPortOneAndTheirRepliesThroughOnly() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, SECURITY_GROUP);
            for (int conn = 0; conn < 2; conn++) {          // the second connection replays cached translations
                int sp = 40000 + conn;
                byte[] syn = seg(A, B, sp, 80, SYN, 1000, 0);
                assertEquals(Set.of(1), send(dp, 0, syn).keySet(), "a new connection from port 1 goes out of port 2");
                assertArrayEquals(syn, send(dp, 0, syn).get(1), "unchanged (a retransmitted SYN is still new)");
                assertEquals(Set.of(0), send(dp, 1, seg(B, A, 80, sp, SYN | ACK, 5000, 1001)).keySet(), "the reply comes back");
                assertEquals(Set.of(1), send(dp, 0, seg(A, B, sp, 80, ACK, 1001, 5001)).keySet(), "established");
                assertEquals(Set.of(0), send(dp, 1, seg(B, A, 80, sp, ACK, 5001, 1001)).keySet(), "established, reply direction");
                assertEquals(Map.of(), send(dp, 1, seg(B, A, 2000 + conn, 22, SYN, 9, 0)), "nothing new from port 2");
                assertEquals(Map.of(), send(dp, 1, v4(B, A, 6, tcp(80, sp, ACK | PSH, 5001 - 300_000, 1001, 65535, 100, new byte[0]))),
                        "more than a window back: +inv");
            }
            List<CtEntry> conns = dp.conntrack().get().dump(7, System.nanoTime());
            assertEquals(2, conns.size(), conns.toString());
            assertTrue(conns.getFirst().format(false).contains("mark=5"), conns.getFirst().format(false));
            assertEquals(0, dp.conntrack().get().dump(0, System.nanoTime()).size(), "zone 7 only");
        }
    }

    @Test
    void snatRewritesBothDirections() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,priority=10,ip,actions=ct(table=1,zone=1,nat)",
                    "table=1,ip,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=1,nat(src=192.168.0.100)),output:2",
                    "table=1,ip,in_port=1,ct_state=+trk+est,actions=output:2",
                    "table=1,ip,in_port=2,ct_state=+trk+est,actions=output:1");
            for (int conn = 0; conn < 2; conn++) {
                int sp = 41000 + conn;
                byte[] out = send(dp, 0, seg(A, B, sp, 80, SYN, 1000, 0)).get(1);
                assertNotNull(out, "SYN forwarded");
                assertEquals((int) NAT, ByteBuffer.wrap(out).getInt(26), "source translated");
                assertTrue(checksumsOk(out), "checksums updated");
                int natPort = ByteBuffer.wrap(out).getShort(34) & 0xffff;
                byte[] back = send(dp, 1, seg(B, NAT, 80, natPort, SYN | ACK, 5000, 1001)).get(0);
                assertNotNull(back, "the reply to the NAT address comes back to port 1");
                assertEquals((int) A, ByteBuffer.wrap(back).getInt(30), "destination translated back");
                assertEquals(sp, ByteBuffer.wrap(back).getShort(36) & 0xffff, "port translated back");
                assertTrue(checksumsOk(back));
                byte[] ack = send(dp, 0, seg(A, B, sp, 80, ACK, 1001, 5001)).get(1);
                assertEquals((int) NAT, ByteBuffer.wrap(ack).getInt(26), "later packets translated too");
            }
        }
    }

    /**
     * OVN's load balancer hairpin (a backend connecting to its own VIP): in one pass the packet is DNATed to the
     * backend, SNATed to the VIP (two ct(commit,nat) without table, the flow's words staying as they were), then
     * tracked again in the egress port's zone. That ct() must track the frame as the NATs left it (OVS's datapath
     * parses the packet), and the recirculated pass must match the frame's addresses: before, it tracked the words,
     * so the egress commit collided with the DNAT connection and the backend's SYN-ACK was +inv.
     */
    /**
     * After a ct(nat) without a table the packet goes on with the key as the flows saw it before (OVS's translation
     * does not know the translation's result): a later lookup matches the original source, the frame leaves with
     * the translated one.
     */
    @Test
    void flowsAfterACtNatWithoutATableSeeTheAddressesBeforeIt() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, 3,
                    "table=0,priority=10,ip,in_port=1,actions=ct(commit,zone=1,nat(src=192.168.0.100:5000)),resubmit(,1)",
                    "table=1,priority=10,tcp,nw_src=10.0.0.1,tcp_src=42000,actions=output:2",
                    "table=1,priority=5,ip,actions=output:3");
            for (int conn = 0; conn < 2; conn++) {
                Map<Integer, byte[]> got = send(dp, 0, seg(A, B, 42000, 80, SYN, 1000 + conn, 0));
                assertEquals(Set.of(1), got.keySet(), "cached " + cached + ": matched as 10.0.0.1:42000, the key before the nat");
                assertEquals((int) NAT, ByteBuffer.wrap(got.get(1)).getInt(26), "the frame's source translated");
                assertEquals(5000, ByteBuffer.wrap(got.get(1)).getShort(34) & 0xffff, "and its port");
            }
        }
    }

    @Test
    void aCtAfterNatsInTheSamePassTracksTheRewrittenFrame() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,priority=10,ip,in_port=1,actions=ct(commit,zone=4,nat(dst=10.0.0.1:80)),ct(commit,zone=1,nat(src=10.0.0.100)),ct(table=1,zone=4,nat)",
                    "table=1,ip,ct_state=+trk+new,nw_src=10.0.0.100,nw_dst=10.0.0.1,actions=ct(commit,zone=4),output:2",
                    "table=0,priority=10,ip,in_port=2,actions=ct(table=2,zone=4)",
                    "table=2,ct_state=+trk+est+rpl,actions=output:1");
            long vip = ip("10.0.0.100");
            for (int conn = 0; conn < 2; conn++) {
                int sp = 43000 + conn;
                byte[] out = send(dp, 0, seg(A, vip, sp, 80, SYN, 1000, 0)).get(1);
                assertNotNull(out, "the hairpinned SYN leaves (matched as the frame is: from the VIP)");
                assertEquals((int) vip, ByteBuffer.wrap(out).getInt(26));
                assertEquals((int) A, ByteBuffer.wrap(out).getInt(30));
                assertTrue(checksumsOk(out));
                assertEquals(Set.of(0), send(dp, 1, seg(A, vip, 80, sp, SYN | ACK, 5000, 1001)).keySet(),
                        "the backend's SYN-ACK is the reply of the egress zone's connection");
            }
            String zone4 = dp.conntrack().get().dump(4, System.nanoTime()).toString();
            assertTrue(zone4.contains("orig=(src=10.0.0.100,dst=10.0.0.1,sport=43000,dport=80)"), zone4);
            assertEquals(0L, dp.conntrack().get().stats(System.nanoTime()).counters().get("collision"));
        }
    }

    /** A guest's partial checksum (virtio-net NEEDS_CSUM: the field holds the pseudo-header sum) is not a bad one. */
    @Test
    void aPartialChecksumFromAnOffloadingGuestIsTrackedNotInvalid() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached, SECURITY_GROUP);
            for (int conn = 0; conn < 2; conn++) {
                byte[] syn = seg(A, B, 44000 + conn, 80, SYN, 1000, 0);
                syn[14 + 20 + 16] ^= 0x5a;                                   // the TCP checksum field: not a checksum
                assertEquals(Set.of(), send(dp, 0, syn).keySet(), "without offload state a bad checksum is +inv");
                assertEquals(Set.of(1), sendPartial(dp, 0, syn).keySet(), "with NEEDS_CSUM the SYN is +new and committed");
            }
            assertEquals(2, dp.conntrack().get().dump(7, System.nanoTime()).size(), "both connections committed");
        }
    }

    /** frame with a partial TCP checksum: virtio-net NEEDS_CSUM, csum_start at the TCP header, offset 16. */
    private static Map<Integer, byte[]> sendPartial(BridgeDatapath dp, int inPort, byte[] frame) {
        return GroupsTest.send(dp, inPort, frame, b -> {
            b.offloads = true;
            b.vflags[0] = io.xvio.packet.VnetHeader.F_NEEDS_CSUM;
            b.csumAt[0] = b.off[0] + 14 + 20;
            b.csumOffset[0] = 16;
        });
    }

    @Test
    void withoutTableThePacketGoesOnUntrackedAndCtClearForgets() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = bridge(cached,
                    "table=0,ip,in_port=1,actions=ct(commit,zone=2),resubmit(,1)",
                    "table=1,ct_state=-trk,actions=output:2",
                    "table=1,ct_state=+trk,actions=drop",
                    "table=0,ip,in_port=2,actions=ct(table=2,zone=2)",
                    "table=2,ip,ct_state=+trk+est,actions=ct_clear,resubmit(,3)",
                    "table=3,ct_state=0/0x20,actions=output:1");
            for (int conn = 0; conn < 2; conn++) {
                int sp = 42000 + conn;
                assertEquals(Set.of(1), send(dp, 0, seg(A, B, sp, 80, SYN, 1000, 0)).keySet(), "ct without table: untracked after");
                assertEquals(Set.of(0), send(dp, 1, seg(B, A, 80, sp, SYN | ACK, 5000, 1001)).keySet(), "ct_clear: -trk again");
            }
        }
    }

    @Test
    void ctFieldsParseAndPrintAsOvs() {
        for (String[] c : new String[][] {
                {"ct_state=+trk+est,ip,actions=drop", "ct_state=+est+trk,ip actions=drop"},
                {"ct_state=trk|new,ip,actions=drop", "ct_state=new|trk,ip actions=drop"},
                {"ct_state=-trk,actions=drop", "ct_state=-trk actions=drop"},
                {"ct_zone=5,ct_mark=0x10/0xf0,actions=drop", "ct_zone=5,ct_mark=0x10/0xf0 actions=drop"},
                {"ct_label=0x1/0x1,actions=drop", "ct_label=0x1/0x1 actions=drop"},
                {"ip,ct_state=+trk+est,ct_nw_src=10.0.0.0/8,ct_nw_proto=6,ct_tp_dst=80,actions=drop",
                        "ct_state=+est+trk,ct_nw_src=10.0.0.0/8,ct_nw_proto=6,ct_tp_dst=80,ip actions=drop"},
                {"ip,actions=ct(commit,zone=NXM_NX_REG13[0..15],table=4,nat(dst=10.0.0.5:8080),exec(set_field:0x1/0x1->ct_label))",
                        "ip actions=ct(commit,table=4,zone=NXM_NX_REG13[0..15],nat(dst=10.0.0.5:8080),exec(load:0x1->ct_label[0..0]))"},
                {"ipv6,actions=ct(commit,force,nat(src=[fd00::1]-[fd00::9]:1000-2000,persistent,random))",
                        "ipv6 actions=ct(commit,force,nat(src=[fd00::1]-[fd00::9]:1000-2000,persistent,random))"},
                {"ip,actions=ct(nat),ct_clear", "ip actions=ct(nat),ct_clear"}}) {
            Flow f = FlowParser.parse(c[0]);
            String text = FlowFormat.match(f.match) + " actions=" + io.xvio.datapath.action.ActionSyntax.format(f.actions);
            assertEquals(c[1].replace("NXM_NX_REG13", "reg13"), text.strip(), c[0]);
            Flow again = FlowParser.parse(text.replace(" actions=", ",actions="));
            assertEquals(f.match, again.match, "round trip of " + text);
            assertEquals(f.actions, again.actions, "round trip of " + text);
        }
    }

    @Test
    void badCtFlowsAreRefusedWithTheReason() {
        for (String[] c : new String[][] {
                {"actions=ct(commit)", "needs \"ip\" or \"ipv6\""},
                {"ip,actions=ct(force)", "\"force\" flag requires \"commit\""},
                {"ip,actions=ct(exec(set_field:1->ct_mark))", "need \"commit\""},
                {"ip,actions=ct(commit,exec(output:1))", "doesn't support nested action"},
                {"ip,actions=set_field:1->ct_mark", "outside ct(commit,exec(...))"},
                {"ip,actions=ct(commit,zone=70000)", "ct zone"},
                {"ip,actions=ct(commit,zone=reg0)", "32 bits wide"},
                {"ip,actions=ct(commit,nat(src=10.0.0.9-10.0.0.1))", "invalid nat range"},
                {"ip,actions=ct(commit,nat(src=fd00::1))", "IPv6 but the match is ip"},
                {"ip,actions=ct(commit,nat(src=10.0.0.1,hash,random))", "both \"hash\" and \"random\""},
                {"ip,actions=ct(commit,alg=ftp)", "not supported"},
                {"ip,actions=ct(commit,bogus)", "invalid argument to \"ct\""},
                {"ip,ct_nw_src=10.0.0.1,actions=drop", "needs a tracked connection"},
                {"ct_state=+bogus,actions=drop", "unknown ct_state flag"}}) {
            FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
