package io.xvio.pmd;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The placement plans: every queue on exactly one existing thread, pins kept, and a plan applied only if better. */
class PlacementProperties {
    record Case(int threads, Placement.Item[] items) {
        @Override public String toString() { return threads + " threads " + List.of(items); }
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers().between(1, 6).flatMap(threads -> {
            Arbitrary<Placement.Item> item = Combinators.combine(
                    Arbitraries.integers().between(-3 * threads, threads - 1).map(p -> p < 0 ? -1 : p),   // mostly unpinned
                    Arbitraries.longs().between(0, 10_000_000_000L),
                    Arbitraries.integers().between(-1, threads - 1))
                    .as((pin, load, cur) -> new Placement.Item(pin, load, cur));
            return item.array(Placement.Item[].class).ofMaxSize(40).map(a -> new Case(threads, a));
        });
    }

    private static void assertValid(Case c, int[] a) {
        assertEquals(c.items.length, a.length, "one thread per queue");
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] >= 0 && a[i] < c.threads, "queue " + i + " on a thread that exists: " + a[i]);
            if (c.items[i].pin() >= 0) assertEquals(c.items[i].pin(), a[i], "queue " + i + " stays on its pin");
        }
    }

    @Property(tries = 500)
    void greedyPlacesEveryQueueOnceAndKeepsPins(@ForAll("cases") Case c) {
        assertValid(c, Placement.greedy(c.items, c.threads));
    }

    @Property(tries = 500)
    void stickyKeepsPlacedQueuesAndPins(@ForAll("cases") Case c) {
        int[] a = Placement.sticky(c.items, c.threads);
        assertValid(c, a);
        for (int i = 0; i < a.length; i++)
            if (c.items[i].pin() < 0 && c.items[i].current() >= 0) assertEquals(c.items[i].current(), a[i], "a placed queue stays");
    }

    @Property(tries = 500)
    void anAppliedPlanIsNeverWorseAndImprovesByTheThreshold(@ForAll("cases") Case c, @ForAll @IntRange(min = 0, max = 100) int threshold) {
        boolean allPlaced = true;
        for (Placement.Item it : c.items) allPlaced &= it.current() >= 0;
        Assume.that(allPlaced);
        int[] next = Placement.greedy(c.items, c.threads);
        if (!Placement.worthApplying(c.items, next, c.threads, threshold)) return;
        int[] cur = new int[c.items.length];
        for (int i = 0; i < cur.length; i++) cur[i] = c.items[i].current();
        double before = Placement.imbalance(Placement.threadLoads(c.items, cur, c.threads));
        double after = Placement.imbalance(Placement.threadLoads(c.items, next, c.threads));
        assertTrue(after < before, "applied plan is better: " + before + " -> " + after);
        assertTrue(Placement.improvementPercent(before, after) >= threshold);
    }

    @Property(tries = 300)
    void greedyIsAtMostTheHeaviestQueueAboveTheMeanWithoutPins(@ForAll("cases") Case c) {
        // list scheduling bound: the busiest thread carries at most the average plus the heaviest queue
        Placement.Item[] unpinned = new Placement.Item[c.items.length];
        long total = 0, max = 0;
        for (int i = 0; i < unpinned.length; i++) {
            unpinned[i] = new Placement.Item(-1, c.items[i].load(), c.items[i].current());
            total += unpinned[i].load();
            max = Math.max(max, unpinned[i].load());
        }
        long[] loads = Placement.threadLoads(unpinned, Placement.greedy(unpinned, c.threads), c.threads);
        for (long l : loads) assertTrue(l <= total / c.threads + max + 1, "thread load " + l + " total " + total + " max " + max);
    }

    @Test
    void twoHeavyQueuesOnOneThreadAreSplit() {
        Placement.Item[] items = {
                new Placement.Item(-1, 900, 0), new Placement.Item(-1, 10, 1),
                new Placement.Item(-1, 800, 0), new Placement.Item(-1, 10, 1)};
        int[] next = Placement.greedy(items, 2);
        assertNotEquals(next[0], next[2], "the heavy queues end on different threads");
        assertTrue(Placement.worthApplying(items, next, 2, 25));
    }

    @Test
    void anEvenPlanMovesNothing() {
        Placement.Item[] items = {new Placement.Item(-1, 500, 0), new Placement.Item(-1, 500, 1), new Placement.Item(-1, 5, 0)};
        int[] next = Placement.greedy(items, 2);
        assertFalse(Placement.worthApplying(items, next, 2, 25), "small gains below the threshold are not worth a move");
    }

    @Test
    void stickyPlacesNewQueuesRoundRobin() {
        Placement.Item[] items = new Placement.Item[5];
        for (int i = 0; i < 5; i++) items[i] = new Placement.Item(-1, 0, -1);
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, Placement.sticky(items, 3));
    }
}
