package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CyclicBarrier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A flow's counter rows are made at its first hit by whichever PMD thread gets there first: two threads racing on
 * fresh flows lose no hit (the loser of the CAS counts into the winner's array), and a modified copy shares them.
 */
class FlowCountersStressTest {
    private static Flow fresh() { return new Flow(0, 1, 0, FlowParser.parse("ip,actions=drop").match, List.of(), 0, 0, ""); }

    @Test
    void twoThreadsHittingFreshFlowsLoseNoHit() throws Exception {
        int flows = 2_000, hits = 50;
        Flow[] fs = new Flow[flows];
        for (int i = 0; i < flows; i++) fs[i] = fresh();
        assertEquals(0, fs[0].packetCount(), "no hit, no counters: zero");
        CyclicBarrier start = new CyclicBarrier(2);
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int thread = t;
            ts[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                for (Flow f : fs) for (int h = 0; h < hits; h++) f.hit(thread, 60, 1L);
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        for (Flow f : fs) {
            assertEquals(2L * hits, f.packetCount());
            assertEquals(2L * hits * 60, f.byteCount());
        }
    }

    @Test
    void aModifiedCopySharesTheCountersUnlessReset() {
        Flow f = fresh();
        Flow m = f.modified(List.of(), "actions=drop", false);     // no hit yet: the rows are made to be shared
        f.hit(0, 100, 1L);
        m.hit(1, 100, 1L);
        assertEquals(2, f.packetCount());
        assertEquals(2, m.packetCount());
        Flow r = m.modified(List.of(), "actions=drop", true);
        assertEquals(0, r.packetCount());
        r.hit(0, 100, 1L);
        assertEquals(1, r.packetCount());
        assertEquals(2, m.packetCount());
    }
}
