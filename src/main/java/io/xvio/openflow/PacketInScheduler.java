package io.xvio.openflow;

import io.xvio.util.TokenBucket;

import java.util.function.Consumer;

/**
 * OVS's pinsched for one connection and one kind of packet-in (OVS keeps one for misses and one for actions): a
 * {@link TokenBucket} of controller_rate_limit packets a second holding controller_burst_limit packets (full at first). While it has
 * tokens and nothing waits, a packet-in goes straight on; else it waits in its in_port's queue, and {@link #run}
 * sends the queues round robin (one packet per port in turn) as tokens come, so one busy port cannot starve the
 * others. At most burst packet-ins wait: one more drops the oldest of the longest queue ({@link #dropped}).
 *
 * <p>One thread (the bridge's OpenFlow thread) uses it. The waiting messages live in fixed slot arrays linked per
 * port, and the port queues are reused: nothing is allocated per packet.
 */
public final class PacketInScheduler {
    /** OVS's minimums (vswitch.xml: controller_rate_limit at least 100, controller_burst_limit at least 25). */
    public static final int MIN_RATE = 100, MIN_BURST = 25;
    /** At most this many packet-ins leave per {@link #run} (OVS's 50), so other work is not held up. */
    static final int RUN_BATCH = 50;

    private static final class PortQueue {
        long port;
        int head = -1, tail = -1, n;
    }

    private static final long PACKET = TokenBucket.PER_SECOND_UNIT;
    private final TokenBucket bucket;
    private final int rate, burst;
    private final byte[][] slot;
    private final int[] next;
    private int free;                         // free slots, linked by next
    private int queued;
    /** Ports with waiting packet-ins, in round-robin order; nextTx: the one to send from next. */
    private final PortQueue[] active;
    private int nActive, nextTx;
    private final PortQueue[] pool;
    private int nPool;
    private long passed, delayed, dropped;

    /** burst: 0 for OVS's default (rate / 4); both raised to OVS's minimums. */
    PacketInScheduler(int rate, int burst, long nowNanos) {
        int r = Math.max(MIN_RATE, rate);
        int b = Math.max(MIN_BURST, burst > 0 ? burst : r / 4);
        this.rate = r;
        this.burst = b;
        bucket = new TokenBucket(r, (long) b * PACKET, nowNanos);
        slot = new byte[b][];
        next = new int[b];
        for (int k = 0; k < b; k++) next[k] = k + 1 < b ? k + 1 : -1;
        free = 0;
        active = new PortQueue[b];
        pool = new PortQueue[b];
    }

    long rate() { return rate; }
    long burst() { return burst; }

    /** Packet-in m of in_port port: to out now if a token allows and nothing waits, else queued (maybe dropping one). */
    void send(long port, byte[] m, long nowNanos, Consumer<byte[]> out) {
        if (queued == 0 && bucket.admit(PACKET, nowNanos)) {
            passed++;
            out.accept(m);
            return;
        }
        if (queued >= slot.length) dropFromLongest();
        PortQueue q = queueOf(port);
        int s = free;
        free = next[s];
        slot[s] = m;
        next[s] = -1;
        if (q.tail < 0) q.head = s;
        else next[q.tail] = s;
        q.tail = s;
        q.n++;
        queued++;
        delayed++;
    }

    /** Sends waiting packet-ins to out as the tokens allow (at most {@link #RUN_BATCH}); how many. */
    int run(long nowNanos, Consumer<byte[]> out) {
        int n = 0;
        while (queued > 0 && n < RUN_BATCH && bucket.admit(PACKET, nowNanos)) {
            out.accept(takeNext());
            n++;
        }
        return n;
    }

    /** Every waiting packet-in to out, tokens or not (the limits changed or went away). */
    void flush(Consumer<byte[]> out) {
        while (queued > 0) {
            out.accept(takeNext());
        }
    }

    /** Packet-ins waiting now. */
    int queued() { return queued; }

    /** Sent without waiting, made to wait, and dropped for the limit (OVS's n_normal, n_limited, n_queue_dropped). */
    long passed() { return passed; }
    long delayed() { return delayed; }
    long dropped() { return dropped; }

    private PortQueue queueOf(long port) {
        for (int k = 0; k < nActive; k++) if (active[k].port == port) return active[k];
        PortQueue q = nPool > 0 ? pool[--nPool] : new PortQueue();      // a new port: at most burst of them, ever
        q.port = port;
        q.head = q.tail = -1;
        q.n = 0;
        active[nActive++] = q;
        return q;
    }

    /** The next packet-in of the round robin: the head of port nextTx's queue; the turn moves to the next port. */
    private byte[] takeNext() {
        if (nextTx >= nActive) nextTx = 0;
        int i = nextTx;
        byte[] m = dequeue(i);
        if (active[i].n == 0) retire(i);          // the next port slides into i
        else nextTx = i + 1;
        return m;
    }

    private byte[] dequeue(int i) {
        PortQueue q = active[i];
        int s = q.head;
        byte[] m = slot[s];
        slot[s] = null;
        q.head = next[s];
        if (q.head < 0) q.tail = -1;
        q.n--;
        queued--;
        next[s] = free;
        free = s;
        return m;
    }

    /** Drops the oldest packet-in of the longest queue (the first of equals: OVS picks one at random). */
    private void dropFromLongest() {
        int longest = 0;
        for (int k = 1; k < nActive; k++) if (active[k].n > active[longest].n) longest = k;
        dequeue(longest);
        dropped++;
        if (active[longest].n == 0) retire(longest);
    }

    /** Removes the empty queue at i from the round robin, keeping the order of the rest. */
    private void retire(int i) {
        PortQueue q = active[i];
        System.arraycopy(active, i + 1, active, i, nActive - i - 1);
        active[--nActive] = null;
        if (nextTx > i) nextTx--;
        pool[nPool++] = q;
    }
}
