package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.Netdev;
import io.xvio.sys.PacketRxRing;
import io.xvio.sys.PacketTxRing;
import io.xvio.testing.NetLab;
import io.xvio.util.Quiescence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static io.xvio.port.PortCounters.Counter.*;
import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * TAP and AF_PACKET ports on interfaces this test creates: they attach, carry bursts both ways, go down with a
 * reason when the interface is missing, down or deleted, and come back by themselves when it returns. The test
 * thread plays the PMD: its receive/transmit calls hold a lock that the port's quiescence waits for.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class NetdevPortsTest {
    static final int TYPE = 0x88b5, SLOT = 2048;
    static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt BE_INT = JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private final NetLab lab = new NetLab();
    private final Object pmd = new Object();
    private final Quiescence quiescence = () -> { synchronized (pmd) { /* no PMD call in progress */ } };
    private final PacketBatch batch = new PacketBatch();
    private final int[] which = new int[PacketBatch.BURST];
    private final MemorySegment peerBuf = Arena.ofAuto().allocate(32L * SLOT, 64);
    private final List<AutoCloseable> open = new ArrayList<>();

    {
        for (int i = 0; i < which.length; i++) which[i] = i;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        lab.close();
    }

    private <T extends AutoCloseable> T own(T c) { open.add(c); return c; }

    private static void await(BooleanSupplier cond, long ms, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out after " + ms + " ms: " + what.get());
            Thread.sleep(20);
        }
    }

    static void writeFrame(MemorySegment s, long off, int seq, int len) {
        for (int i = 0; i < 6; i++) {
            s.set(JAVA_BYTE, off + i, (byte) (i == 0 ? 0x02 : 0xaa));   // unicast to nobody's MAC
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

    /** The switch sends n test frames (seq first..first+n-1) to port. */
    private void transmit(Port port, int first, int n) {
        synchronized (pmd) {
            batch.reset();
            for (int i = 0; i < n; i++) {
                batch.len[i] = 100 + i;
                writeFrame(batch.data, batch.off[i], first + i, batch.len[i]);
            }
            batch.count = n;
            port.transmit(0, batch, which, n);
        }
    }

    /** Polls port like a PMD until want test frames arrived (or 5 s); returns their seqs. */
    private List<Integer> receive(Port port, int want) throws InterruptedException {
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            int n;
            synchronized (pmd) {
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

    /** What a peer ring on the other side received. */
    private List<Integer> peerReceive(PacketRxRing rx, int want) throws InterruptedException {
        int[] off = new int[32], len = new int[32], flags = new int[32];
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
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

    private void peerSend(PacketTxRing tx, int first, int n) {
        for (int i = 0; i < n; i++) {
            writeFrame(peerBuf, (long) i * SLOT, first + i, 90 + i);
            assertTrue(tx.queue(peerBuf, (long) i * SLOT, 90 + i));
        }
        assertEquals(0, tx.flush());
    }

    private static List<Integer> range(int first, int n) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(first + i);
        return l;
    }

    private record Peer(PacketRxRing rx, PacketTxRing tx) {}

    private Peer peer(String dev) {
        int ifindex = Netdev.query(dev).ifindex();
        return new Peer(own(PacketRxRing.open(dev, ifindex, 1 << 16, 8, true)), own(PacketTxRing.open(dev, ifindex, 1518, 64)));
    }

    private void vethUp(String a, String b) {
        lab.veth(a, b);
        lab.up(null, a);
        lab.up(null, b);
    }

    @Test
    void anAfPacketPortWaitsForItsInterfaceAndSurvivesItGoingDownAndBeingReplaced() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        AfPacketPort port = own(new AfPacketPort("up0", 1, a, quiescence));
        port.start();
        assertTrue(port.status().startsWith("down (interface " + a + " does not exist (check `ip link show " + a + "`"), port.status());
        transmit(port, 0, 3);
        assertEquals(3, port.counters().get(TX_DROP_DOWN));

        vethUp(a, b);
        await(() -> port.status().equals("up"), 3000, port::status);
        assertEquals("yes", port.details().get("promiscuous"));
        assertEquals("1500", port.details().get("mtu"));
        Peer p = peer(b);
        transmit(port, 10, 20);
        assertEquals(range(10, 20), peerReceive(p.rx(), 20));
        assertEquals(20, port.counters().get(TX_PACKETS));
        peerSend(p.tx(), 100, 25);
        assertEquals(range(100, 25), receive(port, 25));
        assertTrue(port.counters().get(RX_PACKETS) >= 25);

        // the link goes down: port down with the reason; up again: attached again, traffic flows
        lab.down(null, a);
        await(() -> port.status().contains("link " + a + " is down"), 3000, port::status);
        long down = port.counters().get(TX_DROP_DOWN);
        transmit(port, 0, 2);
        assertEquals(down + 2, port.counters().get(TX_DROP_DOWN));
        lab.up(null, a);
        await(() -> port.status().equals("up"), 3000, port::status);
        transmit(port, 200, 5);
        assertEquals(range(200, 5), peerReceive(p.rx(), 5));

        // the peer goes down: no carrier
        lab.down(null, b);
        await(() -> port.status().equals("down (no carrier on " + a + ")"), 3000, port::status);
        lab.up(null, b);
        await(() -> port.status().equals("up"), 3000, port::status);

        // deleted: down; a new interface of the same name: attached to that one
        lab.delete(a);
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
        assertFalse(NetLab.ok("ip", "-d", "link", "show", a).contains("promiscuity 1"), "promiscuous mode left with the socket");
    }

    @Test
    void framesLargerThanTheMtuAreDroppedAsTooBig() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        vethUp(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "1000");
        AfPacketPort port = own(new AfPacketPort("up0", 1, a, quiescence));
        port.start();
        assertEquals("up", port.status());
        synchronized (pmd) {
            batch.reset();
            batch.len[0] = 1018;     // 1000 + 14 + 4: fits
            batch.len[1] = 1019;
            writeFrame(batch.data, batch.off[0], 1, batch.len[0]);
            writeFrame(batch.data, batch.off[1], 2, batch.len[1]);
            port.transmit(0, batch, which, 2);
        }
        assertEquals(1, port.counters().get(TX_DROP_TOO_BIG));
        assertEquals(1, port.counters().get(TX_PACKETS));
        // an MTU change re-attaches with slots for the new size
        NetLab.ok("ip", "link", "set", a, "mtu", "1500");
        await(() -> "1500".equals(port.details().get("mtu")), 3000, () -> port.details().toString());
    }

    @Test
    void aTapPortOwnsItsInterfaceRecreatesItAndDeletesItOnClose() throws Exception {
        String t = lab.name("xvt");
        lab.own(t);
        TapPort port = own(new TapPort("tp", 1, t, quiescence));
        port.start();
        assertEquals("up", port.status());
        Netdev.Info info = Netdev.query(t);
        assertTrue(info.up(), "xvio brings its tap up");
        lab.quietIpv6(null, t);
        Peer p = peer(t);
        transmit(port, 0, 8);                               // the switch sends: the host receives on the tap
        assertEquals(range(0, 8), peerReceive(p.rx(), 8));
        assertEquals(8, port.counters().get(TX_PACKETS));
        peerSend(p.tx(), 50, 6);                            // the host sends out of the tap: into the switch
        assertEquals(range(50, 6), receive(port, 6));

        lab.down(null, t);
        await(() -> port.status().contains("is down"), 3000, port::status);
        long down = port.counters().get(TX_DROP_DOWN);
        transmit(port, 0, 4);
        assertEquals(down + 4, port.counters().get(TX_DROP_DOWN), "writes fail with EIO while the tap is down");
        lab.up(null, t);
        await(() -> port.status().equals("up"), 3000, port::status);

        lab.delete(t);
        await(() -> "2 time(s)".equals(port.details().get("created")) && port.status().equals("up"), 3000,
                () -> port.status() + " " + port.details());
        assertNotEquals(info.ifindex(), Netdev.query(t).ifindex());
        assertTrue(Netdev.query(t).up());
        Peer p2 = peer(t);
        transmit(port, 70, 3);
        assertEquals(range(70, 3), peerReceive(p2.rx(), 3));

        port.close();
        assertNull(Netdev.query(t), "closing the port deletes its tap");
    }

    /** Bursts from one port into another and back, n rounds; returns the frames that arrived. */
    private long pingPong(Port x, Port y, int rounds) {
        long got = 0;
        for (int r = 0; r < rounds; r++) {
            synchronized (pmd) {
                batch.reset();
                for (int i = 0; i < 32; i++) {
                    batch.len[i] = 64 + i;
                    writeFrame(batch.data, batch.off[i], r, batch.len[i]);
                }
                x.transmit(0, batch, which, 32);
                y.transmit(0, batch, which, 32);
                for (int k = 0; k < 4; k++) {
                    got += y.receive(0, batch, 0);
                    got += x.receive(0, batch, 0);
                }
            }
        }
        return got;
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void theHotPathAllocatesNothing() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb"), t = lab.name("xvt");
        vethUp(a, b);
        lab.own(t);
        AfPacketPort pa = own(new AfPacketPort("pa", 1, a, quiescence)), pb = own(new AfPacketPort("pb", 2, b, quiescence));
        TapPort tap = own(new TapPort("tp", 3, t, quiescence));
        pa.start();
        pb.start();
        tap.start();
        lab.quietIpv6(null, t);
        AfPacketPort onTap = own(new AfPacketPort("pt", 4, t, quiescence));   // the host side of the tap
        onTap.start();
        await(() -> pa.status().equals("up") && pb.status().equals("up") && tap.status().equals("up") && onTap.status().equals("up"),
                3000, () -> pa.status() + " " + pb.status() + " " + tap.status() + " " + onTap.status());
        long warm = pingPong(pa, pb, 3000) + pingPong(tap, onTap, 3000);     // let the JIT compile the paths
        assertTrue(warm > 0);
        long before = allocatedBytes();
        long got = pingPong(pa, pb, 2000) + pingPong(tap, onTap, 2000);
        long allocated = allocatedBytes() - before;
        assertTrue(got > 10_000, "frames moved: " + got);
        // steady state allocates nothing; JIT recompilations can still allocate a little while this runs, so the bound
        // is loose: one 16-byte object per frame would already be 4 MB here
        assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated for " + got + " frames received (and as many sent)");
    }

    @Test
    void aTapWhoseNameIsTakenWaitsUntilTheNameIsFree() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        TapPort port = own(new TapPort("tp", 1, a, quiescence));
        port.start();
        assertTrue(port.status().startsWith("down (cannot create tap " + a + ": ioctl(TUNSETIFF"), port.status());
        assertTrue(port.status().contains("check `ip link show " + a + "`"), port.status());
        lab.delete(a);
        await(() -> port.status().equals("up"), 3000, port::status);
        lab.own(a);
    }
}
