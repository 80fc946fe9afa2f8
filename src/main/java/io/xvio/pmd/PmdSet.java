package io.xvio.pmd;

import io.xvio.port.Port;
import io.xvio.util.Quiescence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/** The daemon's PMD threads, where their queues go, and the quiescence barrier the control plane waits on. */
public final class PmdSet implements Quiescence {
    private static final Logger LOG = Logger.getLogger("xvio.pmd");
    private final List<PmdThread> threads = new ArrayList<>();
    /** membarrier(2) available: {@link #await} puts a full barrier on the PMD threads' CPUs (see there). */
    private static final boolean FENCED = registerMembarrier();

    private static boolean registerMembarrier() {
        try {
            io.xvio.sys.Membarrier.register();
            return true;
        } catch (RuntimeException e) {
            LOG.warning("membarrier(2) not available (" + e.getMessage() + "): the control plane waits for two PMD loops instead of one after each change");
            return false;
        }
    }
    /** Each (port, queue)'s load record, for as long as the queue is assigned. */
    private final Map<Port, Map<Integer, QueueLoad>> loads = new IdentityHashMap<>();
    /** Busy ns of each queue at the last measurement. */
    private final Map<QueueLoad, Long> sampled = new IdentityHashMap<>();
    private long sampledAt = System.nanoTime();
    private long moves;

    public PmdSet(List<Integer> cpus, String idle) {
        if (cpus.isEmpty()) threads.add(new PmdThread(0, -1, IdleStrategy.of(idle)));
        for (int i = 0; i < cpus.size(); i++) threads.add(new PmdThread(i, cpus.get(i), IdleStrategy.of(idle)));
    }

    public List<PmdThread> threads() { return threads; }

    /** The index of the PMD thread pinned to cpu, or -1. */
    public int threadOnCpu(int cpu) {
        for (PmdThread t : threads) if (t.cpu() == cpu) return t.id();
        return -1;
    }

    /** Queues the balancer moved since start. */
    public synchronized long moves() { return moves; }

    public void start() { threads.forEach(PmdThread::start); }

    /**
     * Hands t to a PMD thread (the first: tasks from one caller run in order); false if no thread runs loops, so the
     * caller may run it itself (nothing else transmits then).
     */
    public boolean submit(PmdTask t) {
        PmdThread first = threads.getFirst();
        if (!first.running()) return false;
        first.submit(t);
        return true;
    }

    public void stop() { threads.forEach(PmdThread::stop); }

    /**
     * Gives the threads this set of queues: a queue already polled stays on its thread, a pinned one goes to its
     * thread, a new one to the thread with the fewest queues (a fresh start is round-robin); queues not listed are
     * no longer polled. The load balancer moves them later by measured load.
     */
    public synchronized void assign(List<RxQueue> queues) {
        List<RxQueue> qs = withLoads(queues);
        Placement.Item[] items = new Placement.Item[qs.size()];
        for (int i = 0; i < items.length; i++) items[i] = new Placement.Item(pin(qs.get(i)), 0, threadOf(qs.get(i)));
        handOver(plan(qs, Placement.sticky(items, threads.size())));
    }

    /**
     * Moves queues to the given threads (per.get(i) is thread i's new list). A queue that moves is first taken from
     * its old thread and only given to the new one after a grace period, so no two threads ever poll it at once; its
     * packets wait in the ring meanwhile (nothing is lost).
     */
    public synchronized void apply(List<List<RxQueue>> per) {
        List<RxQueue> all = new ArrayList<>();
        per.forEach(all::addAll);
        List<RxQueue> qs = withLoads(all);
        List<List<RxQueue>> plan = new ArrayList<>();
        int k = 0;
        for (List<RxQueue> l : per) {
            plan.add(new ArrayList<>(qs.subList(k, k + l.size())));
            k += l.size();
        }
        handOver(plan);
    }

