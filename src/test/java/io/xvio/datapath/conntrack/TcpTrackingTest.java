package io.xvio.datapath.conntrack;

import org.junit.jupiter.api.Test;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

class TcpTrackingTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");
    static final byte[] NO_OPTS = {};

    static byte[] a(int flags, int seq, int ack, int payload) { return v4(A, B, 6, tcp(40000, 80, flags, seq, ack, 65535, payload, NO_OPTS)); }
    static byte[] b(int flags, int seq, int ack, int payload) { return v4(B, A, 6, tcp(80, 40000, flags, seq, ack, 65535, payload, NO_OPTS)); }

    /** SYN, SYN+ACK, ACK from a tracker in the established state. */
    static Ct established() {
        Ct ct = new Ct(64);
        assertEquals(NEW, ct.send(a(SYN, 1000, 0, 0)));
        assertEquals(EST_RPL, ct.send(b(SYN | ACK, 5000, 1001, 0)));
        assertEquals(EST, ct.send(a(ACK, 1001, 5001, 0)));
        return ct;
    }

    @Test
    void handshakeDataAndDump() {
        Ct ct = established();
        assertEquals(EST, ct.send(a(ACK | PSH, 1001, 5001, 100)));
        assertEquals(EST_RPL, ct.send(b(ACK, 5001, 1101, 0)));
        assertEquals(EST_RPL, ct.send(b(ACK | PSH, 5001, 1101, 50)));
        assertEquals(EST, ct.send(a(ACK, 1101, 5051, 0)));
        assertEquals("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,"
                + "sport=80,dport=40000),protoinfo=(state=ESTABLISHED)\n", ct.dump());
        assertEquals(6, ct.out.origProto);
        assertEquals(A, ct.out.origSrcLo);
        assertEquals(40000, ct.out.origTpSrc);
        assertEquals(80, ct.out.origTpDst);
        assertEquals(86400, ct.tracker.dump(-1, ct.now).getFirst().timeout());
    }

    @Test
    void retransmittedSynIsNewAndSynAckWithoutConnectionIsInvalid() {
        Ct ct = new Ct(64);
        assertEquals(NEW, ct.send(a(SYN, 1000, 0, 0)));
        assertEquals(NEW, ct.send(a(SYN, 1000, 0, 0)));
        assertEquals(INV, ct.send(v4(A, B, 6, tcp(40001, 80, SYN | ACK, 1, 1, 100, 0, NO_OPTS))));
        assertEquals(INV, ct.send(v4(A, B, 6, tcp(40002, 80, SYN | FIN, 1, 0, 100, 0, NO_OPTS))));
        assertEquals(INV, ct.send(v4(A, B, 6, tcp(40003, 80, FIN, 1, 0, 100, 0, NO_OPTS))));
        assertEquals(INV, ct.send(a(SYN | RST, 1000, 0, 0)));  // bad flags on the tracked connection
        assertEquals(1, ct.tracker.size());
        var c = ct.tracker.stats(ct.now).counters();
        assertEquals(1L, c.get("cannot-open"));
        assertEquals(3L, c.get("tcp-flags"));
        assertEquals(0L, c.get("tcp-seq"));
    }

    @Test
    void outOfWindowSegmentsAreInvalid() {
        Ct ct = established();
        assertEquals(INV, ct.send(a(ACK | PSH, 1001 + 300_000, 5001, 100)));    // beyond what B allows
        assertEquals(INV, ct.send(b(ACK | PSH, 5001 - 300_000, 1001, 100)));    // more than a window back
        assertEquals(INV, ct.send(a(ACK, 1001, 5001 + 300_000, 0)));            // acks data never sent
        assertEquals(EST, ct.send(a(ACK | PSH, 1001, 5001, 100)));             // the connection goes on
        assertEquals(3L, ct.tracker.stats(ct.now).counters().get("tcp-seq"));
    }

    @Test
    void finCloseAndExpiry() {
        Ct ct = established();
        assertEquals(EST, ct.send(a(FIN | ACK, 1001, 5001, 0)));
        assertEquals(EST_RPL, ct.send(b(ACK, 5001, 1002, 0)));
        assertEquals(EST_RPL, ct.send(b(FIN | ACK, 5001, 1002, 0)));
        assertEquals(EST, ct.send(a(ACK, 1002, 5002, 0)));
        assertTrue(ct.dump().contains("state=TIME_WAIT"), ct.dump());
        ct.advanceSeconds(29);
        assertEquals(1, ct.tracker.dump(-1, ct.now).size());
        ct.advanceSeconds(2);                                 // closed: 30 s
        assertEquals("", ct.dump());
        assertEquals(1, ct.tracker.expire(ct.now, 1000));
        assertEquals(0, ct.tracker.size());
        assertEquals(NEW, ct.send(a(SYN, 7000, 0, 0)));
    }

    @Test
    void synOnClosedConnectionReplacesIt() {
        Ct ct = established();
        ct.send(a(FIN | ACK, 1001, 5001, 0));
        ct.send(b(FIN | ACK, 5001, 1002, 0));
        ct.send(a(ACK, 1002, 5002, 0));
        ct.send(b(ACK, 5002, 1002, 0));
        assertEquals(NEW, ct.send(a(SYN, 90000, 0, 0)));
        assertEquals(EST_RPL, ct.send(b(SYN | ACK, 123, 90001, 0)));
        assertEquals(1, ct.tracker.size());
        assertTrue(ct.dump().contains("state=ESTABLISHED"), ct.dump());
    }

    @Test
    void resetMustHitTheSequence() {
        Ct ct = established();
        assertEquals(INV, ct.send(b(RST | ACK, 5001 + 1000, 1001, 0)));
        assertTrue(ct.dump().contains("ESTABLISHED"));
        assertEquals(EST_RPL, ct.send(b(RST | ACK, 5001, 1001, 0)));
        assertTrue(ct.dump().contains("TIME_WAIT"), ct.dump());
        ct.advanceSeconds(31);
        assertEquals("", ct.dump());
    }

    @Test
    void withoutCommitNothingIsRemembered() {
        Ct ct = new Ct(64);
        ct.commit = false;
        assertEquals(NEW, ct.send(a(SYN, 1000, 0, 0)));
        assertEquals(INV, ct.send(b(SYN | ACK, 5000, 1001, 0)));
        assertEquals(0, ct.tracker.size());
        assertFalse(ct.out.committed());
    }

    @Test
    void midStreamPickupAndWindowScale() {
        Ct ct = new Ct(64);
        assertEquals(NEW, ct.send(a(ACK, 1000, 5000, 10)));     // an ACK may open a connection (picked up)
        assertEquals(EST_RPL, ct.send(b(ACK, 5000, 1010, 10)));
        assertEquals(EST, ct.send(a(ACK, 1010, 5010, 10)));
        byte[] ws = {1, 3, 3, 7};                                // NOP, window scale 7
        byte[] syn = v4(A, B, 6, tcp(41000, 80, SYN, 1, 0, 1000, 0, ws));
        byte[] synAck = v4(B, A, 6, tcp(80, 41000, SYN | ACK, 100, 2, 1000, 0, ws));
        assertEquals(NEW, ct.send(syn));
        assertEquals(EST_RPL, ct.send(synAck));
        // a SYN's window is never scaled: B allows ~1000 bytes until its first scaled window, 1000 << 7
        assertEquals(INV, ct.send(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 100_000, 101, 1000, 10, NO_OPTS))));
        assertEquals(EST_RPL, ct.send(v4(B, A, 6, tcp(80, 41000, ACK, 101, 2, 1000, 0, NO_OPTS))));
        assertEquals(EST, ct.send(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 100_000, 101, 1000, 10, NO_OPTS))));
        assertEquals(INV, ct.send(v4(A, B, 6, tcp(41000, 80, ACK, 2 + 200_000, 101, 1000, 10, NO_OPTS))));
    }

    @Test
    void badChecksumIsInvalid() {
        Ct ct = established();
        byte[] f = a(ACK, 1001, 5001, 0);
        f[f.length - 1] ^= 1;                                   // the TCP checksum
        assertEquals(INV, ct.send(f));
        byte[] g = a(ACK, 1001, 5001, 0);
        g[24] ^= 1;                                             // the IPv4 header checksum
        assertEquals(INV, ct.send(g));
        assertEquals(2L, ct.tracker.stats(ct.now).counters().get("checksum"));
    }
}
