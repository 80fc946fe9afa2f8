package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.Netdev;
import io.xvio.sys.XdpRedirect;
import io.xvio.sys.XdpSocket;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.xvio.port.PmdStandIn.*;
import static io.xvio.port.PortCounters.Counter.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * AF_XDP ports on veths this test creates: they attach (program, socket, promiscuity), carry bursts both ways, go
 * down with a reason when the interface is missing, down or deleted, come back by themselves, say why when AF_XDP
 * cannot be set up, and leave no XDP program behind. The test thread plays the PMD, as in {@link NetdevPortsTest} ({@link PmdStandIn}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class AfXdpPortTest {
    private final PmdStandIn pmd = new PmdStandIn();
    private final NetLab lab = pmd.net;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    @Test
    void anAfXdpPortWaitsForItsInterfaceSurvivesItGoingDownAndBeingReplacedAndLeavesNothingBehind() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 0, pmd.quiescence));
        port.start();
        pmd.lifecycle(port, a, b, new PmdStandIn.LifecycleChecks() {
            @Override public void attached(Port p, String dev) {
                assertEquals("0", p.details().get("queue"));
                assertTrue(p.details().get("xdp").startsWith("native mode"), p.details().toString());
                assertTrue(link(dev).contains("promiscuity 1") && link(dev).contains("xdp"), link(dev));
            }
            @Override public void linkDown(Port p, String dev) {
                assertFalse(link(dev).contains("xdp"), "detached while down: " + link(dev));
            }
            @Override public void closed(Port p, String dev) {
                assertFalse(link(dev).contains("xdp"), "no XDP program left: " + link(dev));
            }
        });
    }

    @Test
    void aQueueTheInterfaceLacksIsDownNamingTheStepAndSuggestingAfpacket() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 5, pmd.quiescence));
        port.start();
        String s = port.status();
        assertTrue(s.startsWith("down (cannot set up AF_XDP on " + a + " queue 5: bind(XDP_COPY"), s);
        assertTrue(s.contains("EINVAL") && s.contains("does " + a + " have queue 5?") && s.contains("`type: afpacket` works on any interface"), s);
        assertFalse(link(a).contains("xdp"), "nothing left after a failed setup: " + link(a));
    }

    @Test
    void anInterfaceWithAnotherXdpProgramIsDownNamingIt() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        // someone else's program on a (generic mode), feeding a socket of theirs (on b)
        XdpSocket other = pmd.own(XdpSocket.open(b, Netdev.query(b).ifindex(), 0, 2048, 64, 64));
        pmd.own(XdpRedirect.attach(a, Netdev.query(a).ifindex(), 0, other.fd(), true));
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 0, pmd.quiescence));
        port.start();
        String s = port.status();
        assertTrue(s.startsWith("down (cannot set up AF_XDP on " + a + " queue 0: bpf(BPF_LINK_CREATE(XDP, "), s);
        assertTrue(s.contains("(another XDP program is attached to " + a + ": `ip link show " + a + "`)") && s.contains("afpacket"), s);
    }

    @Test
    void framesLargerThanTheMtuAreDroppedAsTooBigAndAnMtuChangeReattaches() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "1000");
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 0, pmd.quiescence));
        port.start();
        assertEquals("up", port.status());
        pmd.transmit(port, new int[] {1, 2}, new int[] {1018, 1019});     // 1000 + 14 + 4 fits, one more does not
        assertEquals(1, port.counters().get(TX_DROP_TOO_BIG));
        assertEquals(1, port.counters().get(TX_PACKETS));
        NetLab.ok("ip", "link", "set", a, "mtu", "3000");
        await(() -> "3000".equals(port.details().get("mtu")), 3000, () -> port.details().toString());
        assertTrue(port.details().get("umem").contains("chunks of 4096 bytes"), port.details().toString());
        NetLab.ok("ip", "link", "set", a, "mtu", "9000");
        await(() -> port.status().contains("MTU 9000 does not fit"), 3000, port::status);
        assertTrue(port.status().contains("use `type: afpacket`"), port.status());
    }

    @Test
    void twoPortsOnAVethPairTradeBurstsWithoutAllocating() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        AfXdpPort pa = pmd.own(new AfXdpPort("pa", 1, a, 0, pmd.quiescence)), pb = pmd.own(new AfXdpPort("pb", 2, b, 0, pmd.quiescence));
        pa.start();
        pb.start();
        await(() -> pa.status().equals("up") && pb.status().equals("up"), 3000, () -> pa.status() + " " + pb.status());
        assertTrue(pmd.pingPong(pa, pb, 3000) > 0);              // let the JIT compile the paths
        long before = allocatedBytes();
        long got = pmd.pingPong(pa, pb, 2000);
        long allocated = allocatedBytes() - before;
        assertTrue(got > 10_000, "frames moved: " + got + "\n" + pa.extraCounters() + "\n" + pb.extraCounters());
        assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated for " + got + " frames received (and as many sent)");
        assertEquals(0L, pa.extraCounters().get("tx_dropped(tx ring busy)"));
    }

    private record Batching(AfXdpPort port, PmdStandIn.Peer peer) {}

    /**
     * An AF_XDP port on a veth and the veth's other end, where the kernel takes XDP_MAX_TX_SKB_BUDGET (the test is
     * skipped on a kernel that does not).
     */
    private Batching batchingPortAndPeer() {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        PmdStandIn.Peer peer = pmd.peer(b);
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 0, pmd.quiescence));
        port.start();
        await(() -> port.status().equals("up"), 3000, port::status);
        assumeTrue(port.details().get("tx_batch").startsWith("up to 256"), "a kernel without XDP_MAX_TX_SKB_BUDGET: " + port.details().get("tx_batch"));
        return new Batching(port, peer);
    }

    /**
     * Where the kernel takes XDP_MAX_TX_SKB_BUDGET (Linux 6.17+), a burst is kept back for one sendto with the next
     * ones; the PMD thread's loop sends it once it waited {@link HeldTx#maxHoldNanos}, not before; an idle loop sends
     * it at once.
     */
    @Test
    void aBurstKeptBackForALaterSendtoGoesOnceItWaitedTheHoldTimeOrAtAnIdleLoop() throws Exception {
        Batching set = batchingPortAndPeer();
        PmdStandIn.Peer peer = set.peer();
        AfXdpPort port = set.port();
        PacketBatch own = new PacketBatch();
        int[] which = new int[32];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 32; i++) {
                which[i] = i;
                own.len[i] = 64 + i;
                writeFrame(own.data, own.off[i], 100 * round + i, own.len[i]);
            }
            long before = System.nanoTime();
            synchronized (pmd.lock) { port.transmit(0, own, which, 32); }
            assertTrue(HeldTx.any(0), "the burst is held");
            HeldTx.flushDue(0, before);                       // a busy loop's end before the hold time is up
            assertTrue(HeldTx.any(0), "still held");
            assertEquals(List.of(), pmd.peerReceive(peer.rx(), 1, 30), "nothing sent before the hold time");
            if (round == 0) HeldTx.flushDue(0, System.nanoTime() + HeldTx.maxHoldNanos());   // a busy loop, hold time up
            else PmdStandIn.idleLoop(port);                    // an idle loop
            assertFalse(HeldTx.any(0));
            assertEquals(range(100 * round, 32), pmd.peerReceive(peer.rx(), 32), "round " + round);
        }
    }

    /** tx-flush-interval 0 (OVS's default): every burst goes with its own sendto, none is held; show says so. */
    @Test
    void withATxFlushIntervalOfZeroEveryBurstIsSentAtOnce() throws Exception {
        Batching set = batchingPortAndPeer();
        PmdStandIn.Peer peer = set.peer();
        AfXdpPort port = set.port();
        HeldTx.setMaxHoldMicros(0);
        try {
            assertTrue(port.details().get("tx_batch").endsWith("every burst sent at once (tx-flush-interval: 0)"), port.details().get("tx_batch"));
            PacketBatch own = new PacketBatch();
            int[] which = new int[32];
            for (int i = 0; i < 32; i++) {
                which[i] = i;
                own.len[i] = 64 + i;
                writeFrame(own.data, own.off[i], i, own.len[i]);
            }
            synchronized (pmd.lock) { port.transmit(0, own, which, 32); }
            assertFalse(HeldTx.any(0), "nothing held");
            assertEquals(range(0, 32), pmd.peerReceive(peer.rx(), 32), "sent without any loop's help");
        } finally {
            HeldTx.setMaxHoldMicros(HeldTx.DEFAULT_HOLD_MICROS);
        }
        assertTrue(port.details().get("tx_batch").contains("at most 100 us (tx-flush-interval)"), port.details().get("tx_batch"));
        assertThrows(IllegalArgumentException.class, () -> HeldTx.setMaxHoldMicros(1_000_001));
    }

    @Test
    void twoPmdThreadsSendingAtOnceNeverShareTheTxRingAndEveryFrameIsAccountedFor() throws Exception {
        String a = lab.name("xxa"), b = lab.name("xxb");
        pmd.vethUp(a, b);
        AfXdpPort port = pmd.own(new AfXdpPort("x0", 1, a, 0, pmd.quiescence));
        port.setTransmitThreads(2);
        port.start();
        await(() -> port.status().equals("up"), 3000, port::status);
        int bursts = 3000;
        int[] which = new int[32];
        for (int i = 0; i < 32; i++) which[i] = i;
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
        pmd.transmit(port, 0, 8);
        await(() -> port.counters().get(TX_PACKETS) == before + 8, 3000, () -> port.extraCounters().toString());
    }
}
