package io.xvio.datapath.conntrack;

import org.junit.jupiter.api.Test;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

class UdpIcmpTrackingTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2"), R = ip("10.0.0.254");

    @Test
    void udpStatesAndTimeouts() {
        Ct ct = new Ct(64);
        byte[] q = v4(A, B, 17, udp(5000, 53, 20)), r = v4(B, A, 17, udp(53, 5000, 40));
        assertEquals(NEW, ct.send(q));
        assertEquals(NEW, ct.send(q));                          // one direction only: still new
        assertEquals(60, ct.tracker.dump(-1, ct.now).getFirst().timeout());
        assertEquals(EST_RPL, ct.send(r));
        assertEquals(EST, ct.send(q));
        assertEquals(30, ct.tracker.dump(-1, ct.now).getFirst().timeout());
        assertEquals("udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,"
                + "sport=53,dport=5000)\n", ct.dump());
        ct.advanceSeconds(31);
        assertEquals(NEW, ct.send(q));                          // expired: a new connection (reusing the key)
        assertEquals(1, ct.tracker.size());
    }

    @Test
    void icmpEchoIsAConnection() {
        Ct ct = new Ct(64);
        assertEquals(NEW, ct.send(v4(A, B, 1, icmp(8, 0, 7, 1))));
        assertEquals(NEW, ct.send(v4(A, B, 1, icmp(8, 0, 7, 2))));
        assertEquals(EST_RPL, ct.send(v4(B, A, 1, icmp(0, 0, 7, 2))));
        assertEquals(EST, ct.send(v4(A, B, 1, icmp(8, 0, 7, 3))));
        assertEquals(8, ct.out.origTpSrc);                      // ct_tp_src/dst of ICMP: type and code
        assertEquals(0, ct.out.origTpDst);
        assertEquals("icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=7,type=8,code=0),reply=(src=10.0.0.2,dst=10.0.0.1,"
                + "id=7,type=0,code=0)\n", ct.dump());
        assertEquals(INV, ct.send(v4(B, A, 1, icmp(0, 0, 8, 1))));   // a reply without request
        assertEquals(INV, ct.send(v4(A, B, 1, icmp(9, 0, 0, 0))));   // router advertisement: not tracked
    }

    @Test
    void icmpErrorsQuotingAConnectionAreRelated() {
        Ct ct = new Ct(64);
        byte[] q = v4(A, B, 17, udp(5000, 53, 20));
        byte[] tq = v4(A, B, 6, tcp(40000, 80, SYN, 1, 0, 1000, 0, new byte[0]));
        ct.send(q);
        ct.send(tq);
        // a router on the way back to A: host unreachable quoting A's packet
        assertEquals(REL_RPL, ct.send(v4(R, A, 1, icmpError(3, 1, q))));
        assertEquals(REL_RPL, ct.send(v4(R, A, 1, icmpError(11, 0, tq))));
        // A refusing B's reply: port unreachable quoting it travels in the original direction
        assertEquals(REL, ct.send(v4(A, B, 1, icmpError(3, 3, v4(B, A, 17, udp(53, 5000, 4))))));
        // quoting no tracked connection, or a packet not sent by the error's destination
        assertEquals(INV, ct.send(v4(R, A, 1, icmpError(3, 1, v4(A, B, 17, udp(5001, 53, 4))))));
        assertEquals(INV, ct.send(v4(R, B, 1, icmpError(3, 1, q))));
        assertEquals(2, ct.tracker.size());                     // errors create nothing
    }

    @Test
    void ipv6TcpAndIcmpv6() {
        Ct ct = new Ct(64);
        long net = 0xfd00000000000000L;
        byte[] syn = v6(net, 1, net, 2, 6, tcp(40000, 443, SYN, 10, 0, 5000, 0, new byte[0]));
        assertEquals(NEW, ct.send(syn));
        assertEquals(EST_RPL, ct.send(v6(net, 2, net, 1, 6, tcp(443, 40000, SYN | ACK, 99, 11, 5000, 0, new byte[0]))));
        assertEquals(EST, ct.send(v6(net, 1, net, 2, 6, tcp(40000, 443, ACK, 11, 100, 5000, 0, new byte[0]))));
        assertTrue(ct.out.origV6);
        assertEquals(1, ct.out.origSrcLo);
        assertEquals(net, ct.out.origDstHi);
        assertEquals(NEW, ct.send(v6(net, 1, net, 2, 58, icmp(128, 0, 3, 1))));
        assertEquals(EST_RPL, ct.send(v6(net, 2, net, 1, 58, icmp(129, 0, 3, 1))));
        assertEquals(INV, ct.send(v6(net, 2, net, 1, 58, icmp(135, 0, 0, 0))));   // neighbor solicitation
        assertEquals(REL_RPL, ct.send(v6(net, 0xfe, net, 1, 58, icmp6Error(1, 4, syn))));
        assertEquals(INV, ct.send(v6(net, 0xfe, net, 1, 58, icmp6Error(1, 4, syn, 48))));   // TCP header cut: as OVS
        assertTrue(ct.dump().contains("tcp,orig=(src=fd00::1,dst=fd00::2,sport=40000,dport=443),reply=(src=fd00::2,"
                + "dst=fd00::1,sport=443,dport=40000),protoinfo=(state=ESTABLISHED)"), ct.dump());
        assertTrue(ct.dump().contains("icmpv6,orig=(src=fd00::1,dst=fd00::2,id=3,type=128,code=0),reply=(src=fd00::2,"
                + "dst=fd00::1,id=3,type=129,code=0)"), ct.dump());
    }

    @Test
    void otherProtocolsByAddressPair() {
        Ct ct = new Ct(64);
        byte[] gre = v4(A, B, 47, new byte[8]);
        assertEquals(NEW, ct.send(gre));
        assertEquals(EST_RPL, ct.send(v4(B, A, 47, new byte[8])));
        assertEquals("47,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0)\n", ct.dump());
    }

    @Test
    void nonIpFragmentsAndTruncatedAreInvalid() {
        Ct ct = new Ct(64);
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertEquals(INV, ct.send(arp));
        byte[] frag = v4(A, B, 17, udp(1, 2, 8));
        frag[20] = 0x20;                                        // more fragments
        frag[24] = frag[25] = 0;
        put16(frag, 24, ~fold(sum(frag, 14, 20)));
        assertEquals(INV, ct.send(frag));
        byte[] tcpShort = v4(A, B, 6, new byte[10]);
        assertEquals(INV, ct.send(tcpShort));
        assertEquals(INV, ct.send(v4(A, B, 17, udp(0, 53, 4))));   // port 0, as OVS
        var c = ct.tracker.stats(ct.now).counters();
        assertEquals(1L, c.get("fragment"));
        assertEquals(3L, c.get("malformed"));
    }

    @Test
    void zonesAreSeparate() {
        Ct ct = new Ct(64);
        byte[] q = v4(A, B, 17, udp(5000, 53, 20)), r = v4(B, A, 17, udp(53, 5000, 40));
        assertEquals(NEW, ct.send(q, 1, true, false, null));
        assertEquals(NEW, ct.send(r, 2, false, false, null));   // zone 2 knows nothing of zone 1
        assertEquals(EST_RPL, ct.send(r, 1, true, false, null));
        assertEquals(1, ct.out.zone);
        assertEquals(NEW, ct.send(q, 2, true, false, null));
        assertEquals(2, ct.tracker.size());
        assertEquals(1, ct.tracker.dump(2, ct.now).size());
        assertTrue(ct.dump().contains(",zone=1"), ct.dump());
        assertEquals(1, ct.tracker.flush(1, null, ct.now));
        assertEquals(1, ct.tracker.size());
        assertEquals(1, ct.tracker.dump(-1, ct.now).getFirst().zone() == 2 ? 1 : 0);
    }

    @Test
    void markAndLabelAreKeptByTheConnection() {
        Ct ct = new Ct(64);
        byte[] q = v4(A, B, 17, udp(5000, 53, 20)), r = v4(B, A, 17, udp(53, 5000, 40));
        ct.send(q);
        ct.tracker.setMark(ct.out, 0x12, 0xff);
        ct.tracker.setLabel(ct.out, 1, 0xffff0005L, -1, -1);
        assertEquals(0x12, ct.out.mark);
        assertEquals(EST_RPL, ct.send(r));
        assertEquals(0x12, ct.out.mark);
        assertEquals(1, ct.out.labelHi);
        assertEquals(0xffff0005L, ct.out.labelLo);
        ct.tracker.setMark(ct.out, 0x300, 0xf00);
        assertEquals(0x312, ct.out.mark);
        assertTrue(ct.dump().contains(",mark=786,labels=0x100000000ffff0005"), ct.dump());
    }

    /**
     * CSUM_CHECKED (an earlier ct() of the same packet verified its checksums, PacketBatch#checksumsChecked): they
     * are not verified again, in track and in verifiesAgain; CSUM_L4_OFFLOADED skips the UDP checksum only.
     */
    @Test
    void checksumsCheckedAlreadyAreNotVerifiedAgain() {
        Ct ct = new Ct(64);
        byte[] f = v4(A, B, 17, udp(5000, 53, 8));
        f[f.length - 1] ^= 0x5a;                                // the UDP checksum no longer holds
        java.lang.foreign.MemorySegment s = java.lang.foreign.MemorySegment.ofArray(f);
        ct.key.extract(s, 0, f.length, 1);
        assertFalse(ct.tracker.verifiesAgain(ct.key, s, 0, 0));
        assertTrue(ct.tracker.verifiesAgain(ct.key, s, 0, ConnTracker.CSUM_CHECKED));
        assertTrue(ct.tracker.verifiesAgain(ct.key, s, 0, ConnTracker.CSUM_L4_OFFLOADED));
        assertEquals(INV, ct.tracker.track(ct.key, s, 0, f.length, 0, true, false, null, ct.now, 0, ct.out, 0, 0));
        assertEquals(NEW, ct.tracker.track(ct.key, s, 0, f.length, 0, true, false, null, ct.now, 0, ct.out, ConnTracker.CSUM_CHECKED, 0));
        f[24] ^= 1;                                             // and the IPv4 header checksum
        assertFalse(ct.tracker.verifiesAgain(ct.key, s, 0, ConnTracker.CSUM_L4_OFFLOADED));
        assertTrue(ct.tracker.verifiesAgain(ct.key, s, 0, ConnTracker.CSUM_CHECKED));
        assertEquals(INV, ct.tracker.track(ct.key, s, 0, f.length, 0, true, false, null, ct.now, 0, ct.out, ConnTracker.CSUM_L4_OFFLOADED, 0));
        assertEquals(2L, ct.tracker.stats(ct.now).counters().get("checksum"));
    }
}
