package io.xvio.control;

import io.xvio.pmd.PmdSet;
import io.xvio.port.Port;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Packet-outs go to a PMD thread without the connection waiting for each; settle waits for all, in order. */
class PacketOutWindowTest {
    private static PacketOutTask task(List<Integer> ran, int i, CountDownLatch gate) {
        return new PacketOutTask(new Port[0], (b, out, thread) -> {
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("gate never opened");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            ran.add(i);
        });
    }

    /** A window on one running PMD thread, the packet-outs it ran (in order) and a gate that holds the first one. */
    private record Rig(PmdSet pmds, PacketOutWindow w, List<Integer> ran, CountDownLatch gate) implements AutoCloseable {
        static Rig start() {
            PmdSet pmds = new PmdSet(List.of(), "adaptive");
            pmds.start();
            return new Rig(pmds, new PacketOutWindow("br0", pmds), Collections.synchronizedList(new ArrayList<>()), new CountDownLatch(1));
        }

        @Override public void close() { pmds.stop(); }
    }

    @Test
    void submitReturnsBeforeTheTaskRanAndSettleWaitsForAllInOrder() {
        try (Rig rig = Rig.start()) {
            PacketOutWindow w = rig.w;
            List<Integer> ran = rig.ran;
            CountDownLatch gate = rig.gate;
            for (int i = 0; i < 100; i++) w.submit(task(ran, i, gate), "packet_out");   // the first holds the PMD thread
            assertEquals(100, w.inFlight(), "none waited for its task");
            assertTrue(ran.isEmpty());
            gate.countDown();
            w.settle();
            assertEquals(0, w.inFlight());
            List<Integer> want = new ArrayList<>();
            for (int i = 0; i < 100; i++) want.add(i);
            assertEquals(want, ran, "every packet-out ran, in the order submitted");
        }
    }

    @Test
    void aFullWindowMakesTheSubmitterWait() throws Exception {
        try (Rig rig = Rig.start()) {
            PacketOutWindow w = rig.w;
            List<Integer> ran = rig.ran;
            CountDownLatch gate = rig.gate;
            for (int i = 0; i < PacketOutWindow.LIMIT; i++) w.submit(task(ran, i, gate), "packet_out");
            CountDownLatch submitted = new CountDownLatch(1);
            Thread t = Thread.ofVirtual().start(() -> {
                w.submit(task(ran, PacketOutWindow.LIMIT, gate), "packet_out");
                submitted.countDown();
            });
            assertFalse(submitted.await(300, TimeUnit.MILLISECONDS), "one more than the window waits while the PMD thread is stuck");
            gate.countDown();
            assertTrue(submitted.await(10, TimeUnit.SECONDS), "and goes once the oldest ran");
            t.join();
            w.settle();
            assertEquals(PacketOutWindow.LIMIT + 1, ran.size());
        }
    }

    @Test
    void withoutARunningPmdThreadAPacketOutIsDroppedNotQueued() {
        PacketOutWindow w = new PacketOutWindow("br0", new PmdSet(List.of(), "adaptive"));   // not started
        w.submit(task(new ArrayList<>(), 0, new CountDownLatch(0)), "packet_out");
        assertEquals(0, w.inFlight());
        w.settle();
    }
}
