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
                List<List<RxQueue>> per = new ArrayList<>();
                for (int t = 0; t < set.threads().size(); t++) per.add(new ArrayList<>());
                for (int i = 0; i < plan.size(); i++) per.get(i % per.size()).add(plan.get(i));
                set.apply(per);
            }
            assertEquals(0, a.violations.get() + b.violations.get(), "a queue was polled by two threads at once");
            assertTrue(a.polls.get() > 1000 && b.polls.get() > 1000, "the queues were polled");
        } finally {
            set.stop();
        }
    }

    /** A port whose queues 0 and 2 are heavy: each receive spins ~30 us and returns one frame; 1 and 3 are idle. */
    static final class HeavyPort extends StubPort {
        final AtomicInteger[] inUse = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        final AtomicInteger violations = new AtomicInteger();
        HeavyPort(String name) { super(name); }
        @Override public int rxQueues() { return 4; }
        @Override public int receive(int q, PacketBatch b, int thread) {
            if (inUse[q].incrementAndGet() != 1) violations.incrementAndGet();
            try {
                if (q % 2 == 1) return 0;
                long end = System.nanoTime() + 30_000;
                while (System.nanoTime() < end) Thread.onSpinWait();
                b.len[0] = 60;
                b.count = 1;
                return 1;
            } finally {
                inUse[q].decrementAndGet();
            }
        }
    }

    @Test
    void rebalanceSplitsTwoHeavyQueuesAndKeepsPins() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() >= 2);
        PmdSet set = new PmdSet(List.of(0, 1), "busy");
        HeavyPort p = new HeavyPort("h"), sink = new HeavyPort("sink");
        List<RxQueue> qs = new ArrayList<>();
        for (int q = 0; q < 4; q++) qs.add(RxQueue.relay(p, q, sink, -1, "r"));
        RxQueue pinned = RxQueue.relay(sink, 1, p, 1, "pinned");   // idle, pinned to thread 1
        qs.add(pinned);
        set.start();
        try {
            set.apply(List.of(List.of(qs.get(0), qs.get(2), qs.get(1)), List.of(qs.get(3), pinned)));
            assertTrue(onThread(set, 0, 0) && onThread(set, 2, 0), "both heavy queues start on pmd0");
            for (int round = 0; round < 3 && threadOf(set, p, 0) == threadOf(set, p, 2); round++) {
                sleep(300);
                set.rebalance(true, 25);
            }
            assertTrue(set.moves() > 0, "something moved");
            assertNotEquals(threadOf(set, p, 0), threadOf(set, p, 2), "the heavy queues end on different threads");
            assertEquals(1, threadOf(set, sink, 1), "the pinned queue stays");
            int total = 0;
            for (PmdThread t : set.threads()) total += t.queues().length;
            assertEquals(5, total, "every queue polled exactly once");
            assertEquals(0, p.violations.get(), "no queue polled by two threads at once");
            sleep(300);
            set.rebalance(false, 25);         // a measuring round only
            for (RxQueue x : set.threads().get(threadOf(set, p, 0)).queues())
                if (x.port() == p && x.queue() == 0) assertTrue(x.load().lastUsagePercent() > 0 && x.load().lastBusy() > 0, "a heavy queue's usage is measured");
            for (RxQueue x : set.threads().get(threadOf(set, p, 1)).queues())
                if (x.port() == p && x.queue() == 1) assertEquals(0, x.load().lastBusy(), "an idle queue costs nothing");
        } finally {
            set.stop();
        }
    }

    private static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { throw new AssertionError(e); }
    }

    private static boolean onThread(PmdSet s, int q, int t) {
        for (RxQueue x : s.threads().get(t).queues()) if (x.queue() == q && x.port().name().equals("h")) return true;
        return false;
    }

    private static int threadOf(PmdSet s, Port port, int q) {
        int found = -1;
        for (PmdThread t : s.threads())
            for (RxQueue x : t.queues())
                if (x.port() == port && x.queue() == q) { assertEquals(-1, found, port.name() + "/" + q + " on two threads"); found = t.id(); }
        return found;
    }
}
