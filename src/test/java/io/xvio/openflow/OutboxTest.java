package io.xvio.openflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A connection's outbox: a peer that does not read keeps at most 100 packet-ins waiting (one more is dropped and
 * counted), other asynchronous messages still queue, nobody who queues waits, and once the peer reads again
 * everything waiting is written in the order it was queued.
 */
@Timeout(30)
class OutboxTest {
    private static byte[] msg(int n, boolean pin) { return new byte[] {(byte) (pin ? 1 : 2), (byte) (n >> 8), (byte) n}; }

    /** A sender stuck until released (a socket whose buffer is full), recording what it wrote. */
    private static final class StuckSender implements Outbox.Sender {
        final CountDownLatch release = new CountDownLatch(1);
        final List<byte[]> written = java.util.Collections.synchronizedList(new ArrayList<>());

        synchronized int bytes() { return stream().length; }

        byte[] stream() {
            java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
            synchronized (written) { for (byte[] m : written) o.writeBytes(m); }
            return o.toByteArray();
        }

        @Override public void send(byte[] m) {
            try { release.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
            written.add(m);
        }
    }

    @Test
    void atMostAHundredPacketInsWaitAndTheRestGoInOrder() throws Exception {
        StuckSender s = new StuckSender();
        try (Outbox o = new Outbox("test", s, () -> fail("no failure"))) {
            o.start();
            List<byte[]> expected = new ArrayList<>();
            int taken = 0;
            for (int k = 0; k < 250; k++) {
                byte[] m = msg(k, true);
                if (o.offerPacketIn(m)) {
                    taken++;
                    expected.add(m);
                }
                if (k % 50 == 0) {                       // an echo request or flow_removed among them: never refused
                    byte[] other = msg(k, false);
                    assertTrue(o.offer(other));
                    expected.add(other);
                }
            }
            // the writer may hold one packet-in in its stuck write: 100 wait besides it at most
            assertTrue(taken == Outbox.MAX_PACKET_INS || taken == Outbox.MAX_PACKET_INS + 1, "packet-ins taken: " + taken);
            assertEquals(250 - taken, o.droppedQueueFull(), "each refused packet-in is counted");
            assertEquals(0, o.sent());
            s.release.countDown();
            java.io.ByteArrayOutputStream want = new java.io.ByteArrayOutputStream();
            for (byte[] m : expected) want.writeBytes(m);
            for (int k = 0; k < 500 && s.bytes() < want.size(); k++) Thread.sleep(10);
            // several waiting messages go in one write: the byte stream is what the peer sees
            assertArrayEquals(want.toByteArray(), s.stream(), "every message once, in queue order");
            assertTrue(s.written.size() < expected.size(), "waiting messages were written together, not one write each");
            for (int k = 0; k < 500 && o.sent() < taken; k++) Thread.sleep(10);
            assertEquals(taken, o.sent(), "packet-ins written are counted as sent");
            assertTrue(o.offerPacketIn(msg(999, true)), "room again once the peer reads");
        }
    }

    /** dropIfFull answers (and counts) what offerPacketIn would do, so a full connection's packet-ins are not even encoded. */
    @Test
    void dropIfFullCountsLikeARefusedPacketIn() {
        StuckSender s = new StuckSender();
        try (Outbox o = new Outbox("test", s, () -> fail("no failure"))) {   // not started: nothing is written
            for (int k = 0; k < Outbox.MAX_PACKET_INS; k++) {
                assertFalse(o.dropIfFull(), "room for packet-in " + k);
                assertTrue(o.offerPacketIn(msg(k, true)));
            }
            assertTrue(o.dropIfFull());
            assertTrue(o.dropIfFull());
            assertEquals(2, o.droppedQueueFull());
            assertTrue(o.offer(msg(0, false)), "other messages still go");
        }
    }

    @Test
    void aFailedWriteClosesTheOutboxAndTellsTheConnection() throws Exception {
        AtomicBoolean failed = new AtomicBoolean();
        CountDownLatch told = new CountDownLatch(1);
        Outbox o = new Outbox("test", m -> { throw new IOException("Broken pipe"); }, () -> { failed.set(true); told.countDown(); });
        o.start();
        assertTrue(o.offer(msg(1, false)));
        told.await();
        assertTrue(failed.get());
        assertFalse(o.offer(msg(2, false)), "closed: nothing more is taken");
        assertFalse(o.offerPacketIn(msg(3, true)));
        assertEquals(0, o.droppedQueueFull(), "a closed connection's packet-ins are not queue-full drops");
    }
}
