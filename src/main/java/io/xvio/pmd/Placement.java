package io.xvio.pmd;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Where each polled queue goes, as numbers only (no threads, no ports), so it can be tested on its own. A queue is
 * (pin, load, current thread): pin is the thread it must stay on or -1, load its measured busy time, current its
 * thread now or -1 (new). Two plans:
 * <ul>
 *   <li>{@link #sticky}: queues keep their thread; pinned ones go to their pin; new ones go to the thread with the
 *       fewest queues (the first threads first), so a fresh start is round-robin.</li>
 *   <li>{@link #greedy}: by load, as OVS's pmd-auto-lb "group" assignment and virtio-forwarder's scheduler: pinned
 *       queues first, then the others heaviest first, each to the least loaded thread (its current one on a tie, so
 *       equal plans move nothing).</li>
 * </ul>
 * {@link #imbalance} is the variance of the threads' loads; a new plan is worth applying when it lowers it by at least
 * the improvement threshold ({@link #worthApplying}), as OVS's pmd-auto-lb-improvement-threshold.
 */
public final class Placement {
    private Placement() {}

    /** One queue: pin (-1: none), load (busy ns), current thread (-1: not placed yet). */
    public record Item(int pin, long load, int current) {}

    public static int[] sticky(Item[] items, int threads) {
        check(items, threads);
        int[] out = new int[items.length];
        int[] count = new int[threads];
        for (int i = 0; i < items.length; i++) {
            Item it = items[i];
            out[i] = it.pin >= 0 ? it.pin : it.current >= 0 && it.current < threads ? it.current : -1;
            if (out[i] >= 0) count[out[i]]++;
        }
        for (int i = 0; i < items.length; i++) {
            if (out[i] >= 0) continue;
            int best = 0;
            for (int t = 1; t < threads; t++) if (count[t] < count[best]) best = t;
            out[i] = best;
            count[best]++;
        }
        return out;
    }

    public static int[] greedy(Item[] items, int threads) {
        check(items, threads);
        int[] out = new int[items.length];
        long[] load = new long[threads];
        for (int i = 0; i < items.length; i++) {
            out[i] = items[i].pin;
            if (out[i] >= 0) load[out[i]] += items[i].load;
        }
        Integer[] order = IntStream.range(0, items.length).filter(i -> items[i].pin < 0).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingLong((Integer i) -> -items[i].load).thenComparingInt(i -> i));
        for (int i : order) {
            int cur = items[i].current;
            int best = cur >= 0 && cur < threads ? cur : 0;
            for (int t = 0; t < threads; t++) if (load[t] < load[best]) best = t;
            out[i] = best;
            load[best] += items[i].load;
        }
        return out;
    }

    /** Each thread's summed load under assignment a. */
    public static long[] threadLoads(Item[] items, int[] a, int threads) {
        long[] load = new long[threads];
        for (int i = 0; i < items.length; i++) load[a[i]] += items[i].load;
        return load;
    }

    /** The variance of the threads' loads (0: perfectly even). */
    public static double imbalance(long[] loads) {
        if (loads.length == 0) return 0;
        double mean = 0;
        for (long l : loads) mean += l;
        mean /= loads.length;
        double v = 0;
        for (long l : loads) v += (l - mean) * (l - mean);
        return v / loads.length;
    }

    /** The improvement of next over current in percent of current's imbalance (0 when current is even). */
    public static double improvementPercent(double current, double next) {
        return current <= 0 ? 0 : 100.0 * (current - next) / current;
    }

    /** Whether moving from the current assignment to next is worth it: changes something and improves by threshold %. */
    public static boolean worthApplying(Item[] items, int[] next, int threads, int thresholdPercent) {
        int[] cur = new int[items.length];
        boolean same = true;
        for (int i = 0; i < items.length; i++) {
            if (items[i].current < 0) return true;     // a queue without a thread must get one
            cur[i] = items[i].current;
            same &= cur[i] == next[i];
        }
        if (same) return false;
        double before = imbalance(threadLoads(items, cur, threads)), after = imbalance(threadLoads(items, next, threads));
        return after < before && improvementPercent(before, after) >= thresholdPercent;
    }

    private static void check(Item[] items, int threads) {
        if (threads < 1) throw new IllegalArgumentException("no PMD threads");
        for (Item it : items) {
            if (it.pin >= threads) throw new IllegalArgumentException("pinned to thread " + it.pin + " of " + threads);
            if (it.load < 0) throw new IllegalArgumentException("negative load");
        }
    }
}
