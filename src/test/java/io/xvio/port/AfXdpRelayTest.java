package io.xvio.port;

import io.xvio.packet.Checksum;
import io.xvio.packet.PacketBatch;
import io.xvio.testing.TestFrontend;
import io.xvio.vhost.VhostUserEndpoint;
import io.xvio.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.xvio.port.PmdStandIn.*;
import static io.xvio.port.PortCounters.Counter.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A relay from a guest (TestFrontend on a vhost-user port) to an AF_XDP port that copies the guest's frames straight
 * into its transmit chunks ({@link AfXdpPort#relayFrom}): every frame arrives at the veth's far end intact and in
 * order, drops are counted as the full path counts them, lent chunks all come back, checksums the guest left to the
 * device are completed, and a guest the path cannot serve (GSO) is left to the full path with nothing taken. The
 * test thread plays the PMD; the far end is another AF_XDP port.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class AfXdpRelayTest {
    private final PmdStandIn pmd = new PmdStandIn();
    @TempDir Path dir;
    private AfXdpPort vf, far;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    private VhostUserPort guestPort(String sock) {
        VhostUserPort p = pmd.own(new VhostUserPort("vm", 1, dir.resolve(sock).toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, true, 0, pmd.quiescence, null));
        p.start();
        return p;
    }

    private void veth() {
        String a = pmd.net.name("xra"), b = pmd.net.name("xrb");
        pmd.vethUp(a, b);
        vf = pmd.own(new AfXdpPort("vf", 2, a, 0, pmd.quiescence));
        far = pmd.own(new AfXdpPort("far", 3, b, 0, pmd.quiescence));
        vf.start();
        far.start();
        await(() -> vf.status().equals("up") && far.status().equals("up"), 3000, () -> vf.status() + " " + far.status());
    }

    private static byte[] testFrame(int seq, int len) {
        byte[] f = new byte[len];
        writeFrame(MemorySegment.ofArray(f), 0, seq, len);
        return f;
    }

    /** Relays bursts as a PMD loop would until want frames were taken from the guest; each call must take the direct path. */
    private int relay(VhostUserPort guest, int want) {
        int taken = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (taken < want && System.nanoTime() < deadline) {
            int n;
            synchronized (pmd.lock) {
                n = vf.relayFrom(guest, 0, 0);
                if (n == 0) idleLoop(vf);
            }
            assertTrue(n >= 0, "the direct path took the burst");
            taken += n;
        }
        synchronized (pmd.lock) { idleLoop(vf); }           // the loop that finds nothing sends what is held
        return taken;
    }

    /** Frames that reached the far end (copies of their bytes), until want arrived or 5 s. */
    private List<byte[]> farReceive(int want) throws InterruptedException {
        List<byte[]> got = new ArrayList<>();
        PacketBatch b = new PacketBatch();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (got.size() < want && System.nanoTime() < deadline) {
            int n = far.receive(0, b, 0);
            for (int i = 0; i < n; i++)
                if (seqIfTest(b.data, b.off[i]) >= 0 || b.len[i] > 34 && b.data.get(JAVA_BYTE, b.off[i] + 23) == 17)
                    got.add(b.data.asSlice(b.off[i], b.len[i]).toArray(JAVA_BYTE));
            if (n == 0) Thread.sleep(1);
        }
        return got;
    }

    @Test
    void guestFramesArriveIntactAndInOrderThroughLentChunksAndTooBigOnesAreCountedAsTransmitCountsThem() throws Exception {
        veth();
        VhostUserPort guest = guestPort("vm.sock");
        try (TestFrontend f = TestFrontend.connect(dir.resolve("vm.sock").toString()).start()) {
            // more frames than the port has transmit chunks (1024), in rounds the guest's ring holds: chunks come back
            List<byte[]> sent = new ArrayList<>();
            int seq = 0, tooBig = 0;
            for (int round = 0; round < 12; round++) {
                for (int k = 0; k < 200; k++, seq++) {
                    byte[] fr = testFrame(seq, 60 + (seq * 37) % 1455);
                    assertTrue(f.send(0, fr));
                    sent.add(fr);
                }
                // one over the veth's 1500-byte MTU, in two descriptors: taken from the guest, dropped as too big
                byte[] big = TestFrontend.withHeader(testFrame(100_000 + round, 3000));
                assertTrue(f.tx(0).sendChained(Arrays.copyOf(big, 2000), Arrays.copyOfRange(big, 2000, big.length)));
                tooBig++;
                assertEquals(201, relay(guest, 201));
                List<byte[]> got = farReceive(200);
                assertEquals(200, got.size(), "round " + round + ": " + vf.details() + " " + vf.extraCounters());
                for (int k = 0; k < 200; k++)
                    assertArrayEquals(sent.get(round * 200 + k), got.get(k), "frame " + (round * 200 + k) + " intact and in order");
            }
            assertEquals(2400, vf.counters().get(TX_PACKETS));
            assertEquals(tooBig, vf.counters().get(TX_DROP_TOO_BIG), "as the full path counts a frame the VF cannot take");
            assertEquals(2400 + tooBig, guest.counters().get(RX_PACKETS));
            await(() -> { synchronized (pmd.lock) { return vf.freeTxChunks() == 1024; } }, 3000,
                    () -> vf.freeTxChunks() + " of 1024 transmit chunks back: each one lent comes back, used or not");

            // steady state (after bursts that let the JIT compile the path): bursts through the direct path allocate nothing
            byte[] fr = testFrame(7, 64);
            long allocated = 0, m0 = allocatedBytes(), measuring = allocatedBytes() - m0;   // what a reading itself allocates
            for (int r = 0; r < 2000; r++) {
                for (int k = 0; k < 32; k++) assertTrue(f.send(0, fr));   // the test's guest allocates; the relay may not
                synchronized (pmd.lock) {
                    long before = allocatedBytes();
                    for (int got = 0, n; got < 32; got += n) assertTrue((n = vf.relayFrom(guest, 0, 0)) >= 0);
                    if (r >= 1800) allocated += allocatedBytes() - before - measuring;
                    idleLoop(vf);
                }
                farReceive(32);
            }
            // less than one object per burst (a recompilation while measuring can show as a few hundred bytes once)
            assertTrue(allocated < 200 * 16, allocated + " bytes allocated by 200 relayed bursts");
        }
    }

    /**
     * Two PMD threads relay a two-queue guest into one AF_XDP port at once (each on its own queue, as a multiqueue
     * relay placed on two threads): the tx ring is never shared, a burst that finds it taken goes the full path (and
     * is dropped as tx ring busy there), and every frame is accounted for: sent once, intact, or counted as a drop.
     */
    @Test
    void twoThreadsRelayingIntoOnePortNeverShareItsChunksAndAccountForEveryFrame() throws Exception {
        veth();
        VhostUserPort guest = pmd.own(new VhostUserPort("vm", 1, dir.resolve("mq.sock").toString(), VhostUserEndpoint.Mode.SERVER, 2,
                true, false, true, 0, pmd.quiescence, null));
        guest.start();
        vf.setTransmitThreads(2);
        try (TestFrontend f = TestFrontend.connect(dir.resolve("mq.sock").toString(), TestFrontend.Options.defaults().pairs(2)).start()) {
            int rounds = 60, perRound = 200;
            java.util.concurrent.atomic.AtomicLong direct = new java.util.concurrent.atomic.AtomicLong(), full = new java.util.concurrent.atomic.AtomicLong();
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            int seq = 0;
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < perRound; k++, seq++) assertTrue(f.send(seq & 1, testFrame(seq, 64 + seq % 200)));
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                Thread[] pmds = new Thread[2];
                for (int t = 0; t < 2; t++) {
                    int q = t;
                    pmds[t] = new Thread(() -> {            // a PMD thread's loop for its queue: direct first, else the full path
                        PacketBatch own = new PacketBatch();
                        int[] all = new int[PacketBatch.BURST];
                        for (int i = 0; i < all.length; i++) all[i] = i;
                        try { go.await(); } catch (InterruptedException e) { return; }
                        for (int taken = 0, idle = 0; taken < perRound / 2 && idle < 100_000; ) {
                            int n = vf.relayFrom(guest, q, q);
                            if (n >= 0) direct.addAndGet(n);
                            else {
                                n = guest.receive(q, own, q);
                                if (n > 0) { vf.transmit(q, own, all, n); full.addAndGet(n); }
                                own.reset();
                            }
                            taken += n;
                            idle = n == 0 ? idle + 1 : 0;
                            if (HeldTx.any(q)) HeldTx.flushDue(q, n > 0 ? System.nanoTime() : Long.MAX_VALUE / 2);
                        }
                        if (HeldTx.any(q)) HeldTx.flushDue(q, Long.MAX_VALUE / 2);   // as an idle loop
                    });
                    pmds[t].start();
                }
                go.countDown();
                for (Thread t : pmds) t.join();
                var extra = vf.extraCounters();
                long sent = vf.counters().get(TX_PACKETS), busy = extra.get("tx_dropped(tx ring busy)"), kfull = extra.get("tx_dropped(kernel queue full)");
                assertEquals((long) seq, sent + busy + kfull, "round " + r + ": sent " + sent + ", busy " + busy + ", full " + kfull);
                for (byte[] fr : farReceive((int) (sent - seen.size()))) {
                    int s = seqIfTest(MemorySegment.ofArray(fr), 0);
                    assertArrayEquals(testFrame(s, fr.length), fr, "frame " + s + " intact");
                    assertTrue(seen.add(s), "frame " + s + " arrived once");
                }
            }
            assertEquals(vf.counters().get(TX_PACKETS), seen.size(), "every frame counted as sent arrived");
            assertEquals((long) seq, direct.get() + full.get(), "every frame the guest sent was taken");
            assertTrue(direct.get() > 0, "the direct path ran");
            await(() -> vf.freeTxChunks() == 1024, 3000, () -> vf.freeTxChunks() + " of 1024 transmit chunks back");
        }
    }

    @Test
    void aChecksumTheGuestLeftToTheDeviceIsCompletedInTheChunk() throws Exception {
        veth();
        VhostUserPort guest = guestPort("cs.sock");
        try (TestFrontend f = TestFrontend.connect(dir.resolve("cs.sock").toString()).alsoWant(VirtioFeatures.bit(VirtioFeatures.NET_F_CSUM)).start()) {
            assertTrue((f.features() & VirtioFeatures.bit(VirtioFeatures.NET_F_CSUM)) != 0, "CSUM negotiated");
            byte[] want = udpFrame(200);
            byte[] partial = want.clone();
            putShort(partial, 40, pseudoSum(want));          // what a stack leaves for the device: the pseudo-header sum
            byte[] hdr = new byte[TestFrontend.NET_HDR];
            hdr[0] = 1;                                       // NEEDS_CSUM
            putLe(hdr, 6, 34);                                // csum_start: the UDP header
            putLe(hdr, 8, 6);                                 // csum_offset: its checksum field
            byte[] whole = new byte[hdr.length + partial.length];
            System.arraycopy(hdr, 0, whole, 0, hdr.length);
            System.arraycopy(partial, 0, whole, hdr.length, partial.length);
            assertTrue(f.tx(0).send(whole));
            assertEquals(1, relay(guest, 1));
            List<byte[]> got = farReceive(1);
            assertEquals(1, got.size());
            assertArrayEquals(want, got.get(0), "the UDP checksum completed as a NIC would");
            assertEquals(1, vf.counters().get(TX_CSUM_COMPLETED));
        }
    }

    @Test
    void aGuestThatSendsGsoFramesIsLeftToTheFullPathWithNothingTaken() throws Exception {
        veth();
        VhostUserPort guest = guestPort("gso.sock");
        long tso = VirtioFeatures.bit(VirtioFeatures.NET_F_CSUM) | VirtioFeatures.bit(VirtioFeatures.NET_F_HOST_TSO4);
        try (TestFrontend f = TestFrontend.connect(dir.resolve("gso.sock").toString()).alsoWant(tso).start()) {
            assertEquals(tso, f.features() & tso, "TSO negotiated");
            assertTrue(f.send(0, testFrame(1, 100)));
            synchronized (pmd.lock) {
                assertEquals(-1, vf.relayFrom(guest, 0, 0));
                assertEquals(0, guest.counters().get(RX_PACKETS), "nothing taken");
                PacketBatch b = new PacketBatch();
                int n = 0;
                for (long end = System.nanoTime() + 5_000_000_000L; n == 0 && System.nanoTime() < end; ) n = guest.receive(0, b, 0);
                assertEquals(1, n, "the frame is still there for the full path");
                assertEquals(1, seqIfTest(b.data, b.off[0]));
            }
            synchronized (pmd.lock) { assertEquals(1024, vf.freeTxChunks(), "the chunks lent for the burst came back"); }
        }
    }

    /** Ethernet/IPv4/UDP, 10.0.0.1:1000 -> 10.0.0.2:2000, len bytes in all, a correct UDP checksum. */
    private static byte[] udpFrame(int len) {
        byte[] f = testFrame(0, len);
        f[12] = 0x08; f[13] = 0;
        f[14] = 0x45; putShort(f, 16, len - 14); f[22] = 64; f[23] = 17;
        f[26] = 10; f[29] = 1; f[30] = 10; f[33] = 2;
        putShort(f, 24, ~(int) fold(sum(f, 14, 20)) & 0xffff);
        putShort(f, 34, 1000); putShort(f, 36, 2000); putShort(f, 38, len - 34); putShort(f, 40, 0);
        int c = ~(int) fold(pseudoSum(f) + sum(f, 34, len - 34)) & 0xffff;
        putShort(f, 40, c == 0 ? 0xffff : c);
        return f;
    }

    private static int pseudoSum(byte[] f) {
        long s = sum(f, 26, 8) + 17 + (f.length - 34);
        return (int) fold(s);
    }

    private static long sum(byte[] f, int off, int n) {
        return Checksum.sum(MemorySegment.ofArray(f), off, n);
    }

    private static long fold(long s) { return Checksum.fold(s); }

    private static void putShort(byte[] f, int at, int v) { f[at] = (byte) (v >>> 8); f[at + 1] = (byte) v; }

    private static void putLe(byte[] f, int at, int v) { f[at] = (byte) v; f[at + 1] = (byte) (v >>> 8); }
}
