package io.xvio.datapath;

import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.FloodTest;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A SYN flood through a security group whose commit is checked (ct(commit,table=2), +inv dropped) against a connection limit: a million
 * SYNs with distinct tuples in bursts of 32. New connections beyond the limit are +inv (dropped by the table) and
 * counted; an established connection keeps flowing both ways; the table stays at its limit; the PMD side allocates
 * (next to) nothing, so a flood makes no garbage.
 */
class CtFloodTest {
    static final int LIMIT = 10_000, SYNS = 1_000_000;
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    /** The security group with a commit that is checked: a connection refused at the limit is +inv and dropped. */
    static final String[] FLOWS = {
            "table=0,priority=10,ip,actions=ct(table=1,zone=7)",
            "table=1,priority=20,ip,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=7,table=2,exec(set_field:0x5->ct_mark))",
            "table=1,priority=10,ip,in_port=1,ct_state=+trk+est-new,ct_mark=5,actions=output:2",
            "table=1,priority=10,ip,in_port=2,ct_state=+trk+est-new,ct_mark=5,actions=output:1",
            "table=1,priority=0,actions=drop",
            "table=2,ip,ct_state=+trk+new-inv,actions=output:2",
            "table=2,priority=0,actions=drop"};

    @Test
    void aSynFloodIsRefusedAtTheLimitAndEstablishedTrafficFlows() {
        Conntrack conntrack = new Conntrack(LIMIT, BridgeDatapath.MAX_THREADS + 2);
        BridgeDatapath dp = new BridgeDatapath("br0", conntrack);
        List<Flow> fs = new ArrayList<>();
        for (String f : FLOWS) fs.add(FlowParser.parse(f));
        dp.install(new int[] {1, 2}, fs);
        dp.setLive(new boolean[] {true, true});
        long now = 1_000_000_000_000L;
        // one connection set up before the flood
        assertEquals(1, send(dp, 0, CtDatapathTest.seg(A, B, 40000, 80, SYN, 1000, 0), now));
        assertEquals(1, send(dp, 1, CtDatapathTest.seg(B, A, 80, 40000, SYN | ACK, 5000, 1001), now));
        byte[] est = CtDatapathTest.seg(A, B, 40000, 80, ACK, 1001, 5001), back = CtDatapathTest.seg(B, A, 80, 40000, ACK, 5001, 1001);

        PacketBatch b = new PacketBatch();
        Outputs out = new Outputs(4);
        byte[] syn = CtDatapathTest.seg(A, B, 1, 80, SYN, 77, 0);
        long forwarded = 0, before = 0;
        int estOk = 0;
        for (int i = 0; i < SYNS; i += 32) {
            if (i == 64_000) before = FloodTest.allocated();                   // after warm-up (JIT, the caches' entries)
            for (int k = 0; k < 32; k++) {
                FloodTest.vary(syn, i + k);
                MemorySegment.copy(syn, 0, b.data, JAVA_BYTE, b.off[k], syn.length);
                b.len[k] = syn.length;
            }
            b.count = 32;
            dp.process(0, b, out, 0, now);
            for (int p = 0; p < out.touchedCount(); p++) forwarded += out.countFor(out.touchedPort(p));
            out.clear();
            b.reset();
            if (i % 3200 == 0) {
                estOk += send(dp, 0, est, now, b, out) + send(dp, 1, back, now, b, out);
            }
        }
        long garbage = FloodTest.allocated() - before;
        var stats = conntrack.get().stats(now);
        assertEquals(LIMIT, stats.connections(), "the table stays at its limit");
        assertEquals(LIMIT - 1, forwarded, "only the SYNs that got a connection went out");
        assertEquals(SYNS - (LIMIT - 1), stats.counters().get("limit"), "the others were refused and counted");
        assertEquals(2 * (SYNS / 3200 + (SYNS % 3200 == 0 ? 0 : 1)), estOk, "the established connection flowed throughout");
        assertTrue(garbage < 256 * 1024, "allocated " + garbage + " bytes for " + (SYNS - 64_000) + " SYNs");
    }

    private static int send(BridgeDatapath dp, int port, byte[] f, long now) {
        return send(dp, port, f, now, new PacketBatch(), new Outputs(4));
    }

    /** Sends one frame on port index port; returns how many frames went out. */
    private static int send(BridgeDatapath dp, int port, byte[] f, long now, PacketBatch b, Outputs out) {
        MemorySegment.copy(f, 0, b.data, JAVA_BYTE, b.off[0], f.length);
        b.len[0] = f.length;
        b.count = 1;
        dp.process(port, b, out, 0, now);
        int n = 0;
        for (int p = 0; p < out.touchedCount(); p++) n += out.countFor(out.touchedPort(p));
        out.clear();
        b.reset();
        return n;
    }
}
