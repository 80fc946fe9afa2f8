package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.*;

/** A flow's per-thread packet and byte counters: summed over every thread but the trace's, shared by mod-flows. */
class FlowCountersTest {
    @Test
    void everyThreadCountsInItsOwnRowAndTheTraceIsNotSummed() {
        Flow f = FlowParser.parse("in_port=1,actions=drop");
        f.hit(-2, 1000, 1);                             // a trace: never counted
        f.hit(-1, 3, 300, 1);
        f.hit(0, 100, 1);
        f.hit(BridgeDatapath.MAX_THREADS - 1, 2, 64, 1);
        assertEquals(6, f.packetCount());
        assertEquals(464, f.byteCount());
        Flow kept = f.modified(f.actions, f.text(), false), reset = f.modified(f.actions, f.text(), true);
        kept.hit(1, 50, 1);
        assertEquals(7, f.packetCount(), "mod-flows shares the counters");
        assertEquals(7, kept.packetCount());
        assertEquals(0, reset.packetCount(), "reset_counts starts from zero");
    }

    /** Two threads counting at once lose nothing (each writes its own row). */
    @Test
    void twoThreadsCountingAtOnceLoseNothing() throws Exception {
        Flow f = FlowParser.parse("in_port=1,actions=drop");
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int thread = t;
            ts.add(Thread.ofPlatform().start(() -> {
                try { go.await(); } catch (InterruptedException e) { return; }
                for (int i = 0; i < 1_000_000; i++) f.hit(thread, 1, 64, i);
            }));
        }
        go.countDown();
        for (Thread t : ts) t.join();
        assertEquals(2_000_000, f.packetCount());
        assertEquals(128_000_000, f.byteCount());
    }

    /** 100,000 flows (an OVN chassis has that many) fit in a few tens of MB, not the 850 MB padded rows took. */
    @Test
    void aHundredThousandFlowsAreCheap() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        List<Flow> flows = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            Flow f = FlowParser.parse("priority=10,ip,nw_src=10.0." + (i >> 8 & 255) + "." + (i & 255) + ",actions=output:2");
            f.hit(0, 64, 1);                            // one PMD thread has counted in it
            flows.add(f);
        }
        System.gc();
        long used = rt.totalMemory() - rt.freeMemory() - before;
        System.out.println("FLOWS 100,000 flows take " + (used >> 20) + " MB");
        assertTrue(used < 300L << 20, "100,000 flows take " + (used >> 20) + " MB");
        assertEquals(100_000, flows.stream().mapToLong(Flow::packetCount).sum());
    }
}
