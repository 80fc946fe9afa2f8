package io.xvio.pmd;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLongArray;

import static io.xvio.testing.Await.await;
import static org.junit.jupiter.api.Assertions.*;

/** A PMD thread polls only the queues its ports say are live, and notices queues that start and stop. */
class PmdThreadTest {
    /** Four queues; each is live or not as the test says, and a live "busy" queue hands out one frame per poll. */
    static final class GuestPort extends StubPort {
        final boolean[] live = new boolean[4], busy = new boolean[4];
        final AtomicLongArray polls = new AtomicLongArray(4);
        GuestPort() { super("guest"); }
        @Override public int rxQueues() { return 4; }
        @Override public synchronized boolean rxQueueLive(int q) { return live[q]; }
        synchronized void set(int q, boolean isLive, boolean isBusy) { live[q] = isLive; busy[q] = isBusy; }
        @Override public int receive(int q, PacketBatch b, int thread) {
            polls.incrementAndGet(q);
            boolean send;
            synchronized (this) { send = live[q] && busy[q]; }
            if (!send) return 0;
            b.data.asSlice(b.off[0], 60).fill((byte) 0x11);   // multicast; the sender is the only port: it goes nowhere
            b.len[0] = 60;
            b.count = 1;
            return 1;
        }
    }

    @Test
    void queuesThatAreNotLiveAreNotPolledAndStartedOnesAreFoundUnderLoadAndWhenIdle() throws Exception {
        GuestPort p = new GuestPort();
        BridgeDatapath dp = new BridgeDatapath("br0");
        Port[] ports = {p};
        RxQueue[] qs = new RxQueue[4];
        for (int q = 0; q < 4; q++) qs[q] = new RxQueue(p, q, dp, 0, ports);
        PmdThread t = new PmdThread(0, -1, IdleStrategy.of("busy"));
        p.set(1, true, true);                       // the guest started queue 1 and sends without pause
        t.assign(qs);
        t.start();
        try {
            await("queue 1's frames were received", () -> t.packets() > 10_000, () -> t.packets() + " packets");
            assertEquals(0, p.polls.get(0) + p.polls.get(2) + p.polls.get(3), "queues that were never started were polled");

            p.set(3, true, false);                      // a second queue starts while the thread is busy
            await("the queue started under load was polled", () -> p.polls.get(3) > 0, p.polls::toString);

            p.set(1, false, false);                     // traffic stops, queue 1 stops: idle loops look again
            await("the stopped queue is no longer polled", () -> {
                long a = p.polls.get(1);
                try { Thread.sleep(20); } catch (InterruptedException e) { throw new RuntimeException(e); }
                return p.polls.get(1) == a;
            }, p.polls::toString);
            long q3 = p.polls.get(3);
            await("the live queue is still polled", () -> p.polls.get(3) > q3 + 1000, p.polls::toString);
            assertEquals(0, p.polls.get(0) + p.polls.get(2));
        } finally {
            t.stop();
        }
    }

