package io.xvio.util;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayDeque;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ring against a bounded FIFO model, over any interleaving of offers and takes (one thread): a claim fails exactly
 * when slots elements wait, and then counts a drop; elements come out in order, each from the slot it went into; a
 * claim given up (never published) is invisible and its slot is the next claim's.
 */
class SpscSlotsProperties {

    /** 0: offer (claim, fill, publish), 1: take the oldest, 2: claim and give up. */
    @Provide
    Arbitrary<List<Integer>> ops() {
        return Arbitraries.frequency(Tuple.of(5, 0), Tuple.of(4, 1), Tuple.of(1, 2)).list().ofMaxSize(600);
    }

    @Property(tries = 300)
    void behavesAsABoundedFifoThatCountsWhatItRefuses(@ForAll("ops") List<Integer> ops, @ForAll @IntRange(min = 0, max = 6) int log2) {
        int slots = 1 << log2;
        SpscSlots ring = new SpscSlots(slots);
        long[] payload = new long[slots];
        ArrayDeque<Long> model = new ArrayDeque<>();
        long next = 0, drops = 0;
        for (int op : ops) {
            switch (op) {
                case 0, 2 -> {
                    int s = ring.claim();
                    if (model.size() == slots) {
                        assertEquals(-1, s, "full");
                        drops++;
                    } else {
                        assertTrue(s >= 0 && s < slots, "slot " + s);
                        if (op == 0) {
                            payload[s] = next;
                            model.add(next++);
                            ring.publish();
                        } else {
                            assertEquals(s, ring.claim(), "a claim given up is claimed again");
                        }
                    }
                }
                default -> {
                    assertEquals(model.size(), ring.ready());
                    if (model.isEmpty()) continue;
                    assertEquals(model.removeFirst(), payload[ring.oldest()]);
                    ring.release();
                }
            }
            assertEquals(model.size(), ring.ready());
            assertEquals(drops, ring.dropped());
        }
        while (ring.ready() > 0) {
            assertEquals(model.removeFirst(), payload[ring.oldest()]);
            ring.release();
        }
        assertTrue(model.isEmpty());
    }

    @Example
    void slotsMustBeAPowerOfTwo() {
        for (int bad : new int[] {0, -4, 3, 12}) assertThrows(IllegalArgumentException.class, () -> new SpscSlots(bad));
        assertEquals(1, new SpscSlots(1).slots());
    }
}
