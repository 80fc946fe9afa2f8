package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.EventFd;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import io.xvio.virtio.GuestMemory;
import io.xvio.virtio.Virtqueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A vhost-user port's transmit into a guest ring that runs out part way: like OVS-DPDK it offers the rest again at
 * once, up to 8 times while each attempt delivers something, and counts what was delivered once.
 */
class VhostUserTxRetryTest {
    @TempDir Path dir;

    /**
     * A guest receive queue whose room per pushRx follows a script (the guest refilling between attempts), with
     * pushRx's contract: which only read, the tried a prefix (too-small packets skipped), the untried after them.
     */
    static final class ScriptedRxQueue implements Virtqueue {
        final int[] room;
        final Set<Integer> tooSmall;
        final List<int[]> offered = new ArrayList<>();
        private int calls, lastTooSmall;
        private long lastBytes;

        ScriptedRxQueue(Set<Integer> tooSmall, int... room) { this.room = room; this.tooSmall = tooSmall; }

        @Override
        public int pushRx(MemorySegment buf, int[] off, int[] len, int[] which, int n) {
            offered.add(Arrays.copyOf(which, n));
            int free = calls < room.length ? room[calls] : 0;
            calls++;
            int delivered = 0;
            lastTooSmall = 0;
            lastBytes = 0;
            for (int k = 0; k < n; k++) {
                int p = which[k];
                if (free == 0) break;
                if (tooSmall.contains(p)) { lastTooSmall++; continue; }
                free--;
                delivered++;
                lastBytes += len[p];
            }
            return delivered;
        }

        @Override public int lastTooSmall() { return lastTooSmall; }
        @Override public long lastBytes() { return lastBytes; }
        @Override public boolean ready() { return true; }
        @Override public int index() { return 0; }
        @Override public int size() { return 256; }
        @Override public String fault() { return null; }
        @Override public int lastAvailIndex() { return 0; }
        @Override public int headerLength() { return 12; }
        @Override public long droppedOversize() { return 0; }
        @Override public long droppedRunt() { return 0; }
        @Override public long droppedRxTooSmall() { return 0; }
        @Override public EventFd callFd() { return null; }
        @Override public EventFd kickFd() { return null; }
        @Override public void setSize(int num) {}
        @Override public void setAddresses(long desc, long avail, long used, long logGuestAddr, boolean logAtGuestAddr) {}
        @Override public void setBase(int base) {}
        @Override public void setCall(EventFd fd) {}
        @Override public EventFd swapCall(EventFd fd) { return null; }
        @Override public void setKick(EventFd fd) {}
        @Override public boolean configuredAddresses() { return true; }
        @Override public void start(GuestMemory memory, long features) {}
        @Override public void stop() {}
        @Override public void release() {}
        @Override public int popTx(MemorySegment buf, int[] off, int[] len, int cap, int copyLimit, int max) { return 0; }
        @Override public void kickDriver() {}
    }

    private VhostUserPort port() {
        return new VhostUserPort("vh", 1, dir.resolve("vh.sock").toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, false, 0, Quiescence.NONE, null);
    }

    /** Transmits a burst of n packets (packet i of 100 + i bytes) through p into q; returns what q took. */
    private static int deliver(VhostUserPort p, ScriptedRxQueue q, int n) {
        PacketBatch b = new PacketBatch();
        int[] which = new int[PacketBatch.SLOTS];
        b.count = n;
        for (int i = 0; i < n; i++) {
            b.len[i] = 100 + i;
            which[i] = i;
        }
        return p.deliver(q, b, which, n, 0);
    }

    private static long bytesOf(int... packets) {
        long s = 0;
        for (int p : packets) s += 100 + p;
        return s;
    }

    private static long count(VhostUserPort p, PortCounters.Counter c) { return p.counters().get(c); }

