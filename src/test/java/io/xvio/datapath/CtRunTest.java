package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A burst of one UDP connection's frames through ct(commit,table=1): the frames after the first may take the
 * verdict of the frame before them (MegaflowCache.Entry#ctTail, CtExecution#repeat). Each burst must leave exactly
 * as it would frame by frame without caches: the same frames out of the same ports, the same flow counters, the
 * same +inv for a frame whose checksum is bad, and the connection in the same state.
 */
class CtRunTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    static final String[] FLOWS = {
            "table=0,priority=10,ip,actions=ct(commit,zone=1,table=1)",
            "table=0,priority=0,actions=drop",
            "table=1,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,ct_state=+trk+est,in_port=1,actions=output:2",
            "table=1,priority=10,ip,ct_state=+trk+est,in_port=2,actions=output:1",
            "table=1,priority=5,ip,ct_state=+trk+new,in_port=1,actions=output:2",
            "table=1,priority=5,ip,ct_state=+trk+new,in_port=2,actions=output:1",
            "table=1,priority=0,actions=drop"};

    /**
     * OVN's shape: registers set, a lookup in a table where nothing matches (OVN's port security, table 73), then
     * ct() in the zone a register names; the next table matches a register too.
     */
    static final String[] FLOWS_WITH_REGISTERS = {
            "table=0,priority=10,ip,actions=load:0x5->NXM_NX_REG13[0..15],load:0x7->NXM_NX_REG14[],resubmit(,9),load:0x1->OXM_OF_METADATA[],ct(commit,zone=NXM_NX_REG13[0..15],table=1)",
            "table=9,priority=10,ip,reg14=8,actions=drop",
            "table=0,priority=0,actions=drop",
            "table=1,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,reg14=7,metadata=1,ct_state=+trk+est,in_port=1,actions=output:2",
            "table=1,priority=10,ip,reg14=7,metadata=1,ct_state=+trk+est,in_port=2,actions=output:1",
            "table=1,priority=5,ip,reg14=7,ct_state=+trk+new,in_port=1,actions=output:2",
            "table=1,priority=5,ip,reg14=7,ct_state=+trk+new,in_port=2,actions=output:1",
            "table=1,priority=0,actions=drop"};

    /** Two passes after the first: ct() in zone 1, then in zone 2 with a commit, then the output (OVN's ingress and egress). */
    static final String[] FLOWS_TWO_ZONES = {
            "table=0,priority=10,ip,actions=ct(commit,zone=1,table=1)",
            "table=0,priority=0,actions=drop",
            "table=1,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,ct_state=+trk,actions=load:0x3->NXM_NX_REG3[],ct(commit,zone=2,table=2)",
            "table=2,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=2,priority=10,ip,reg3=3,ct_state=+trk+est,in_port=1,actions=output:2",
            "table=2,priority=10,ip,reg3=3,ct_state=+trk+est,in_port=2,actions=output:1",
            "table=2,priority=5,ip,ct_state=+trk+new,in_port=1,actions=output:2",
            "table=2,priority=5,ip,ct_state=+trk+new,in_port=2,actions=output:1"};

    /** A UDP frame whose payload of n bytes starts with tag (so frames of one key differ in length and bytes). */
    static byte[] udpFrame(long src, long dst, int sport, int dport, int n, int tag) {
        byte[] l4 = udp(sport, dport, n);
        for (int x = 0; x < n; x++) l4[8 + x] = (byte) (tag + x);
        return v4(src, dst, 17, l4);
    }

    /** Sends the frames as one burst on port index inPort; returns, per frame, the port index it left by or -1. */
    static int[] burst(BridgeDatapath dp, int inPort, List<byte[]> frames, long now) {
        PacketBatch b = CtFragmentsDatapathTest.batchOf(frames);
        Outputs out = new Outputs(4);
        dp.process(inPort, b, out, 0, now);
        return where(out, frames.size());
    }

    /** Per frame of a burst of n, the port index it left by or -1 (each left once, as itself, not as a copy). */
    static int[] where(Outputs out, int n) {
        int[] where = new int[n];
        java.util.Arrays.fill(where, -1);
        for (int k = 0; k < out.touchedCount(); k++) {
            int p = out.touchedPort(k);
            int[] idx = out.packetsFor(p);
            for (int x = 0; x < out.countFor(p); x++) {
                int j = idx[x];
                assertTrue(j < n, "a frame left as itself, not as a copy");
                assertEquals(-1, where[j], "frame " + j + " left once");
                where[j] = p;
            }
        }
        return where;
    }

    static List<Long> counters(BridgeDatapath dp) {
        List<Long> c = new ArrayList<>();
        for (Flow f : dp.flows()) c.add(f.packetCount());
        return c;
    }

    @Test
    void aBurstOfOneConnectionLeavesAsItWouldFrameByFrame() {
        burstsLeaveAsFrameByFrame(FLOWS, 1, List.of(192L, 0L, 3L, 62L, 96L, 31L, 0L, 0L));
    }

    /** Through two zones: the last pass's packets of one flow take the entry the packet before took. */
    @Test
    void aBurstThroughTwoZonesLeavesAsItWouldFrameByFrame() {
        burstsLeaveAsFrameByFrame(FLOWS_TWO_ZONES, 2, List.of(192L, 0L, 3L, 189L, 0L, 62L, 96L, 31L, 0L));
    }

    /** The same when the ct() comes after register writes (its zone in one), as in OVN's first pass. */
    @Test
    void aBurstThroughRegisterWritesAndACtLeavesAsItWouldFrameByFrame() {
        burstsLeaveAsFrameByFrame(FLOWS_WITH_REGISTERS, 5, List.of(192L, 0L, 0L, 3L, 62L, 96L, 31L, 0L, 0L));
    }

    private void burstsLeaveAsFrameByFrame(String[] flows, int zone, List<Long> expected) {
        BridgeDatapath run = CtDatapathTest.bridge(true, flows), single = CtDatapathTest.bridge(false, flows);
        long now = System.nanoTime();
        for (int round = 0; round < 3; round++) {
            // A -> B from port 1: new, new (two of one direction), then est once B answered
            List<byte[]> ab = new ArrayList<>(), ba = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                ab.add(udpFrame(A, B, 5000, 53, 18 + (i % 5), round * 64 + i));
                ba.add(udpFrame(B, A, 53, 5000, 18 + (i % 7), round * 64 + i + 1));
            }
            byte[] bad = ab.get(9).clone();
            bad[bad.length - 1] ^= 0x5a;                          // the UDP checksum no longer holds: +inv
            ab.set(9, bad);
            int[] got = burst(run, 0, ab, now);
            for (int i = 0; i < ab.size(); i++) {
                int[] one = burst(single, 0, List.of(ab.get(i)), now);
                assertEquals(one[0], got[i], "round " + round + ", frame " + i + " A->B");
                assertEquals(i == 9 ? -1 : 1, got[i], "round " + round + ", frame " + i + " A->B");
            }
            got = burst(run, 1, ba, now);
            for (int i = 0; i < ba.size(); i++) {
                int[] one = burst(single, 1, List.of(ba.get(i)), now);
                assertEquals(one[0], got[i], "round " + round + ", frame " + i + " B->A");
                assertEquals(0, got[i], "round " + round + ", frame " + i + " B->A");
            }
            assertEquals(counters(single), counters(run), "flow counters after round " + round);
            assertEquals(single.droppedNoMatch(), run.droppedNoMatch(), "dropped for no match after round " + round);
            now += 1_000_000;
        }
        List<Long> c = counters(run);
        assertEquals(expected, c, "" + run.flows());
        assertEquals(1, run.conntrack().get().dump(zone, now).size());
        assertEquals(run.conntrack().get().dump(zone, now).toString(), single.conntrack().get().dump(zone, now).toString());
        assertTrue(run.cacheStats(0).hits() > 0);
    }

    /**
     * Register writes and table misses before the ct() leave the entry repeatable (the repeat copies the writes, its
     * counters count the misses); a header write does not.
     */
    @Test
    void registerWritesBeforeTheCtKeepTheEntryRepeatableAHeaderWriteDoesNot() {
        Flow f = FlowParser.parse(FLOWS_WITH_REGISTERS[0]);
        io.xvio.datapath.action.Ct ct = (io.xvio.datapath.action.Ct) f.actions.getLast();
        for (Field written : new Field[] {Field.REG14, Field.METADATA, Field.DL_SRC}) {
            MegaflowCache.Recorder r = new MegaflowCache.Recorder();
            r.reset(new long[io.xvio.packet.FlowKey.WORDS]);
            r.lookup(0, f);
            r.set(written, 7, written.fullMask(), 0, 0);
            r.miss(9, false);
            r.conntrack(ct, 5);
            r.recirc(3, false, false);
            MegaflowCache.Entry e = new MegaflowCache().insert(r.original, r);
            assertEquals(written != Field.DL_SRC, e.ctTail, written.ofName);
        }
    }

    @Test
    void framesOfTwoConnectionsInterleavedAreEachTracked() {
        BridgeDatapath dp = CtDatapathTest.bridge(true, FLOWS);
        long now = System.nanoTime();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 30; i++) frames.add(udpFrame(A, B, 5000 + (i / 3) % 2, 53, 20, i));   // runs of three
        int[] where = burst(dp, 0, frames, now);
        for (int w : where) assertEquals(1, w);
        assertEquals(2, dp.conntrack().get().dump(1, now).size(), "two connections, each committed once");
    }
}
