package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.Netdev;
import io.xvio.sys.PacketRxRing;
import io.xvio.sys.PacketTxRing;
import io.xvio.sys.XdpRedirect;
import io.xvio.sys.XdpSocket;
import io.xvio.testing.NetLab;
import io.xvio.util.Quiescence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static io.xvio.port.NetdevPortsTest.*;
import static io.xvio.port.PortCounters.Counter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * AF_XDP ports on veths this test creates: they attach (program, socket, promiscuity), carry bursts both ways, go
 * down with a reason when the interface is missing, down or deleted, come back by themselves, say why when AF_XDP
 * cannot be set up, and leave no XDP program behind. The test thread plays the PMD, as in {@link NetdevPortsTest}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class AfXdpPortTest {
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

    private static String link(String dev) { return NetLab.ok("ip", "-d", "link", "show", dev); }

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
    void anAfXdpPortWaitsForItsInterfaceSurvivesItGoingDownAndBeingReplacedAndLeavesNothingBehind() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        AfXdpPort port = own(new AfXdpPort("x0", 1, a, 0, quiescence));
        port.start();
        assertTrue(port.status().startsWith("down (interface " + a + " does not exist (check `ip link show " + a + "`"), port.status());
        transmit(port, 0, 3);
        assertEquals(3, port.counters().get(TX_DROP_DOWN));

        vethUp(a, b);
        await(() -> port.status().equals("up"), 3000, port::status);
        assertEquals("yes", port.details().get("promiscuous"));
        assertEquals("1500", port.details().get("mtu"));
        assertEquals("0", port.details().get("queue"));
        assertTrue(port.details().get("xdp").startsWith("native mode"), port.details().toString());
        assertTrue(link(a).contains("promiscuity 1") && link(a).contains("xdp"), link(a));
        Peer p = peer(b);
        transmit(port, 10, 20);
        assertEquals(range(10, 20), peerReceive(p.rx(), 20));
        assertEquals(20, port.counters().get(TX_PACKETS));
        assertEquals(20 * 100 + 190, port.counters().get(TX_BYTES));
        peerSend(p.tx(), 100, 25);
        assertEquals(range(100, 25), receive(port, 25));
        assertTrue(port.counters().get(RX_PACKETS) >= 25);

        // the link goes down: port down with the reason; up again: attached again, traffic flows
        lab.down(null, a);
        await(() -> port.status().contains("link " + a + " is down"), 3000, port::status);
        assertFalse(link(a).contains("xdp"), "detached while down: " + link(a));
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
        String after = link(a);
        assertFalse(after.contains("xdp"), "no XDP program left: " + after);
        assertFalse(after.contains("promiscuity 1"), "promiscuous mode left with the port: " + after);
    }

    @Test
    void aQueueTheInterfaceLacksIsDownNamingTheStepAndSuggestingAfpacket() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        vethUp(a, b);
        AfXdpPort port = own(new AfXdpPort("x0", 1, a, 5, quiescence));
        port.start();
        String s = port.status();
        assertTrue(s.startsWith("down (cannot set up AF_XDP on " + a + " queue 5: bind(XDP_COPY"), s);
        assertTrue(s.contains("EINVAL") && s.contains("does " + a + " have queue 5?") && s.contains("`type: afpacket` works on any interface"), s);
        assertFalse(link(a).contains("xdp"), "nothing left after a failed setup: " + link(a));
    }

    @Test
    void anInterfaceWithAnotherXdpProgramIsDownNamingIt() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        vethUp(a, b);
        // someone else's program on a (generic mode), feeding a socket of theirs (on b)
        XdpSocket other = own(XdpSocket.open(b, Netdev.query(b).ifindex(), 0, 2048, 64, 64));
        own(XdpRedirect.attach(a, Netdev.query(a).ifindex(), 0, other.fd(), true));
        AfXdpPort port = own(new AfXdpPort("x0", 1, a, 0, quiescence));
        port.start();
        String s = port.status();
        assertTrue(s.startsWith("down (cannot set up AF_XDP on " + a + " queue 0: bpf(BPF_LINK_CREATE(XDP, "), s);
        assertTrue(s.contains("(another XDP program is attached to " + a + ": `ip link show " + a + "`)") && s.contains("afpacket"), s);
    }

    @Test
    void framesLargerThanTheMtuAreDroppedAsTooBigAndAnMtuChangeReattaches() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        vethUp(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "1000");
        AfXdpPort port = own(new AfXdpPort("x0", 1, a, 0, quiescence));
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
        NetLab.ok("ip", "link", "set", a, "mtu", "3000");
        await(() -> "3000".equals(port.details().get("mtu")), 3000, () -> port.details().toString());
        assertTrue(port.details().get("umem").contains("chunks of 4096 bytes"), port.details().toString());
        NetLab.ok("ip", "link", "set", a, "mtu", "9000");
        await(() -> port.status().contains("MTU 9000 does not fit"), 3000, port::status);
        assertTrue(port.status().contains("use `type: afpacket`"), port.status());
    }

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
    void twoPortsOnAVethPairTradeBurstsWithoutAllocating() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        vethUp(a, b);
        AfXdpPort pa = own(new AfXdpPort("pa", 1, a, 0, quiescence)), pb = own(new AfXdpPort("pb", 2, b, 0, quiescence));
        pa.start();
        pb.start();
        await(() -> pa.status().equals("up") && pb.status().equals("up"), 3000, () -> pa.status() + " " + pb.status());
        assertTrue(pingPong(pa, pb, 3000) > 0);              // let the JIT compile the paths
        long before = allocatedBytes();
        long got = pingPong(pa, pb, 2000);
        long allocated = allocatedBytes() - before;
        assertTrue(got > 10_000, "frames moved: " + got + "\n" + pa.extraCounters() + "\n" + pb.extraCounters());
        assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated for " + got + " frames received (and as many sent)");
        assertEquals(0L, pa.extraCounters().get("tx_dropped(tx ring busy)"));
    }

    @Test
    void twoPmdThreadsSendingAtOnceNeverShareTheTxRingAndEveryFrameIsAccountedFor() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        vethUp(a, b);
        AfXdpPort port = own(new AfXdpPort("x0", 1, a, 0, quiescence));
        port.setTransmitThreads(2);
        port.start();
        await(() -> port.status().equals("up"), 3000, port::status);
        int bursts = 3000;
        Thread[] pmds = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int thread = t;
            pmds[t] = new Thread(() -> {           // each PMD has its own batch; no lock around transmit
                PacketBatch own = new PacketBatch();
                for (int i = 0; i < 32; i++) {
                    own.len[i] = 64 + i;
                    writeFrame(own.data, own.off[i], i, own.len[i]);
                }
                for (int r = 0; r < bursts; r++) port.transmit(thread, own, which, 32);
            });
            pmds[t].start();
        }
        for (Thread t : pmds) t.join();
        var extra = port.extraCounters();
        long sent = port.counters().get(TX_PACKETS), busy = extra.get("tx_dropped(tx ring busy)"),
                full = extra.get("tx_dropped(kernel queue full)");
        assertEquals(2L * bursts * 32, sent + busy + full, "sent " + sent + ", busy " + busy + ", full " + full);
        assertTrue(sent > 0, extra.toString());
        assertEquals(0, port.counters().get(TX_DROP_DOWN));
        // the ring is intact afterwards: a burst still goes out
        long before = sent;
        transmit(port, 0, 8);
        await(() -> port.counters().get(TX_PACKETS) == before + 8, 3000, () -> port.extraCounters().toString());
    }
}