    @Test
    void whatARingThatRanOutLeftIsOfferedAgainWhileAttemptsDeliver() {
        VhostUserPort p = port();
        ScriptedRxQueue q = new ScriptedRxQueue(Set.of(), 3, 2, 4, 0, 5);
        assertEquals(9, deliver(p, q, 10));
        assertEquals(4, q.offered.size(), "three attempts delivered; the fourth delivered nothing and was the last");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, q.offered.get(0));
        assertArrayEquals(new int[] {3, 4, 5, 6, 7, 8, 9}, q.offered.get(1), "the rest, in order");
        assertArrayEquals(new int[] {5, 6, 7, 8, 9}, q.offered.get(2));
        assertArrayEquals(new int[] {9}, q.offered.get(3));
        assertEquals(9, count(p, PortCounters.Counter.TX_PACKETS), "each delivered packet counted once");
        assertEquals(bytesOf(0, 1, 2, 3, 4, 5, 6, 7, 8), count(p, PortCounters.Counter.TX_BYTES));
        assertEquals(3, count(p, PortCounters.Counter.TX_RETRIES));
    }

    @Test
    void aRingWithNoRoomIsNotRetried() {
        VhostUserPort p = port();
        ScriptedRxQueue q = new ScriptedRxQueue(Set.of(), 0, 4);
        assertEquals(0, deliver(p, q, 4));
        assertEquals(1, q.offered.size(), "as OVS: no packet sent, no retry");
        assertEquals(0, count(p, PortCounters.Counter.TX_PACKETS));
        assertEquals(0, count(p, PortCounters.Counter.TX_RETRIES));
    }

    /** A ring with room for one packet per attempt, for n attempts. */
    private static ScriptedRxQueue onePerAttempt(int n) {
        int[] one = new int[n];
        Arrays.fill(one, 1);
        return new ScriptedRxQueue(Set.of(), one);
    }

    @Test
    void retriesStopAfterEightByDefault() {
        VhostUserPort p = port();
        ScriptedRxQueue q = onePerAttempt(40);
        assertEquals(8, p.txRetriesMax(), "OVS-DPDK's default");
        assertEquals(9, deliver(p, q, 20));
        assertEquals(9, q.offered.size(), "the first attempt and eight retries");
        assertEquals(9, count(p, PortCounters.Counter.TX_PACKETS));
        assertEquals(8, count(p, PortCounters.Counter.TX_RETRIES));
        assertNull(p.details().get("tx-retries-max"), "the default is not shown");
    }

    @Test
    void txRetriesMaxSetsTheLimitFromZeroToThirtyTwo() {
        VhostUserPort p = port();
        p.txRetriesMax(0);
        ScriptedRxQueue q = onePerAttempt(40);
        assertEquals(1, deliver(p, q, 20), "0: one attempt, no retry");
        assertEquals(1, q.offered.size());
        assertEquals(0, count(p, PortCounters.Counter.TX_RETRIES));
        assertEquals("0", p.details().get("tx-retries-max"));

        p.txRetriesMax(32);
        q = onePerAttempt(40);
        assertEquals(33, deliver(p, q, 40), "32: the first attempt and 32 retries");
        assertEquals(32, count(p, PortCounters.Counter.TX_RETRIES));

        assertThrows(IllegalArgumentException.class, () -> p.txRetriesMax(33));
        assertThrows(IllegalArgumentException.class, () -> p.txRetriesMax(-1));
        assertEquals(32, p.txRetriesMax(), "a refused value changes nothing");
    }

    @Test
    void framesTooBigForTheGuestsBuffersAreTakenNotOfferedAgain() {
        VhostUserPort p = port();
        ScriptedRxQueue q = new ScriptedRxQueue(Set.of(1), 3, 3);
        assertEquals(6, deliver(p, q, 6), "five delivered, one dropped by the queue as too big");
        assertArrayEquals(new int[] {4, 5}, q.offered.get(1), "0, 2, 3 delivered and 1 dropped in the first attempt");
        assertEquals(5, count(p, PortCounters.Counter.TX_PACKETS));
        assertEquals(bytesOf(0, 2, 3, 4, 5), count(p, PortCounters.Counter.TX_BYTES));
    }
}
