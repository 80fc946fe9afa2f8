package io.xvio.datapath;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Conntrack verifies a packet's checksums at its first ct() and trusts them at the later ones of the same packet
 * (PacketBatch#checksumsChecked): a PMD thread's batch is reused burst after burst, so the frames of the next burst,
 * in the same slots at the same offsets, are verified again: a corrupt one is +inv at its first ct().
 */
class CtChecksumsCheckedTest {
    static final long A = ip("10.0.0.1"), B = ip("10.0.0.2");

    /** Two zones, as OVN's pipeline: each ct() drops +inv; what passes both leaves by port 2. */
    static final String[] FLOWS = {
            "table=0,priority=10,ip,actions=ct(zone=1,table=1)",
            "table=1,priority=20,ct_state=+trk+inv,actions=drop",
            "table=1,priority=10,ip,ct_state=+trk,actions=set_field:10.0.0.9->ip_dst,ct(commit,zone=2,table=2)",
            "table=2,priority=20,ct_state=+trk+inv,actions=drop",
            "table=2,priority=10,ip,ct_state=+trk,actions=output:2"};

    /** The frames into b as a new burst on port index 0 (b reset first, as the PMD thread does); port index per frame. */
    static int[] burst(BridgeDatapath dp, PacketBatch b, List<byte[]> frames, long now) {
        b.reset();
        CtFragmentsDatapathTest.fill(b, frames);
        Outputs out = new Outputs(4);
        dp.process(0, b, out, 0, now);
        return CtRunTest.where(out, frames.size());
    }

    @Test
    void theNextBurstInTheSameSlotsIsVerifiedAgain() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached, 2, FLOWS);
            PacketBatch b = new PacketBatch();
            long now = System.nanoTime();
            List<byte[]> good = new ArrayList<>(), mixed = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                good.add(CtRunTest.udpFrame(A, B, 5000, 53, 20, i));
                byte[] f = CtRunTest.udpFrame(A, B, 5000, 53, 20, 40 + i);
                if (i % 2 == 1) f[f.length - 1] ^= 0x5a;         // its UDP checksum no longer holds
                mixed.add(f);
            }
            for (int round = 0; round < 3; round++) {
                int[] w = burst(dp, b, good, now);
                for (int i = 0; i < 8; i++) {
                    assertEquals(1, w[i], "cached " + cached + ", round " + round + ": good frame " + i);
                    // verified at the first ct(), kept through the set_field and the second ct()
                    assertTrue(b.checksumsChecked(i), "cached " + cached + ", round " + round + ": frame " + i + " marked");
                }
                w = burst(dp, b, mixed, now);
                for (int i = 0; i < 8; i++)
                    assertEquals(i % 2 == 1 ? -1 : 1, w[i], "cached " + cached + ", round " + round + ": frame " + i + (i % 2 == 1 ? " (corrupt)" : ""));
            }
        }
    }
}
