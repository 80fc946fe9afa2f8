package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two PMD threads learning into one MAC table at once (the bridge's only table written by several threads):
 * each thread learns its own addresses on its own port, in a table small enough that they keep evicting each
 * other's entries. Whatever a lookup finds must be an entry some thread wrote whole: an address of thread T is
 * only ever found on T's port. Before the table's slots had a sequence word, this failed within a second (an
 * entry with one thread's key and the other's port).
 */
class MacTableConcurrencyTest {
    @Test
    void concurrentLearnersNeverProduceATornEntry() throws Exception {
        MacTable t = new MacTable(64, MacTable.DEFAULT_AGING_NS);
        int threads = 2, macsPerThread = 96;
        long deadline = System.nanoTime() + 3_000_000_000L;
        AtomicReference<String> wrong = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        long[] found = new long[threads];
        for (int id = 0; id < threads; id++) {
            final int me = id;
            ts[id] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long n = 0;
                int port = 10 + me;
                while (wrong.get() == null && System.nanoTime() < deadline) {
                    for (int i = 0; i < macsPerThread; i++) {
                        long mac = 0x020000000000L | ((long) me << 24) | i;
                        // learned at distinct times, so refreshes and evictions keep writing slots
                        t.learn(mac, i & 3, port, n * 1_000_000_000L + i);
                        for (int o = 0; o < threads; o++) {
                            long other = 0x020000000000L | ((long) o << 24) | ((i * 7 + n) % macsPerThread);
                            int p = t.lookup(other, (int) (((i * 7 + n) % macsPerThread) & 3), n * 1_000_000_000L + i);
                            if (p >= 0) {
                                found[me]++;
                                if (p != 10 + o) wrong.compareAndSet(null, "address of thread " + o + " found on port " + p);
                            }
                        }
                    }
                    n++;
                    if (wrong.get() != null) return;
                }
            }, "learner" + id);
            ts[id].start();
        }
        start.countDown();
        for (Thread th : ts) th.join();
        assertNull(wrong.get(), wrong.get());
        for (int id = 0; id < threads; id++) assertTrue(found[id] > 1000, "lookups found entries: " + found[id]);
    }
}
