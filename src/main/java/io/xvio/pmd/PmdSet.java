package io.xvio.pmd;

import io.xvio.util.Quiescence;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/** The daemon's PMD threads, and the quiescence barrier the control plane waits on. */
public final class PmdSet implements Quiescence {
    private final List<PmdThread> threads = new ArrayList<>();

    public PmdSet(List<Integer> cpus, String idle) {
        if (cpus.isEmpty()) threads.add(new PmdThread(0, -1, IdleStrategy.of(idle)));
        for (int i = 0; i < cpus.size(); i++) threads.add(new PmdThread(i, cpus.get(i), IdleStrategy.of(idle)));
    }

    public List<PmdThread> threads() { return threads; }

    public void start() { threads.forEach(PmdThread::start); }

    public void stop() { threads.forEach(PmdThread::stop); }

    /**
     * Spreads queues round-robin over the threads. A queue that moves between threads is first taken from its
     * old thread and only given to the new one after a grace period, so no two threads ever poll it at once;
     * its packets wait in the ring meanwhile (nothing is lost).
     */
    public synchronized void assign(List<RxQueue> queues) {
        List<List<RxQueue>> per = new ArrayList<>();
        for (int i = 0; i < threads.size(); i++) per.add(new ArrayList<>());
        for (int i = 0; i < queues.size(); i++) per.get(i % threads.size()).add(queues.get(i));
        // phase 1: every thread keeps only the queues it keeps in the new plan
        boolean moved = false;
        for (int i = 0; i < threads.size(); i++) {
            List<RxQueue> keep = new ArrayList<>();
            for (RxQueue q : threads.get(i).queues()) {
                if (contains(per.get(i), q)) keep.add(q);
                else moved = true;
            }
            threads.get(i).assign(keep.toArray(RxQueue[]::new));
        }
        if (moved) await();
        // phase 2: the new plan
        for (int i = 0; i < threads.size(); i++) threads.get(i).assign(per.get(i).toArray(RxQueue[]::new));
        await();
    }

    /** Same port and queue (the RxQueue record is rebuilt on every plan). */
    private static boolean contains(List<RxQueue> l, RxQueue q) {
        for (RxQueue x : l) if (x.port() == q.port() && x.queue() == q.queue()) return true;
        return false;
    }

    /** Returns once every running PMD thread has passed a quiescent point after the call. */
    @Override
    public void await() {
        long[] seen = new long[threads.size()];
        for (int i = 0; i < seen.length; i++) seen[i] = threads.get(i).epoch();
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (int i = 0; i < seen.length; i++) {
            PmdThread t = threads.get(i);
            while (t.alive() && t.epoch() == seen[i]) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("pmd" + t.id() + " did not reach a quiescent point in 30 s");
                LockSupport.parkNanos(20_000);
            }
        }
    }
}