    /** A relay direction's destination: records what it was asked to send. */
    static final class SinkPort extends StubPort {
        final java.util.concurrent.atomic.AtomicLong frames = new java.util.concurrent.atomic.AtomicLong(), wrong = new java.util.concurrent.atomic.AtomicLong();
        SinkPort() { super("sink"); }
        @Override public int rxQueues() { return 1; }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            for (int i = 0; i < n; i++) if (which[i] != i || b.len[which[i]] != 60) wrong.incrementAndGet();
            frames.addAndGet(n);
        }
    }

    @Test
    void aRelayQueueSendsEveryFrameToItsDestinationAndIsChargedItsBusyTime() throws Exception {
        GuestPort p = new GuestPort();
        SinkPort sink = new SinkPort();
        QueueLoad load = new QueueLoad();
        RxQueue q = new RxQueue(p, 2, null, 0, new Port[] {sink}, sink, -1, "r", load);
        PmdThread t = new PmdThread(0, -1, IdleStrategy.of("busy"));
        p.set(2, true, true);
        t.assign(new RxQueue[] {q});
        t.start();
        try {
            await("frames reach the relay's destination", () -> sink.frames.get() > 1000, () -> sink.frames.get() + " frames");
        } finally {
            t.stop();
        }
        assertEquals(0, sink.wrong.get(), "every received frame, in order, no classifier");
        assertEquals(t.packets(), sink.frames.get(), "each packet received was sent once");
        assertEquals(t.packets(), load.packets(), "the queue's load record counted its packets");
        assertTrue(load.busyNanos() > 0 && load.busyNanos() <= t.busyNanos(), load.busyNanos() + " of " + t.busyNanos());
    }

    /** Hands out full bursts of one untagged frame, bursts of them in all. */
    static final class BurstPort extends StubPort {
        final java.util.concurrent.atomic.AtomicInteger left;
        BurstPort(int bursts) { super("src"); left = new java.util.concurrent.atomic.AtomicInteger(bursts); }
        @Override public int rxQueues() { return 1; }
        @Override public int receive(int q, PacketBatch b, int thread) {
            if (left.get() == 0) return 0;
            left.decrementAndGet();
            for (int i = 0; i < PacketBatch.BURST; i++) {
                b.data.asSlice(b.off[i], 60).fill((byte) 0);
                b.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[i], (byte) 2);       // 02:..: unicast
                b.data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[i] + 6, (byte) 2);
                b.len[i] = 60;
            }
            b.count = PacketBatch.BURST;
            return PacketBatch.BURST;
        }
    }

    /** Counts frames sent, and those whose VLAN tag is not vid. */
    static final class TagSink extends StubPort {
        final int vid;
        final java.util.concurrent.atomic.AtomicLong frames = new java.util.concurrent.atomic.AtomicLong(), wrong = new java.util.concurrent.atomic.AtomicLong();
        TagSink(String name, int vid) { super(name); this.vid = vid; }
        @Override public int rxQueues() { return 1; }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            for (int k = 0; k < n; k++) {
                int o = b.off[which[k]];
                int tpid = (b.data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 12) & 0xff) << 8 | b.data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 13) & 0xff;
                int tci = (b.data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 14) & 0x0f) << 8 | b.data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 15) & 0xff;
                if (tpid != 0x8100 || tci != vid || b.len[which[k]] != 64) wrong.incrementAndGet();
            }
            frames.addAndGet(n);
        }
    }

    /**
     * Actions that need two copies of each packet (three outputs, a rewrite before each): the datapath has the
     * thread send each burst in chunks, and every frame reaches every port with its own tag.
     */
    @Test
    void aBurstNeedingTwiceTheCopySlotsReachesEveryPort() throws Exception {
        int bursts = 50;
        BurstPort src = new BurstPort(bursts);
        TagSink[] sinks = {new TagSink("p2", 10), new TagSink("p3", 20), new TagSink("p4", 30)};
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2, 3, 4}, java.util.List.of(io.xvio.datapath.FlowParser.parse(
                "in_port=1,actions=mod_vlan_vid:10,output:2,mod_vlan_vid:20,output:3,mod_vlan_vid:30,output:4")));
        dp.setLive(new boolean[] {true, true, true, true});
        RxQueue q = new RxQueue(src, 0, dp, 0, new Port[] {src, sinks[0], sinks[1], sinks[2]});
        PmdThread t = new PmdThread(0, -1, IdleStrategy.of("busy"));
        t.assign(new RxQueue[] {q});
        t.start();
        long want = (long) bursts * PacketBatch.BURST;
        try {
            await("every frame reaches every port", () -> sinks[2].frames.get() == want, () -> sinks[0].frames + " " + sinks[1].frames + " " + sinks[2].frames);
        } finally {
            t.stop();
        }
        for (TagSink s : sinks) {
            assertEquals(want, s.frames.get(), s.name());
            assertEquals(0, s.wrong.get(), s.name() + ": frames without their port's tag");
        }
        assertEquals(0, dp.drops().get(io.xvio.datapath.DatapathDrops.Reason.COPIES));
    }
}
