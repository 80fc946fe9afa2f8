package io.xvio.datapath.conntrack;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

class NatTest {
    static final long A = ip("10.0.0.1"), C = ip("10.0.0.3"), B = ip("10.0.0.2"), NATIP = ip("192.168.0.100"),
            VIP = ip("10.0.0.100"), B1 = ip("10.1.0.1"), B2 = ip("10.1.0.2");
    static final byte[] NO = {};
    static final NatAction SNAT = NatAction.ipv4(NatAction.Kind.SRC, NATIP, NATIP, 0, 0, false, false);

    static long src(byte[] f) { return get32(f, 26); }
    static long dst(byte[] f) { return get32(f, 30); }
    static int sport(byte[] f) { return get16(f, 34); }
    static int dport(byte[] f) { return get16(f, 36); }

    @Test
    void snatBothDirectionsWithChecksums() {
        Ct ct = new Ct(64);
        byte[] syn = v4(A, B, 6, tcp(40000, 80, SYN, 1, 0, 1000, 0, NO));
        assertEquals(NEW | CtState.SNAT, ct.send(syn, 0, true, false, SNAT));
        assertEquals(NATIP, src(syn));
        assertEquals(40000, sport(syn));                        // the original port was free
        assertEquals(B, dst(syn));
        assertTrue(checksumsOk(syn));
        assertEquals(A, ct.out.origSrcLo);                      // ct_nw_src: the original source
        byte[] synAck = v4(B, NATIP, 6, tcp(80, 40000, SYN | ACK, 500, 2, 1000, 0, NO));
        assertEquals(EST_RPL | CtState.DNAT, ct.send(synAck, 0, false, false, NatAction.APPLY));
        assertEquals(A, dst(synAck));
        assertEquals(40000, dport(synAck));
        assertTrue(checksumsOk(synAck));
        byte[] ack = v4(A, B, 6, tcp(40000, 80, ACK | PSH, 2, 501, 1000, 33, NO));
        assertEquals(EST | CtState.SNAT, ct.send(ack, 0, false, false, NatAction.APPLY));
        assertEquals(NATIP, src(ack));
        assertTrue(checksumsOk(ack));
        byte[] plain = v4(A, B, 6, tcp(40000, 80, ACK, 35, 501, 1000, 0, NO));
        assertEquals(EST, ct.send(plain, 0, false, false, null)); // no nat in this ct(): not translated
        assertEquals(A, src(plain));
        assertEquals("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=192.168.0.100,"
                + "sport=80,dport=40000),protoinfo=(state=ESTABLISHED)\n", ct.dump());
    }

    @Test
    void snatPortCollisionPicksAnotherPort() {
        Ct ct = new Ct(64);
        ct.send(v4(A, B, 17, udp(40000, 53, 8)), 0, true, false, SNAT);
        byte[] q = v4(C, B, 17, udp(40000, 53, 8));
        assertEquals(NEW | CtState.SNAT, ct.send(q, 0, true, false, SNAT));
        assertEquals(NATIP, src(q));
        int p = sport(q);
        assertNotEquals(40000, p);
        assertTrue(p >= 1024, "ephemeral port " + p);
        assertTrue(checksumsOk(q));
        byte[] r = v4(B, NATIP, 17, udp(53, p, 8));
        assertEquals(EST_RPL | CtState.DNAT, ct.send(r, 0, true, false, NatAction.APPLY));
        assertEquals(C, dst(r));
        assertEquals(40000, dport(r));
        assertTrue(checksumsOk(r));
    }

