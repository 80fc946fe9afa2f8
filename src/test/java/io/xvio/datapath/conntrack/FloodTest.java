package io.xvio.datapath.conntrack;

import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static io.xvio.datapath.conntrack.Ct.*;
import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** A million SYNs with distinct tuples against the limit: refused and counted, no garbage, established flows on. */
public class FloodTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");
    static final int LIMIT = 20_000, SYNS = 1_000_000;

    public static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** Rewrites the SYN frame's source address and port (i picks them) and fixes both checksums, in place. */
    public static void vary(byte[] f, int i) {
        int src = 0x0b000000 | (i >>> 8);
        f[26] = (byte) (src >>> 24); f[27] = (byte) (src >>> 16); f[28] = (byte) (src >>> 8); f[29] = (byte) src;
        put16(f, 34, 1024 + (i & 0xff));
        put16(f, 24, 0);
        put16(f, 24, ~fold(sum(f, 14, 20)));
        put16(f, 50, 0);
        put16(f, 50, ~fold(l4Sum(f, 14, 34, 6, false)));
    }

    @Test
    void synFloodStaysBounded() {
        ConnTracker ct = new ConnTracker(LIMIT, 1);
        FlowKey key = new FlowKey();
        CtResult out = new CtResult();
        long now = 1_000_000_000_000L;
        byte[] est = v4(A, B, 6, tcp(40000, 80, ACK, 1001, 5001, 65535, 0, new byte[0]));
        MemorySegment es = MemorySegment.ofArray(est);
        byte[][] hs = {v4(A, B, 6, tcp(40000, 80, SYN, 1000, 0, 65535, 0, new byte[0])),
                v4(B, A, 6, tcp(80, 40000, SYN | ACK, 5000, 1001, 65535, 0, new byte[0]))};
        for (byte[] h : hs) {
            key.extract(MemorySegment.ofArray(h), 0, h.length, 1);
            ct.track(key, MemorySegment.ofArray(h), 0, h.length, 0, true, false, null, now, 0, out);
        }
        byte[] syn = v4(A, B, 6, tcp(1, 80, SYN, 77, 0, 65535, 0, new byte[0]));
        MemorySegment s = MemorySegment.ofArray(syn);
        int refused = 0, established = 0;
        long before = 0;
        for (int i = 0; i < SYNS; i++) {
            if (i == 50_000) before = allocated();               // after warm-up (JIT, class loading)
            vary(syn, i);
            key.extract(s, 0, syn.length, 1);
            int st = ct.track(key, s, 0, syn.length, 0, true, false, null, now, 0, out);
            if (st == INV) refused++;
            else assertEquals(NEW, st);
            if (i % 1000 == 0) {
                key.extract(es, 0, est.length, 1);
                assertEquals(EST, ct.track(key, es, 0, est.length, 0, true, false, null, now, 0, out));
                established++;
            }
            ct.expire(now, 8);
        }
        long garbage = allocated() - before;
        assertEquals(LIMIT, ct.size());
        assertEquals(SYNS - (LIMIT - 1), refused);
        assertEquals((long) refused, ct.stats(now).counters().get("limit"));
        assertEquals(SYNS / 1000, established);
        assertTrue(garbage < 64 * 1024, "allocated " + garbage + " bytes for " + (SYNS - 50_000) + " packets");
        // after the SYN timeout (30 s) the sweeper frees the table; new connections are accepted again
        now += 31_000_000_000L;
        int freed = 0;
        for (int i = 0; i < LIMIT / 1000 + 1; i++) freed += ct.expire(now, 1000);
        assertEquals(LIMIT - 1, freed);                          // the established one (24 h) stays
        vary(syn, SYNS + 1);
        key.extract(s, 0, syn.length, 1);
        assertEquals(NEW, ct.track(key, s, 0, syn.length, 0, true, false, null, now, 0, out));
    }

    @Test
    void establishedTrackingAllocatesNothing() {
        Ct ct = TcpTrackingTest.established();
        byte[] f = TcpTrackingTest.a(ACK, 1001, 5001, 0);
        MemorySegment s = MemorySegment.ofArray(f);
        for (int i = 0; i < 20_000; i++) ct.tracker.track(ct.key, s, 0, f.length, 0, true, false, null, ct.now, 0, ct.out);
        long before = allocated();
        for (int i = 0; i < 200_000; i++) {
            ct.key.extract(s, 0, f.length, 1);
            ct.tracker.track(ct.key, s, 0, f.length, 0, true, false, NatAction.APPLY, ct.now, 0, ct.out);
        }
        long garbage = allocated() - before;
        assertEquals(EST, ct.out.state);
        assertTrue(garbage < 16 * 1024, "allocated " + garbage + " bytes");
    }
}
