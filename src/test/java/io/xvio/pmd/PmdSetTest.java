package io.xvio.pmd;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/** Queues move between PMD threads at runtime without ever being polled by two threads at once. */
class PmdSetTest {
    /** A port whose queues count concurrent pollers; a queue polled by two threads at once is a violation. */
    static final class ProbePort extends StubPort {
        final AtomicInteger[] inUse = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        final AtomicInteger violations = new AtomicInteger();
        final AtomicLong polls = new AtomicLong();
        ProbePort(String name) { super(name); }
        @Override public int rxQueues() { return inUse.length; }
        @Override public int receive(int q, PacketBatch b, int thread) {
            if (inUse[q].incrementAndGet() != 1) violations.incrementAndGet();
            polls.incrementAndGet();
            Thread.onSpinWait();
            inUse[q].decrementAndGet();
            return 0;
        }
    }

    @Test
    void reassigningNeverLetsTwoThreadsPollOneQueue() throws Exception {
        PmdSet pmds = new PmdSet(List.of(), "busy");
        // two unpinned threads
        PmdSet two = new PmdSet(List.of(0, Math.min(1, Runtime.getRuntime().availableProcessors() - 1)).stream().distinct().toList(), "busy");
        PmdSet set = two.threads().size() == 2 ? two : pmds;
        ProbePort a = new ProbePort("a"), b = new ProbePort("b");
        BridgeDatapath dp = new BridgeDatapath("br0");
        Port[] ports = {a, b};
        List<RxQueue> all = new ArrayList<>();
        for (int q = 0; q < 4; q++) { all.add(new RxQueue(a, q, dp, 0, ports)); all.add(new RxQueue(b, q, dp, 1, ports)); }
        set.start();
        try {
            for (int round = 0; round < 300; round++) {
                List<RxQueue> plan = new ArrayList<>(all);
                java.util.Collections.rotate(plan, round);   // every round moves queues to the other thread
                set.assign(plan);
            }
            assertEquals(0, a.violations.get() + b.violations.get(), "a queue was polled by two threads at once");
            assertTrue(a.polls.get() > 1000 && b.polls.get() > 1000, "the queues were polled");
        } finally {
            set.stop();
        }
    }
}
