package io.xvio.port;

import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The per-thread list of ports holding frames back: a port is listed once, leaves when it holds nothing any more,
 * a failing port leaves too, a full row or a thread that is no PMD thread makes the port send at once, and one
 * thread's row never sees another thread's ports.
 */
class HeldTxTest {
    /** A port that holds frames until a deadline (or throws when asked). */
    static final class Holder implements Port {
        long until = Long.MAX_VALUE;
        int asked;
        boolean fail;
        @Override public boolean flushHeld(int thread, long now) {
            asked++;
            if (fail) throw new IllegalStateException("broken");
            return now < until;
        }
        @Override public String name() { return "h"; }
        @Override public String type() { return "test"; }
        @Override public int ofport() { return 1; }
        @Override public int rxQueues() { return 1; }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) { }
        @Override public PortCounters counters() { return null; }
        @Override public Map<String, Long> extraCounters() { return Map.of(); }
        @Override public String status() { return "up"; }
        @Override public Map<String, String> details() { return Map.of(); }
        @Override public void start() { }
        @Override public void close() { }
    }

    @AfterEach
    void empty() {
        for (int t : new int[] {5, 6}) HeldTx.flushDue(t, Long.MAX_VALUE);   // every Holder is done by then: the rows are empty
    }

    @Test
    void aPortIsListedOnceAndLeavesWhenItHoldsNothing() {
        Holder a = new Holder(), b = new Holder();
        a.until = 100;
        b.until = 200;
        assertFalse(HeldTx.any(5));
        assertTrue(HeldTx.add(5, a));
        assertTrue(HeldTx.add(5, a));
        assertTrue(HeldTx.add(5, b));
        assertFalse(HeldTx.any(6), "another thread's row");
        HeldTx.flushDue(5, 50);
        assertEquals(1, a.asked, "listed once");
        assertTrue(HeldTx.any(5));
        HeldTx.flushDue(5, 150);                  // a is done, b still holds
        assertTrue(HeldTx.any(5));
        HeldTx.flushDue(5, 250);
        assertFalse(HeldTx.any(5));
        assertEquals(2, a.asked, "a asked at 50 and 150 only");
    }

    @Test
    void aFailingPortLeavesAndTheOthersAreStillAsked() {
        Holder bad = new Holder(), good = new Holder();
        bad.fail = true;
        good.until = 10;
        HeldTx.add(6, bad);
        HeldTx.add(6, good);
        HeldTx.flushDue(6, 5);
        assertEquals(1, bad.asked);
        assertEquals(1, good.asked);
        assertTrue(HeldTx.any(6));
        HeldTx.flushDue(6, 20);
        assertEquals(1, bad.asked, "gone after failing");
        assertFalse(HeldTx.any(6));
    }

    @Test
    void aFullRowOrAThreadThatIsNoPmdMakesThePortSendAtOnce() {
        assertFalse(HeldTx.add(-1, new Holder()));
        assertFalse(HeldTx.add(PortCounters.MAX_THREADS, new Holder()));
        Holder[] hs = new Holder[HeldTx.MAX_PORTS];
        for (int i = 0; i < hs.length; i++) {
            hs[i] = new Holder();
            hs[i].until = 1;
            assertTrue(HeldTx.add(5, hs[i]));
        }
        assertFalse(HeldTx.add(5, new Holder()), "row full");
        assertTrue(HeldTx.add(5, hs[3]), "a listed port is still listed");
        HeldTx.flushDue(5, 2);
        assertFalse(HeldTx.any(5));
        for (Holder h : hs) assertEquals(1, h.asked);
    }
}
