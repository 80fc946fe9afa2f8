package io.xvio.datapath;

import io.xvio.datapath.action.Ct;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A ct()'s fixed-point verdict serves the packets of the same tuple later in the burst (CtVerdictMemo), only while
 * nothing on the thread changed a connection, never for another tuple or action, and never past a bad checksum.
 * Bursts that share a clock stand for the queues one poll of a PMD thread reads.
 */
class CtVerdictMemoTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2"), C = ip("10.0.0.3");

    /** Committed in zone 1; new and established packets leave by different ports (new: 3, established: 2 or 1). */
    static final String[] FLOWS = {
            "table=0,priority=10,ip,actions=ct(commit,zone=1,table=1)",
            "table=0,priority=10,ipv6,actions=ct(commit,zone=1,table=1)",
            "table=1,priority=20,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,in_port=1,ct_state=+trk+est,actions=output:2",
            "table=1,priority=10,in_port=2,ct_state=+trk+est,actions=output:1",
            "table=1,priority=5,ct_state=+trk+new,actions=output:3"};

    /**
     * OVN's middle pass: two ct() calls in one pass, the first committing with a mark from a register, the second
     * in the egress zone with a table; the last pass commits there too.
     */
    static final String[] TWO_IN_A_PASS = {
            "table=0,priority=10,ip,actions=load:0x7->NXM_NX_REG0[],ct(zone=1,table=1)",
            "table=1,priority=20,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,ct_state=+trk,actions=ct(commit,zone=1,exec(move:NXM_NX_REG0[0..15]->NXM_NX_CT_MARK[0..15])),load:0x1->NXM_NX_REG1[],ct(zone=2,table=2)",
            "table=2,priority=20,ct_state=+trk+inv,actions=drop",
            "table=2,priority=10,ip,ct_state=+trk,actions=ct(commit,zone=2,table=3)",
            "table=3,priority=10,in_port=1,ct_mark=0,actions=output:2",
            "table=3,priority=10,in_port=2,ct_mark=0,actions=output:1",
            "table=3,priority=5,actions=output:3"};

    /** A UDP frame of the connection A:5000 -> B:53 (or to C) in its direction (from B: the reply). */
    static byte[] udpFrame(long src, long dst, int n, int tag) {
        return src == B ? CtRunTest.udpFrame(src, dst, 53, 5000, n, tag) : CtRunTest.udpFrame(src, dst, 5000, 53, n, tag);
    }

    static List<byte[]> frames(long src, long dst, int count, int tag) {
        List<byte[]> f = new ArrayList<>();
        for (int i = 0; i < count; i++) f.add(udpFrame(src, dst, 18 + i % 5, tag + i));
        return f;
    }

    /** A:5000 -> B:53 sent from port 1, answered from port 2: established. */
    static void establish(BridgeDatapath dp, long now) {
        CtRunTest.burst(dp, 0, frames(A, B, 4, 0), now);
        CtRunTest.burst(dp, 1, frames(B, A, 4, 10), now);
    }

    static void assertAll(int port, int[] where, String what) {
        for (int i = 0; i < where.length; i++) assertEquals(port, where[i], what + ", frame " + i);
    }

    /** A first reply changes the connection: the next packets of the other direction, at the same clock, are +est. */
    @Test
    void aReplyInTheSamePollTurnsTheKeptNewVerdictToEstablished() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, 3, FLOWS);
            long now = System.nanoTime();
            String c = "cached " + cached;
            assertAll(2, CtRunTest.burst(dp, 0, frames(A, B, 8, 0), now), c + ": a unidirectional connection is new (port 3)");
            assertAll(0, CtRunTest.burst(dp, 1, frames(B, A, 1, 40), now), c + ": the first reply is established (port 1)");
            assertAll(1, CtRunTest.burst(dp, 0, frames(A, B, 8, 60), now), c + ": then the first direction is too (port 2)");
        }
    }

    /** A kept verdict is its tuple's: another connection's packets in the burst are tracked (IPv4 and IPv6). */
    @Test
    void anotherTuplesPacketsAreTrackedThemselves() {
        BridgeDatapath dp = CtDatapathTest.bridge(true, 3, FLOWS);
        long now = System.nanoTime();
        establish(dp, now);
        List<byte[]> mixed = new ArrayList<>();
        for (int i = 0; i < 6; i++) mixed.add(udpFrame(A, i % 2 == 0 ? B : C, 20, i));
        int[] where = CtRunTest.burst(dp, 0, mixed, now);
        for (int i = 0; i < where.length; i++) assertEquals(i % 2 == 0 ? 1 : 2, where[i], "frame " + i + " (to C: new)");

        byte[] x1 = v6(0x20010db8L << 32, 1, 0x20010db8L << 32, 2, 17, udp(5000, 53, 10));
        byte[] x2 = v6(0x20010db8L << 32, 2, 0x20010db8L << 32, 1, 17, udp(53, 5000, 10));
        byte[] y1 = v6(0x20010db8L << 32, 3, 0x20010db8L << 32, 4, 17, udp(5000, 53, 10));
        CtRunTest.burst(dp, 0, List.of(x1, x1), now);
        CtRunTest.burst(dp, 1, List.of(x2), now);
        assertArrayEquals(new int[] {1, 1, 2, 1}, CtRunTest.burst(dp, 0, List.of(x1, x1, y1, x1), now),
                "an IPv6 connection's verdict is not another's with the same ports");
    }

    /** Each frame's checksums are verified: a corrupt one in a run of kept verdicts is +inv. */
    @Test
    void aCorruptFrameInARunIsInvalid() {
        BridgeDatapath dp = CtDatapathTest.bridge(true, 3, TWO_IN_A_PASS);
        long now = System.nanoTime();
        establish(dp, now);
        List<byte[]> run = frames(A, B, 16, 20);
        byte[] bad = run.get(7).clone();
        bad[bad.length - 1] ^= 0x5a;
        run.set(7, bad);
        int[] where = CtRunTest.burst(dp, 0, run, now);
        for (int i = 0; i < where.length; i++) assertEquals(i == 7 ? -1 : 1, where[i], "frame " + i);
    }

    /**
     * Through two ct() calls in a pass and a third in the next, bursts leave exactly as frame by frame at a later
     * clock each (where no verdict is kept), with the same flow counters and connections.
     */
    @Test
    void burstsThroughTwoCtsInAPassLeaveAsFrameByFrame() {
        BridgeDatapath run = CtDatapathTest.bridge(true, 3, TWO_IN_A_PASS), single = CtDatapathTest.bridge(true, 3, TWO_IN_A_PASS);
        long now = System.nanoTime();
        for (int round = 0; round < 3; round++) {
            List<byte[]> ab = frames(A, B, 32, round * 64), ba = frames(B, A, 32, round * 64 + 32);
            byte[] bad = ab.get(20).clone();
            bad[24] ^= 0x11;                                     // the IPv4 header checksum no longer holds
            ab.set(20, bad);
            for (List<byte[]> fs : List.of(ab, ba)) {
                int port = fs == ab ? 0 : 1;
                int[] got = CtRunTest.burst(run, port, fs, now);
                for (int i = 0; i < fs.size(); i++) {
                    int[] one = CtRunTest.burst(single, port, List.of(fs.get(i)), now + i + 1);
                    assertEquals(one[0], got[i], "round " + round + ", port " + port + ", frame " + i);
                }
            }
            assertEquals(CtRunTest.counters(single), CtRunTest.counters(run), "flow counters after round " + round);
            now += 1_000_000_000L;
        }
        for (int zone : new int[] {1, 2})
            assertEquals(single.conntrack().get().dump(zone, now).size(), run.conntrack().get().dump(zone, now).size());
        assertEquals(7, run.conntrack().get().dump(1, now).getFirst().mark() & 0xffff, "the mark the exec moved in");
    }

    /** A poll that kept verdicts and took none (every packet another flow) rests the memo for REST polls. */
    @Test
    void aPollWithoutHitsRestsTheMemo() {
        Ct ct = (Ct) FlowParser.parse("ip,actions=ct(zone=1,table=1)").actions.getFirst();
        CtVerdictMemo m = new CtVerdictMemo();
        long[] w = new long[FlowKey.WORDS];
        w[FlowKey.DL_TYPE] = 0x0800;
        long t = 100;
        assertTrue(m.on(t));
        for (int port = 1; port <= 8; port++) {             // eight flows, one packet each: nothing taken
            w[FlowKey.TP_SRC] = port;
            if (m.find(ct, 1, w, t) < 0) m.claim(ct, 1, w, t);
        }
        for (int p = 1; p <= CtVerdictMemo.REST; p++) assertFalse(m.on(t + p), "poll " + p + " rests");
        assertTrue(m.on(t + CtVerdictMemo.REST + 1), "then it tries again");
        w[FlowKey.TP_SRC] = 1;
        m.claim(ct, 1, w, t + CtVerdictMemo.REST + 1);
        for (int k = 0; k < 4; k++) assertTrue(m.find(ct, 1, w, t + CtVerdictMemo.REST + 1) >= 0);
        assertTrue(m.on(t + CtVerdictMemo.REST + 2), "a poll that took kept verdicts keeps it on");
    }

    /** The memo itself: a slot is found by action, zone, clock and tuple; a clear forgets all. */
    @Test
    void slotsAreFoundByActionZoneClockAndTuple() {
        Ct ct1 = (Ct) FlowParser.parse("ip,actions=ct(zone=1,table=1)").actions.getFirst();
        Ct ct2 = (Ct) FlowParser.parse("ip,actions=ct(zone=1,table=1)").actions.getFirst();
        CtVerdictMemo m = new CtVerdictMemo();
        long[] w = new long[FlowKey.WORDS];
        w[FlowKey.DL_TYPE] = 0x0800;
        w[FlowKey.NW_PROTO] = 17;
        w[FlowKey.NW_SRC] = A;
        w[FlowKey.NW_DST] = B;
        assertEquals(-1, m.find(ct1, 1, w, 5));
        int s = m.claim(ct1, 1, w, 5);
        long[] after = w.clone();
        after[FlowKey.CT_MISC] = 0x22;
        after[FlowKey.CT_MARK] = 9;
        m.keep(s, after);
        assertEquals(s, m.find(ct1, 1, w, 5));
        assertEquals(-1, m.find(ct2, 1, w, 5), "another action");
        assertEquals(-1, m.find(ct1, 2, w, 5), "another zone");
        assertEquals(-1, m.find(ct1, 1, w, 6), "another clock");
        long[] other = w.clone();
        other[FlowKey.TP_DST] = 54;
        assertEquals(-1, m.find(ct1, 1, other, 5), "another tuple");
        long[] into = w.clone();
        m.apply(s, into);
        assertEquals(0x22, into[FlowKey.CT_MISC]);
        assertEquals(9, into[FlowKey.CT_MARK]);
        m.claim(ct1, 1, w, 5);
        m.claim(ct1, 1, w, 5);
        assertTrue(m.find(ct1, 1, w, 5) >= 0, "a set's two slots taken in turn: the tuple is still there");
        m.clear();
        assertEquals(-1, m.find(ct1, 1, w, 5), "cleared");
        // many tuples of one action: each set keeps its last two, and a kept verdict is always its own tuple's
        for (int port = 1; port <= 64; port++) {
            long[] t = w.clone();
            t[FlowKey.TP_SRC] = port;
            long[] v = t.clone();
            v[FlowKey.CT_MARK] = port;
            m.keep(m.claim(ct1, 1, t, 5), v);
        }
        int found = 0;
        for (int port = 1; port <= 64; port++) {
            long[] t = w.clone();
            t[FlowKey.TP_SRC] = port;
            int slot = m.find(ct1, 1, t, 5);
            if (slot < 0) continue;
            found++;
            long[] got = t.clone();
            m.apply(slot, got);
            assertEquals(port, got[FlowKey.CT_MARK], "port " + port);
        }
        assertTrue(found > 0 && found <= CtVerdictMemo.SLOTS, found + " kept");
    }
}
