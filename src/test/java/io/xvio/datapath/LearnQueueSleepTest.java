package io.xvio.datapath;

import io.xvio.datapath.action.Learn;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The learning consumer's sleep: a consumer that names itself sleeper and finds the queue empty parks with no
 * timeout here, so a lost wake-up would leave it parked and the join would fail.
 */
class LearnQueueSleepTest {
    private static final Learn LEARN = (Learn) FlowParser.parse("tcp,actions=learn(table=1,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])").actions.getFirst();

    /** Drains q until it has taken want learnings, sleeping whenever it is empty. */
    private static Thread consumer(LearnQueue q, int want, AtomicInteger got) {
        return Thread.ofPlatform().start(() -> {
            while (got.get() < want) {
                int n = q.drain((l, v, r) -> {});
                got.addAndGet(n);
                if (n > 0) continue;
                q.sleeper(Thread.currentThread());
                if (q.isEmpty() && got.get() < want) LockSupport.park();
                q.sleeper(null);
            }
        });
    }

    @Test
    void anOfferWakesTheSleepingConsumer() throws Exception {
        LearnQueue q = new LearnQueue();
        AtomicInteger got = new AtomicInteger();
        Thread c = consumer(q, 1, got);
        while (c.getState() != Thread.State.WAITING) Thread.onSpinWait();     // asleep, with nothing queued
        assertTrue(q.offer(0, LEARN, new long[] {7}, 1, null));
        c.join(10_000);
        assertFalse(c.isAlive(), "the offer did not wake the consumer");
        assertEquals(1, got.get());
    }

    @Test
    void noWakeUpIsLostWhenOffersRaceTheConsumersSleep() throws Exception {
        LearnQueue q = new LearnQueue();
        int offers = 20_000;
        AtomicInteger got = new AtomicInteger();
        Thread c = consumer(q, offers, got);
        CountDownLatch done = new CountDownLatch(1);
        Thread p = Thread.ofPlatform().start(() -> {
            long[] v = {1};
            for (int i = 0; i < offers; ) {
                if (q.offer(0, LEARN, v, 1, null)) i++;
                if ((i & 63) == 0) Thread.yield();          // let the consumer empty the ring and go to sleep often
            }
            done.countDown();
        });
        assertTrue(done.await(60, TimeUnit.SECONDS));
        c.join(10_000);
        p.join();
        assertFalse(c.isAlive(), "a wake-up was lost: " + got.get() + " of " + offers + " taken");
        assertEquals(offers, got.get());
    }
}
