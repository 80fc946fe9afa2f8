package io.xvio.util;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The token bucket's promise: over any arrival pattern, what it admits never exceeds rate * elapsed + capacity
 * (one thread or several, clocks out of order between threads included), and a bucket offered more than its rate
 * admits about the rate (it does not lose tokens).
 */
class TokenBucketProperties {

    /** One arrival: the clock moves by gap ns (possibly backwards, as another thread's clock may be), cost units. */
    record Arrival(long gap, long cost) {}

    @Provide
    Arbitrary<List<Arrival>> arrivals() {
        Arbitrary<Long> gap = Arbitraries.oneOf(Arbitraries.longs().between(0, 10),
                Arbitraries.longs().between(0, 2_000_000), Arbitraries.longs().between(-5_000, 0),
                Arbitraries.longs().between(0, 3_000_000_000L));
        Arbitrary<Long> cost = Arbitraries.oneOf(Arbitraries.longs().between(1, 2_000_000_000L),
                Arbitraries.longs().between(1, 100_000_000_000L));
        return Combinators.combine(gap, cost).as(Arrival::new).list().ofMaxSize(400);
    }

    @Property(tries = 400)
    void admitsAtMostRateTimesTimePlusBurst(@ForAll("arrivals") List<Arrival> pattern,
                                            @ForAll @LongRange(min = 1, max = 5_000_000) long rate,
                                            @ForAll @LongRange(min = 0, max = 1L << 40) long capacity) {
        long start = 1_000_000_000L, now = start, latest = start;
        TokenBucket b = new TokenBucket(rate, capacity, start);
        long admitted = 0;
        for (Arrival a : pattern) {
            now += a.gap();
            latest = Math.max(latest, now);
            if (b.admit(a.cost(), now)) admitted += a.cost();
            assertTrue(admitted <= capacity + rate * (latest - start),
                    "admitted " + admitted + " > capacity " + capacity + " + rate " + rate + " * " + (latest - start) + " ns");
            assertTrue(b.tokens() >= 0 && b.tokens() <= capacity, "tokens within 0..capacity: " + b.tokens());
        }
    }

    @Property(tries = 200)
    void aSaturatedBucketDeliversItsRate(@ForAll @LongRange(min = 1, max = 100_000) long rate,
                                         @ForAll @IntRange(min = 1, max = 1_000) int steps,
                                         @ForAll @LongRange(min = 1, max = 1_000_000) long step) {
        long cost = Math.max(1_000, rate * step / 8);     // a few admissions per step
        long capacity = Math.max(cost, rate * step);   // a bucket deeper than one step's refill loses nothing
        TokenBucket b = new TokenBucket(rate, capacity, 0);
        long admitted = 0, now = 0;
        while (b.admit(cost, now)) admitted += cost;       // the full bucket first (a full bucket gains nothing)
        for (int s = 0; s < steps; s++) {
            now += step;
            while (b.admit(cost, now)) admitted += cost;   // offered without limit
        }
        long ideal = capacity + rate * now;
        assertTrue(admitted <= ideal, "no more than the ideal");
        assertTrue(admitted > ideal - cost * (long) (steps + 1), "admitted " + admitted + " of an ideal " + ideal + ": tokens were lost");
    }

    @Test
    void threadsSharingABucketStillAdmitAtMostRateTimesTimePlusBurst() throws Exception {
        long rate = 50, capacity = 2_000_000;             // 50 units/ns
        long start = System.nanoTime();
        TokenBucket b = new TokenBucket(rate, capacity, start);
        AtomicLong admitted = new AtomicLong();
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                long mine = 0;
                for (int i = 0; i < 200_000; i++) if (b.admit(1_000, System.nanoTime())) mine += 1_000;
                admitted.addAndGet(mine);
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        long elapsed = System.nanoTime() - start;
        assertTrue(admitted.get() <= capacity + rate * elapsed, admitted.get() + " > " + (capacity + rate * elapsed));
        assertTrue(admitted.get() >= capacity, "the full bucket at least: " + admitted.get());
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, (1L << 62) + 1, 0));
    }
}
