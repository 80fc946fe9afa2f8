package io.xvio.datapath.conntrack;

import org.junit.jupiter.api.Test;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

class LimitTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    static byte[] q(int port) { return v4(A, B, 17, udp(port, 53, 8)); }
    static byte[] r(int port) { return v4(B, A, 17, udp(53, port, 8)); }

    @Test
    void globalLimitRefusesNewConnectionsOnly() {
        Ct ct = new Ct(64);
        ct.tracker.setLimit(3);
        for (int i = 0; i < 3; i++) assertEquals(NEW, ct.send(q(1000 + i)));
        assertEquals(INV, ct.send(q(2000)));
        assertEquals(INV, ct.send(q(2001)));
        assertEquals(EST_RPL, ct.send(r(1000)));                // established ones keep working
        assertEquals(NEW, ct.send(q(1001)));                    // so do new-but-committed ones
        assertEquals(2L, ct.tracker.stats(ct.now).counters().get("limit"));
        assertEquals(3, ct.tracker.size());
        ct.commit = false;
        assertEquals(NEW, ct.send(q(2002)));                    // without commit nothing is refused
        ct.commit = true;
        assertEquals(1, ct.tracker.flush(-1, e -> e.orig().sport() == 1002, ct.now));
        assertEquals(NEW, ct.send(q(2000)));
    }

    @Test
    void zoneLimits() {
        Ct ct = new Ct(64);
        ct.tracker.setDefaultZoneLimit(1);
        ct.tracker.setZoneLimit(6, 2);
        ct.tracker.setZoneLimit(7, -1);
        assertEquals(NEW, ct.send(q(1), 5, true, false, null));
        assertEquals(INV, ct.send(q(2), 5, true, false, null));
        assertEquals(NEW, ct.send(q(1), 6, true, false, null));
        assertEquals(NEW, ct.send(q(2), 6, true, false, null));
        assertEquals(INV, ct.send(q(3), 6, true, false, null));
        for (int i = 1; i <= 10; i++) assertEquals(NEW, ct.send(q(i), 7, true, false, null));   // port 0 would be +inv
        assertEquals(2L, ct.tracker.stats(ct.now).counters().get("zone-limit"));
        assertEquals("default limit=1", ct.tracker.limits().get(0).format());
        assertEquals("zone=6,limit=2,count=2", ct.tracker.limits().get(1).format());
        assertEquals("zone=7,limit=0,count=10", ct.tracker.limits().get(2).format());
        ct.advanceSeconds(61);
        assertEquals(13, ct.tracker.expire(ct.now, 64));
        assertEquals(NEW, ct.send(q(3), 6, true, false, null));
        assertEquals("zone=6,limit=2,count=1", ct.tracker.limits().get(1).format());
        assertThrows(IllegalArgumentException.class, () -> ct.tracker.setLimit(65));
    }

    @Test
    void statsCountPerZoneAndProtocol() {
        Ct ct = new Ct(64);
        ct.send(q(1), 3, true, false, null);
        ct.send(v4(A, B, 1, icmp(8, 0, 1, 1)), 3, true, false, null);
        ct.send(q(1), 4, true, false, null);
        CtStats s = ct.tracker.stats(ct.now);
        assertEquals(3, s.connections());
        assertEquals(1, s.perZone().get(3).get("udp"));
        assertEquals(1, s.perZone().get(3).get("icmp"));
        assertEquals(1, s.perZone().get(4).get("udp"));
        assertEquals(3L, s.counters().get("created"));
        assertTrue(s.format().contains("zone 3 udp: 1"), s.format());
    }
}