    /**
     * One balancing round: measures each queue's busy time since the last round and, if enabled, moves queues to
     * the greedy plan when it lowers the threads' load variance by at least thresholdPercent. Returns how many
     * queues moved.
     */
    public synchronized int rebalance(boolean enabled, int thresholdPercent) {
        long now = System.nanoTime(), interval = now - sampledAt;
        sampledAt = now;
        List<RxQueue> qs = new ArrayList<>();
        for (PmdThread t : threads) qs.addAll(List.of(t.queues()));
        Placement.Item[] items = new Placement.Item[qs.size()];
        Map<QueueLoad, Long> next = new IdentityHashMap<>();
        for (int i = 0; i < items.length; i++) {
            QueueLoad l = qs.get(i).load();
            long busy = l.busyNanos();
            long d = Math.max(0, busy - sampled.getOrDefault(l, 0L));   // a new queue: its load since it was added
            next.put(l, busy);
            l.measured(d, interval);
            items[i] = new Placement.Item(pin(qs.get(i)), d, threadOf(qs.get(i)));
        }
        sampled.clear();
        sampled.putAll(next);
        if (!enabled || threads.size() < 2 || qs.isEmpty()) return 0;
        int[] plan = Placement.greedy(items, threads.size());
        if (!Placement.worthApplying(items, plan, threads.size(), thresholdPercent)) return 0;
        int moved = 0;
        StringBuilder what = new StringBuilder();
        for (int i = 0; i < plan.length; i++) {
            if (plan[i] == items[i].current()) continue;
            moved++;
            what.append(what.isEmpty() ? "" : ", ").append(qs.get(i)).append(" pmd").append(items[i].current()).append("->pmd").append(plan[i]);
        }
        int[] cur = new int[items.length];
        for (int i = 0; i < cur.length; i++) cur[i] = items[i].current();
        double before = Placement.imbalance(Placement.threadLoads(items, cur, threads.size()));
        double after = Placement.imbalance(Placement.threadLoads(items, plan, threads.size()));
        handOver(plan(qs, plan));
        moves += moved;
        LOG.info("pmd-auto-lb: moved " + moved + " queue(s) (load variance down " + Math.round(Placement.improvementPercent(before, after)) + " %): " + what);
        return moved;
    }

    private int pin(RxQueue q) { return q.pin() >= 0 && q.pin() < threads.size() ? q.pin() : -1; }

    private int threadOf(RxQueue q) {
        for (int i = 0; i < threads.size(); i++) for (RxQueue x : threads.get(i).queues()) if (x.sameQueue(q)) return i;
        return -1;
    }

    private List<List<RxQueue>> plan(List<RxQueue> qs, int[] a) {
        List<List<RxQueue>> per = new ArrayList<>();
        for (int i = 0; i < threads.size(); i++) per.add(new ArrayList<>());
        for (int i = 0; i < a.length; i++) per.get(a[i]).add(qs.get(i));
        return per;
    }

    /** The queues with their load records (made for new queues, forgotten for queues no longer listed). */
    private List<RxQueue> withLoads(List<RxQueue> queues) {
        Map<Port, Map<Integer, QueueLoad>> keep = new IdentityHashMap<>();
        List<RxQueue> out = new ArrayList<>(queues.size());
        for (RxQueue q : queues) {
            QueueLoad l = loads.getOrDefault(q.port(), Map.of()).get(q.queue());
            if (l == null) l = new QueueLoad();
            keep.computeIfAbsent(q.port(), p -> new HashMap<>()).put(q.queue(), l);
            out.add(q.withLoad(l));
        }
        loads.clear();
        loads.putAll(keep);
        return out;
    }

    private void handOver(List<List<RxQueue>> per) {
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

    private static boolean contains(List<RxQueue> l, RxQueue q) {
        for (RxQueue x : l) if (x.sameQueue(q)) return true;
        return false;
    }

    /** How long {@link #await} spins before it parks between looks at the PMD threads' epochs. */
    private static final long SPIN_NANOS = 50_000;

    /** Returns once every running PMD thread has passed a quiescent point after the call. */
    @Override
    public void await() {
        // A PMD loop stores its epoch (release) and then reads the flags it polls (a queue's ready flag, a table):
        // a store followed by a load, which the CPU may reorder. Without a barrier on the PMD's CPU, this thread
        // could read the epoch of the loop before while that loop's successor already read the old flag, and return
        // while it still works on what the caller just unpublished. The barrier runs on the PMD's CPU (membarrier),
        // so its hot loop carries no fence; without membarrier, a second loop passed stands in for it.
        int loops = FENCED ? 1 : 2;
        if (FENCED) io.xvio.sys.Membarrier.privateExpedited();
        long[] seen = new long[threads.size()];
        for (int i = 0; i < seen.length; i++) seen[i] = threads.get(i).epoch();
        long start = System.nanoTime(), deadline = start + 30_000_000_000L;
        for (int i = 0; i < seen.length; i++) {
            PmdThread t = threads.get(i);
            while (t.alive() && t.epoch() - seen[i] < loops) {
                long now = System.nanoTime();
                if (now > deadline) throw new IllegalStateException("pmd" + t.id() + " did not reach a quiescent point in 30 s");
                // a busy PMD loop takes microseconds: spin that long first; a park costs ~60 us (timer slack), which
                // a controller adding flows one at a time with a barrier after each paid per flow_mod
                if (now - start < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(20_000);
            }
        }
    }
}