    @Test
    void portRangeExhaustionIsInvalidAndCounted() {
        Ct ct = new Ct(64);
        NatAction n = NatAction.ipv4(NatAction.Kind.SRC, NATIP, NATIP, 2000, 2001, false, false);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 2; i++) {
            byte[] f = v4(A, B, 17, udp(3000 + i, 53, 8));
            assertEquals(NEW | CtState.SNAT, ct.send(f, 0, true, false, n));
            ports.add(sport(f));
        }
        assertEquals(Set.of(2000, 2001), ports);
        assertEquals(INV, ct.send(v4(A, B, 17, udp(3002, 53, 8)), 0, true, false, n));
        assertEquals(1L, ct.tracker.stats(ct.now).counters().get("nat-exhausted"));
        assertEquals(2, ct.tracker.size());
    }

    @Test
    void dnatSpreadsOverBackendsAndRepliesComeFromTheVip() {
        Ct ct = new Ct(256);
        NatAction lb = NatAction.ipv4(NatAction.Kind.DST, B1, B2, 8080, 8080, false, false);
        Set<Long> used = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            byte[] syn = v4(A, VIP, 6, tcp(30000 + i, 80, SYN, 1, 0, 1000, 0, NO));
            assertEquals(NEW | CtState.DNAT, ct.send(syn, 0, true, false, lb));
            long be = dst(syn);
            used.add(be);
            assertEquals(8080, dport(syn));
            assertTrue(checksumsOk(syn));
            byte[] synAck = v4(be, A, 6, tcp(8080, 30000 + i, SYN | ACK, 9, 2, 1000, 0, NO));
            assertEquals(EST_RPL | CtState.SNAT, ct.send(synAck, 0, true, false, NatAction.APPLY));
            assertEquals(VIP, src(synAck));
            assertEquals(80, sport(synAck));
            assertTrue(checksumsOk(synAck));
            byte[] again = v4(A, VIP, 6, tcp(30000 + i, 80, ACK, 2, 10, 1000, 0, NO));
            ct.send(again, 0, true, false, NatAction.APPLY);
            assertEquals(be, dst(again));                       // the connection stays on its backend
        }
        assertEquals(Set.of(B1, B2), used);
    }

    @Test
    void persistentKeepsOneClientOnOneAddress() {
        Ct ct = new Ct(256);
        NatAction lb = NatAction.ipv4(NatAction.Kind.DST, ip("10.1.0.1"), ip("10.1.0.200"), 0, 0, false, true);
        Set<Long> used = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            byte[] q = v4(A, VIP, 17, udp(20000 + i, 53, 8));
            ct.send(q, 0, true, false, lb);
            used.add(dst(q));
            assertEquals(53, dport(q));                         // no port range: the port is kept
        }
        assertEquals(1, used.size());
        NatAction rnd = NatAction.ipv4(NatAction.Kind.DST, ip("10.1.0.1"), ip("10.1.0.200"), 0, 0, true, false);
        used.clear();
        for (int i = 0; i < 20; i++) {
            byte[] q = v4(C, VIP, 17, udp(20000 + i, 53, 8));
            ct.send(q, 0, true, false, rnd);
            used.add(dst(q));
        }
        assertTrue(used.size() > 5, "random spreads: " + used);
    }

    @Test
    void ipv6AndIcmpNat() {
        Ct ct = new Ct(64);
        long net = 0xfd00000000000000L;
        NatAction n6 = new NatAction(NatAction.Kind.SRC, true, net, 0x99, net, 0x99, 0, 0, false, false);
        byte[] q = v6(net, 1, net, 2, 17, udp(777, 53, 12));
        assertEquals(NEW | CtState.SNAT, ct.send(q, 0, true, false, n6));
        assertEquals(0x99, java.nio.ByteBuffer.wrap(q, 22 + 8, 8).getLong());
        assertTrue(checksumsOk(q));
        byte[] r = v6(net, 2, net, 0x99, 17, udp(53, 777, 12));
        assertEquals(EST_RPL | CtState.DNAT, ct.send(r, 0, true, false, NatAction.APPLY));
        assertEquals(1, java.nio.ByteBuffer.wrap(r, 38 + 8, 8).getLong());
        assertTrue(checksumsOk(r));
        byte[] err6 = v6(net, 0xfe, net, 0x99, 58, icmp6Error(1, 4, q));   // port unreachable, quoting q as sent
        assertEquals(REL_RPL | CtState.DNAT, ct.send(err6, 0, false, false, NatAction.APPLY));
        assertEquals(1, java.nio.ByteBuffer.wrap(err6, 38 + 8, 8).getLong());         // outer destination: the client
        assertEquals(1, java.nio.ByteBuffer.wrap(err6, 62 + 8 + 8, 8).getLong());     // quoted source: the client
        assertEquals(777, get16(err6, 62 + 40));
        assertTrue(checksumsOk(err6));
        byte[] ping6 = v6(net, 1, net, 2, 58, icmp(128, 0, 5, 1));
        assertEquals(NEW | CtState.SNAT, ct.send(ping6, 0, true, false, n6));
        assertTrue(checksumsOk(ping6));
        byte[] ping = v4(A, B, 1, icmp(8, 0, 5, 1));
        assertEquals(NEW | CtState.SNAT, ct.send(ping, 0, true, false, SNAT));
        assertEquals(NATIP, src(ping));
        assertTrue(checksumsOk(ping));
        byte[] pong = v4(B, NATIP, 1, icmp(0, 0, 5, 1));
        assertEquals(EST_RPL | CtState.DNAT, ct.send(pong, 0, true, false, NatAction.APPLY));
        assertEquals(A, dst(pong));
        assertTrue(checksumsOk(pong));
        assertEquals(INV, ct.send(v4(A, B, 17, udp(1, 2, 0)), 0, true, false, n6));   // family mismatch
    }

    static long innerSrc(byte[] f) { return get32(f, 34 + 8 + 12); }
    static long innerDst(byte[] f) { return get32(f, 34 + 8 + 16); }

    /** The ICMP message's and the quoted IPv4 header's checksums, recomputed. */
    static boolean icmpErrorChecksumsOk(byte[] f) {
        return checksumsOk(f) && fold(sum(f, 42, 20)) == 0xffff;
    }

    @Test
    void icmpErrorsOfNatConnectionsAreTranslated() {
        Ct ct = new Ct(64);
        byte[] q = v4(A, B, 17, udp(40000, 53, 8));
        ct.send(q, 0, true, false, SNAT);                       // q now reads NATIP:40000 -> B:53
        // a router tells the NAT address that B is unreachable: the client must see its own packet quoted
        byte[] err = v4(ip("10.9.9.9"), NATIP, 1, icmpError(3, 1, q));
        assertEquals(REL_RPL | CtState.DNAT, ct.send(err, 0, false, false, NatAction.APPLY));
        assertEquals(ip("10.9.9.9"), src(err));
        assertEquals(A, dst(err));
        assertEquals(A, innerSrc(err));
        assertEquals(B, innerDst(err));
        assertEquals(40000, get16(err, 34 + 8 + 20));
        assertTrue(icmpErrorChecksumsOk(err));

        // DNAT: a backend's port unreachable reaches the client from the virtual IP, quoting what it sent
        NatAction lb = NatAction.ipv4(NatAction.Kind.DST, B1, B1, 8080, 8080, false, false);
        byte[] c = v4(C, VIP, 17, udp(30000, 80, 8));
        assertEquals(NEW | CtState.DNAT, ct.send(c, 0, true, false, lb));
        byte[] unreach = v4(B1, C, 1, icmpError(3, 3, c));
        assertEquals(REL_RPL | CtState.SNAT, ct.send(unreach, 0, false, false, NatAction.APPLY));
        assertEquals(VIP, src(unreach));
        assertEquals(C, innerSrc(unreach));
        assertEquals(VIP, innerDst(unreach));
        assertEquals(80, get16(unreach, 34 + 8 + 22));
        assertTrue(icmpErrorChecksumsOk(unreach));

        // the client refusing the backend's reply: quoted as the backend sent it
        byte[] reply = v4(VIP, C, 17, udp(80, 30000, 8));      // as the client saw it
        byte[] refuse = v4(C, VIP, 1, icmpError(3, 3, reply));
        assertEquals(REL | CtState.DNAT, ct.send(refuse, 0, false, false, NatAction.APPLY));
        assertEquals(B1, dst(refuse));
        assertEquals(B1, innerSrc(refuse));
        assertEquals(8080, get16(refuse, 34 + 8 + 20));
        assertTrue(icmpErrorChecksumsOk(refuse));
    }
}
