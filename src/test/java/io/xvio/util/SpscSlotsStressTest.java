package io.xvio.util;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One producer thread and one consumer thread on a small ring, as a PMD thread and the control thread use it: every
 * published element arrives once, in order, whole (two payload words written by the producer before publishing are
 * never seen half-written or stale), and what did not arrive was counted as a drop. No timing is asserted.
 */
class SpscSlotsStressTest {
    private static final long OFFERS = 2_000_000;

    @Test
    void twoThreadsLoseNothingUncountedAndSeeWholeElementsInOrder() throws Exception {
        SpscSlots ring = new SpscSlots(8);
        long[] a = new long[8], b = new long[8];
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long[] published = new long[1];
        Thread producer = Thread.ofPlatform().name("spsc-producer").start(() -> {
            long seq = 0;
            for (long i = 0; i < OFFERS; i++) {
                int s = ring.claim();
                if (s < 0) {
                    Thread.onSpinWait();
                    continue;
                }
                a[s] = seq;
                b[s] = ~seq;
                ring.publish();
                seq++;
            }
            published[0] = seq;
        });
        long[] taken = new long[1];
        Thread consumer = Thread.ofPlatform().name("spsc-consumer").start(() -> {
            try {
                long expect = 0;
                while (producer.isAlive() || ring.ready() > 0) {
                    for (int k = ring.ready(); k > 0; k--) {
                        int s = ring.oldest();
                        long x = a[s], y = b[s];
                        if (x != expect || y != ~expect) throw new AssertionError("slot " + s + ": got " + x + "/" + ~y + ", expected " + expect);
                        ring.release();
                        expect++;
                    }
                }
                taken[0] = expect;
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        producer.join();
        consumer.join();
        if (failed.get() != null) throw new AssertionError(failed.get());
        assertEquals(published[0], taken[0], "every published element arrived");
        assertEquals(OFFERS, published[0] + ring.dropped(), "the rest were counted as drops");
        assertTrue(published[0] > 0);
    }
}
