package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.Netdev;
import io.xvio.sys.PacketRxRing;
import io.xvio.sys.PacketTxRing;
import io.xvio.testing.Await;
import io.xvio.testing.NetLab;
import io.xvio.util.Quiescence;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * What the tests of netdev ports share: the test thread plays the PMD (its calls into a port hold {@link #lock},
 * which the ports' {@link #quiescence} waits for), sends and receives numbered test frames through a port and
 * through packet rings on the far side of a veth or tap, and owns the interfaces and namespaces it makes
 * ({@link #net}) and whatever it opens ({@link #own}); {@link #close} undoes all of it.
 */
final class PmdStandIn implements AutoCloseable {
    static final int TYPE = 0x88b5, SLOT = 2048;
    static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    final NetLab net = new NetLab();
    final Object lock = new Object();
    final Quiescence quiescence = () -> { synchronized (lock) { /* no PMD call in progress */ } };
    private final PacketBatch batch = new PacketBatch();
    private final int[] which = new int[PacketBatch.BURST];
    private final MemorySegment peerBuf = Arena.ofAuto().allocate(32L * SLOT, 64);
    private final List<AutoCloseable> open = new ArrayList<>();

    PmdStandIn() {
        for (int i = 0; i < which.length; i++) which[i] = i;
    }

    <T extends AutoCloseable> T own(T c) { open.add(c); return c; }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        open.clear();
        net.close();
    }

    /** A veth pair a-b, both ends up. */
    void vethUp(String a, String b) {
        net.veth(a, b);
        net.up(null, a);
        net.up(null, b);
    }

    static String link(String dev) { return NetLab.ok("ip", "-d", "link", "show", dev); }

    /** {@link Await#await} with the condition first, as the port tests read best. */
    static void await(BooleanSupplier cond, long ms, Supplier<String> state) {
        Await.await("the port's condition holds", Duration.ofMillis(ms), cond, state);
    }

    static List<Integer> range(int first, int n) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(first + i);
        return l;
    }

    /** A test frame: unicast to nobody's MAC, EtherType {@link #TYPE}, seq, then filler up to len bytes. */
    static void writeFrame(MemorySegment s, long off, int seq, int len) {
        for (int i = 0; i < 6; i++) {
            s.set(JAVA_BYTE, off + i, (byte) (i == 0 ? 0x02 : 0xaa));
            s.set(JAVA_BYTE, off + 6 + i, (byte) (i == 0 ? 0x02 : 0x11));
        }
        s.set(BE_SHORT, off + 12, (short) TYPE);
        s.set(BE_INT, off + 14, seq);
        for (int i = 18; i < len; i++) s.set(JAVA_BYTE, off + i, (byte) i);
    }

    static int seqIfTest(MemorySegment s, long off) {
        if ((s.get(BE_SHORT, off + 12) & 0xffff) != TYPE) return -1;
        return s.get(BE_INT, off + 14);
    }

    /** The switch sends n test frames to port: seq first..first+n-1, 100+i bytes. */
    void transmit(Port port, int first, int n) {
        int[] seqs = new int[n], lens = new int[n];
        for (int i = 0; i < n; i++) { seqs[i] = first + i; lens[i] = 100 + i; }
        transmit(port, seqs, lens);
    }

    /**
     * The switch sends one test frame per entry: seqs[i], lens[i] bytes; then, as a PMD thread with nothing more to
     * do, it runs an idle loop (frames a port kept back for a later system call go now).
     */
    void transmit(Port port, int[] seqs, int[] lens) {
        synchronized (lock) {
            fill(seqs, lens);
            port.transmit(0, batch, which, seqs.length);
            idleLoop(port);
        }
    }

    /** What a PMD thread's loop that moved nothing does for these ports: flushIdle, then every held frame goes. */
    static void idleLoop(Port... ports) {
        for (Port p : ports) p.flushIdle(0);
        long now = System.nanoTime();
        if (HeldTx.any(0)) HeldTx.flushDue(0, now + HeldTx.maxHoldNanos());
    }

    private void fill(int[] seqs, int[] lens) {
        batch.reset();
        for (int i = 0; i < seqs.length; i++) {
            batch.len[i] = lens[i];
            writeFrame(batch.data, batch.off[i], seqs[i], lens[i]);
        }
        batch.count = seqs.length;
    }

    /** Polls port like a PMD until want test frames arrived (or 5 s); returns their seqs. */
    List<Integer> receive(Port port, int want) throws InterruptedException {
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            int n;
            synchronized (lock) {
                n = port.receive(0, batch, 0);
                for (int i = 0; i < n; i++) {
                    int s = seqIfTest(batch.data, batch.off[i]);
                    if (s >= 0) seqs.add(s);
                }
            }
            if (n == 0) Thread.sleep(1);
        }
        return seqs;
    }

    /** Bursts of 32 frames from x to y and from y to x, rounds times; returns the frames that arrived. */
    long pingPong(Port x, Port y, int rounds) {
        long got = 0;
        int[] seqs = new int[32], lens = new int[32];
        for (int r = 0; r < rounds; r++) {
            synchronized (lock) {
                for (int i = 0; i < 32; i++) { seqs[i] = r; lens[i] = 64 + i; }
                fill(seqs, lens);
                x.transmit(0, batch, which, 32);
                y.transmit(0, batch, which, 32);
                if (HeldTx.any(0)) HeldTx.flushDue(0, System.nanoTime());   // the end of a busy loop
                for (int k = 0; k < 4; k++) {
                    int n = y.receive(0, batch, 0) + x.receive(0, batch, 0);
                    if (n == 0) idleLoop(x, y);
                    got += n;
                }
            }
        }
        return got;
    }

    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** What a kind of netdev port checks beyond the shared lifecycle scenario, at its steps. */
    interface LifecycleChecks {
        /** Attached to a (whose peer is b) for the first time. */
        default void attached(Port port, String a) {}
        /** Detached because a went down. */
        default void linkDown(Port port, String a) {}
        /** Closed. */
        default void closed(Port port, String a) {}
    }

    /**
     * The life of a netdev port (started, not yet closed) on interface a, a veth whose peer b does not exist yet:
     * down naming the missing interface, dropping what it is sent; attached once a appears, carrying bursts both
     * ways; down while a is down or b has no carrier, and back by itself; down when a is deleted, attached to the
     * new a of the same name; after close down and not promiscuous any more.
     */
    void lifecycle(Port port, String a, String b, LifecycleChecks checks) throws InterruptedException {
        assertTrue(port.status().startsWith("down (interface " + a + " does not exist (check `ip link show " + a + "`"), port.status());
        transmit(port, 0, 3);
        assertEquals(3, port.counters().get(PortCounters.Counter.TX_DROP_DOWN));

        vethUp(a, b);
        await(() -> port.status().equals("up"), 3000, port::status);
        assertEquals("yes", port.details().get("promiscuous"));
        assertEquals("1500", port.details().get("mtu"));
        checks.attached(port, a);
        Peer p = peer(b);
        transmit(port, 10, 20);
        assertEquals(range(10, 20), peerReceive(p.rx(), 20));
        assertEquals(20, port.counters().get(PortCounters.Counter.TX_PACKETS));
        assertEquals(20 * 100 + 190, port.counters().get(PortCounters.Counter.TX_BYTES));
        peerSend(p.tx(), 100, 25);
        assertEquals(range(100, 25), receive(port, 25));
        assertTrue(port.counters().get(PortCounters.Counter.RX_PACKETS) >= 25);

        // the link goes down: port down with the reason; up again: attached again, traffic flows
        net.down(null, a);
        await(() -> port.status().contains("link " + a + " is down"), 3000, port::status);
        checks.linkDown(port, a);
        long down = port.counters().get(PortCounters.Counter.TX_DROP_DOWN);
        transmit(port, 0, 2);
        assertEquals(down + 2, port.counters().get(PortCounters.Counter.TX_DROP_DOWN));
        net.up(null, a);
        await(() -> port.status().equals("up"), 3000, port::status);
        transmit(port, 200, 5);
        assertEquals(range(200, 5), peerReceive(p.rx(), 5));

        // the peer goes down: no carrier
        net.down(null, b);
        await(() -> port.status().equals("down (no carrier on " + a + ")"), 3000, port::status);
        net.up(null, b);
        await(() -> port.status().equals("up"), 3000, port::status);

        // deleted: down; a new interface of the same name: attached to that one
        net.delete(a);
        await(() -> port.status().contains("does not exist"), 3000, port::status);
        assertTrue(port.details().get("last_event").contains("disappeared"), port.details().toString());
        vethUp(a, b);
        await(() -> port.status().equals("up"), 3000, port::status);
        assertEquals("3 time(s)", port.details().get("attached"));
        Peer p2 = peer(b);
        transmit(port, 300, 7);
        assertEquals(range(300, 7), peerReceive(p2.rx(), 7));
        peerSend(p2.tx(), 400, 3);
        assertEquals(range(400, 3), receive(port, 3));

        port.close();
        assertTrue(port.status().startsWith("down"), port.status());
        assertFalse(link(a).contains("promiscuity 1"), "promiscuous mode left with the port: " + link(a));
        checks.closed(port, a);
    }

    /** Packet rings on dev: what the far side of the port's interface receives and sends. */
    record Peer(PacketRxRing rx, PacketTxRing tx) {}

    Peer peer(String dev) {
        int ifindex = Netdev.query(dev).ifindex();
        return new Peer(own(PacketRxRing.open(dev, ifindex, 1 << 16, 8, true)), own(PacketTxRing.open(dev, ifindex, 1518, 64)));
    }

    /** What a peer ring received: seqs of test frames, until want arrived or 5 s passed. */
    List<Integer> peerReceive(PacketRxRing rx, int want) throws InterruptedException { return peerReceive(rx, want, 5000); }

    /** What a peer ring received: seqs of test frames, until want arrived or ms passed. */
    List<Integer> peerReceive(PacketRxRing rx, int want, long ms) throws InterruptedException {
        int[] off = new int[32], len = new int[32], flags = new int[32];
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            for (int i = 0; i < 32; i++) off[i] = i * SLOT + 64;
            int n = rx.receive(peerBuf, off, len, flags, SLOT - 64, 32);
            for (int i = 0; i < n; i++) {
                int s = seqIfTest(peerBuf, off[i]);
                if (s >= 0) seqs.add(s);
            }
            if (n == 0) Thread.sleep(1);
        }
        return seqs;
    }

    /** The peer sends n test frames (seq first.., 90+i bytes) into the port's interface. */
    void peerSend(PacketTxRing tx, int first, int n) {
        for (int i = 0; i < n; i++) {
            writeFrame(peerBuf, (long) i * SLOT, first + i, 90 + i);
            assertTrue(tx.queue(peerBuf, (long) i * SLOT, 90 + i));
        }
        assertEquals(0, tx.flush());
    }
}
