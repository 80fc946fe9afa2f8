package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.LearnRef;
import io.xvio.datapath.LearnedFlow;
import io.xvio.datapath.action.Learn;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The thread that applies learn(...) actions: every 2 ms it drains each bridge's {@link io.xvio.datapath.LearnQueue}
 * (filled by the PMD threads when they translate a learn), builds the learned flows and hands each bridge its batch
 * ({@link Bridge#learn}: add, or refresh/replace the flow with the same table, priority and match, then one table
 * publication and its revalidation for the batch), under the commands' lock as an OpenFlow flow_mod (so never inside a
 * bundle commit's staging). PMD threads never wait for it; the flow is in force from the
 * publication on (OVS applies a learning in the upcall, before the packet's actions; see DESIGN.md). After a second
 * with nothing to learn it sleeps until a PMD thread queues a learning (or for at most a second, which also covers a
 * bridge added meanwhile): a daemon without learn flows no longer wakes up 500 times a second, each wake-up taking a
 * CPU from a PMD thread or the guests for a few microseconds.
 */
final class Learner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.learn");
    static final long PERIOD_NANOS = 2_000_000L;
    /** Empty periods before it sleeps until an offer, and its longest sleep. */
    static final int IDLE_PERIODS = 500;
    static final long SLEEP_NANOS = 1_000_000_000L;

    /** One learning to apply: the flow, the action that asked (for limit) and the cache entry's handle (or null). */
    record Learned(Flow flow, Learn learn, LearnRef ref) {}

    private final Supplier<List<Bridge>> bridges;
    /** The commands' lock (null: none, in tests): a learning never lands inside a bundle commit or another change. */
    private final CommandLock lock;
    private final Thread thread;
    private volatile boolean running = true;
    /** Learnings whose flow xvio refused (logged once per 10 s). */
    private long refused, lastLog;

    /** Not started (tests call {@link #applyTo}); {@link #start} starts one. */
    Learner(Supplier<List<Bridge>> bridges, CommandLock lock) {
        this.bridges = bridges;
        this.lock = lock;
        this.thread = Thread.ofPlatform().daemon().name("flow-learn").unstarted(this::loop);
    }

    static Learner start(Supplier<List<Bridge>> bridges, CommandLock lock) {
        Learner l = new Learner(bridges, lock);
        l.thread.start();
        return l;
    }

    private void loop() {
        int idle = 0;
        while (running) {
            try {
                int n = 0;
                List<Bridge> all = bridges.get();
                for (Bridge br : all) n += applyTo(br);
                idle = n > 0 ? 0 : Math.min(idle + 1, IDLE_PERIODS);
                if (idle < IDLE_PERIODS) LockSupport.parkNanos(PERIOD_NANOS);
                else sleepUntilOffer(all);
            } catch (RuntimeException e) {
                LOG.warning("learn: " + e);
                LockSupport.parkNanos(PERIOD_NANOS);
            }
        }
    }

    /** Sleeps until a PMD thread offers a learning to one of these bridges, or for {@link #SLEEP_NANOS} at most. */
    private void sleepUntilOffer(List<Bridge> all) {
        Thread me = Thread.currentThread();
        boolean empty = true;
        for (Bridge br : all) {
            br.datapath.learnQueue().sleeper(me);
            empty &= br.datapath.learnQueue().isEmpty();
        }
        if (empty && running) LockSupport.parkNanos(SLEEP_NANOS);
        for (Bridge br : all) br.datapath.learnQueue().sleeper(null);
    }

    /** Drains br's learnings and applies them in one batch; returns how many were queued. */
    int applyTo(Bridge br) {
        if (br.datapath.learnQueue().isEmpty()) return 0;   // the usual case: nothing allocated
        List<Learned> batch = new ArrayList<>();
        int n = br.datapath.learnQueue().drain((learn, values, ref) -> {
            try {
                batch.add(new Learned(LearnedFlow.flow(learn, values), learn, ref));
            } catch (IllegalArgumentException e) {
                refused++;
                long now = System.nanoTime();
                if (now - lastLog > 10_000_000_000L) {
                    lastLog = now;
                    LOG.warning("bridge " + br.name + ": " + learn.format() + " asked for a flow xvio refuses (" + refused
                            + " so far): " + e.getMessage());
                }
            }
        });
        if (batch.isEmpty()) return n;
        if (lock == null) br.learn(batch, System.nanoTime());
        else lock.run(true, () -> { br.learn(batch, System.nanoTime()); return null; });
        return n;
    }

    @Override public void close() {
        running = false;
        thread.interrupt();
    }
}
