package io.xvio.datapath;

import io.xvio.datapath.action.Output;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A classifier lookup (the slow path of a poll-mode thread) allocates nothing, also in a classifier whose slots span
 * many pages and were written by one-flow updates ({@link SlotPages}).
 */
class ClassifierAllocationTest {
    @SuppressWarnings("restriction")
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void lookupsAllocateNothing() {
        List<Flow> all = new ArrayList<>();
        Classifier c = new Classifier(all);
        for (int i = 0; i < 5000; i++) {
            Match m = new Match().setWord(FlowKey.DL_TYPE, 0x0800, 0xffff).setWord(FlowKey.NW_DST, 0x0a000000L | i, 0xffffffffL);
            Flow f = new Flow(0, 100, 0, m, List.of(new Output(2)), 0, 0, "dst " + i);
            all.add(f);
            c = Classifier.update(c, all, List.of(f), List.of());
        }
        Flow low = new Flow(0, 1, 0, new Match(), List.of(new Output(1)), 0, 0, "low");
        all.add(low);
        c = Classifier.update(c, all, List.of(low), List.of());
        assertTrue(c.subtableCount() == 2);
        long[] k = new long[FlowKey.WORDS], wc = new long[FlowKey.WORDS];
        k[FlowKey.DL_TYPE] = 0x0800;
        long hits = 0;
        for (int round = 0; round < 3; round++) {
            long before = allocated();
            for (int i = 0; i < 100_000; i++) {
                k[FlowKey.NW_DST] = 0x0a000000L | (i % 6000);      // a sixth miss the /32s and find the low flow
                if (c.lookup(k, wc) != low) hits++;
            }
            long used = allocated() - before;
            if (round == 2) assertTrue(used < 4096, used + " bytes allocated by 100,000 lookups");
        }
        assertEquals(3 * (16 * 5000 + 4000), hits, "every key below 10.0.19.136 finds its /32");
    }
}
