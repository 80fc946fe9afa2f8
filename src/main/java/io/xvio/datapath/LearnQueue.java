package io.xvio.datapath;

import io.xvio.datapath.action.Learn;
import io.xvio.util.SpscSlots;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Flows to learn, from the PMD threads to the control thread that adds them (learn(...) is translated on a PMD thread,
 * but a flow table changes only on the control side: a new immutable table set, published, then revalidation). One
 * ring per PMD thread (single producer, single consumer: {@link SpscSlots}), made on that thread's first learning and reused for good: a
 * slot holds the learn action, the values its specs read from the packet and the cache entry's {@link LearnRef}.
 * Offering copies into a free slot and publishes it with a release store; nothing is allocated, nothing waits. A full
 * ring drops the learning and counts it ({@link #dropped}); the translation is then not cached, so the next packet of
 * that path tries again. A consumer with nothing to do for a while sleeps ({@link #sleeper}) instead of polling, and
 * the next offer wakes it: an idle daemon does not wake up hundreds of times a second for learnings that never come.
 */
public final class LearnQueue {
    public static final int SLOTS = 256;

    /** What the control thread gets for one queued learning (values: a view of the slot, valid during the call). */
    public interface Sink {
        void learn(Learn learn, long[] values, LearnRef ref);
    }

    private static final class Ring {
        final Learn[] learn = new Learn[SLOTS];
        final long[][] values = new long[SLOTS][Learn.MAX_SOURCES];
        final LearnRef[] ref = new LearnRef[SLOTS];
        final SpscSlots slots = new SpscSlots(SLOTS);
    }

    private final AtomicReferenceArray<Ring> rings = new AtomicReferenceArray<>(BridgeDatapath.MAX_THREADS + 2);
    /** The consumer while it sleeps for want of learnings, else null; the offer that finds it takes it and wakes it. */
    @SuppressWarnings("unused") private volatile Thread sleeper;
    private static final VarHandle SLEEPER;
    static {
        try {
            SLEEPER = MethodHandles.lookup().findVarHandle(LearnQueue.class, "sleeper", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Queues l with its n source values (thread: the PMD thread's index, -1 without one). False if the ring was full. */
    boolean offer(int thread, Learn l, long[] values, int n, LearnRef ref) {
        int t = thread + 2;
        Ring r = rings.getPlain(t);
        if (r == null) {                                 // this thread's first learning: its ring, once
            r = new Ring();
            rings.setRelease(t, r);
        }
        int s = r.slots.claim();
        if (s < 0) return false;                         // full: counted
        r.learn[s] = l;
        System.arraycopy(values, 0, r.values[s], 0, n);
        r.ref[s] = ref;
        r.slots.publish();
        // the publish before the read of sleeper, as the consumer stores sleeper before it looks at the rings: one
        // of the two sees the other (offers come from translations, cache misses, so the fence is not per packet)
        VarHandle.fullFence();
        Thread asleep = (Thread) SLEEPER.getVolatile(this);
        if (asleep != null && SLEEPER.compareAndSet(this, asleep, null)) LockSupport.unpark(asleep);
        return true;
    }

    /**
     * The consumer: t (the calling thread) is about to sleep until the next offer, or null when it is awake again.
     * Call {@link #isEmpty} after naming it and sleep only if that is still true: an offer published before this
     * call is seen there, one after it wakes t.
     */
    public void sleeper(Thread t) {
        SLEEPER.setVolatile(this, t);
        VarHandle.fullFence();
    }

    /** The consumer: no learning is waiting. */
    public boolean isEmpty() {
        for (int t = 0; t < rings.length(); t++) {
            Ring r = rings.getAcquire(t);
            if (r != null && r.slots.ready() > 0) return false;
        }
        return true;
    }

    /** Hands every queued learning to sink, thread by thread, in each thread's order; returns how many. The one consumer's call. */
    public int drain(Sink sink) {
        int n = 0;
        for (int t = 0; t < rings.length(); t++) {
            Ring r = rings.getAcquire(t);
            if (r == null) continue;
            for (int k = r.slots.ready(); k > 0; k--, n++) {
                int s = r.slots.oldest();
                try {
                    sink.learn(r.learn[s], r.values[s], r.ref[s]);
                } finally {
                    r.learn[s] = null;
                    r.ref[s] = null;
                    r.slots.release();
                }
            }
        }
        return n;
    }

    /** Learnings dropped because a ring was full (racy sum of the threads' counts). */
    public long dropped() {
        long d = 0;
        for (int t = 0; t < rings.length(); t++) {
            Ring r = rings.getAcquire(t);
            if (r != null) d += r.slots.dropped();
        }
        return d;
    }
}
