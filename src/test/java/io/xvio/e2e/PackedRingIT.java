package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packed virtqueues (VIRTIO_F_RING_PACKED) end to end: DPDK testpmd's virtio-user driver with
 * {@code packed_vq=1} in a closed loop through xvio (every packet taken and forwarded, counters agreeing on both
 * sides), and two QEMU guests with {@code packed=on} pinging each other through xvio without loss.
 */
@Tag("e2e")
class PackedRingIT {
    static final Duration BOOT = Duration.ofSeconds(120);

    static boolean testpmd() {
        return !"false".equals(System.getProperty("xvio.e2e")) && Testpmd.available();
    }

    static boolean qemu() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available();
    }

    /** The port's block of `show`, which lists its negotiated features. */
    static String portBlock(String show, String port) {
        int at = show.indexOf(": " + port + " type=");
        assertTrue(at >= 0, "no port " + port + " in:\n" + show);
        int end = show.indexOf("\n  port ", at);
        return show.substring(at, end < 0 ? show.length() : end);
    }

    /** How long a port may receive nothing while forwarding before the loop counts as stalled (not just slow). */
    static final Duration STALL = Duration.ofSeconds(10);

    /**
     * testpmd's closed loop over packed rings. 16 bursts of 32 per port go out first, but testpmd's transmit
     * ring holds 256, so exactly 256 packets per direction circulate; when forwarding stops they all end up
     * delivered into testpmd's receive rings, which it no longer polls (hence the allowance below).
     *
     * <p>A loaded 2-CPU machine (QEMU guests, other builds) can hold testpmd or xvio's PMD thread off the CPU for
     * a long while, and xvio's datapath is still being compiled when the loop starts: the loop runs at least 2 s
     * and until 20,000 packets came back on each port, and only a port that receives nothing for {@link #STALL}
     * fails it, with both sides' counters. Midway xvio is stopped for 300 ms (what a descheduled PMD thread looks
     * like): testpmd's transmit rings fill and its receive rings are refilled, so xvio then hands back a whole
     * ring of used descriptors at once, across the end of the ring; the driver must see all of them.
     */
    @ParameterizedTest(name = "{0}-byte frames, mrg_rxbuf={1}, in_order={2}")
    @CsvSource({"64,1,1", "64,0,0", "1500,1,0", "1500,0,1"})
    @EnabledIf("io.xvio.e2e.PackedRingIT#testpmd")
    void testpmdClosedLoopOverPackedRings(int frame, int mrg, int inOrder, @TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, packed(TestpmdLoopbackIT.config(dir, TestpmdLoopbackIT.CROSS, "true")));
             Testpmd gen = Testpmd.builder()
                     .virtioUser(dir + "/a.sock", "packed_vq=1", "mrg_rxbuf=" + mrg, "in_order=" + inOrder)
                     .virtioUser(dir + "/b.sock", "packed_vq=1", "mrg_rxbuf=" + mrg, "in_order=" + inOrder)
                     .txpkts(frame).workDir(dir).start()) {
            assertTrue(xvio.awaitLog("port vhB: memory table", Duration.ofSeconds(20)), xvio::log);
            String show = xvio.call("show");
            for (String port : new String[] {"vhA", "vhB"}) {
                String block = portBlock(show, port);
                assertTrue(block.contains("RING_PACKED"), "testpmd negotiated packed rings on " + port + ":\n" + block);
                // with IN_ORDER a transmit burst comes back as one used descriptor (the driver frees up to its id)
                assertEquals(inOrder == 1, block.contains("IN_ORDER"), "in_order=" + inOrder + " on " + port + ":\n" + block);
            }
            gen.startTxFirst(16);
            Map<Integer, Testpmd.PortStats> before = forward(gen, xvio, Duration.ofSeconds(2), 20_000, null);
            signal(xvio, "STOP");
            Thread.sleep(300);
            signal(xvio, "CONT");
            forward(gen, xvio, Duration.ofSeconds(1), 20_000, before);
            gen.stopForwarding();
            Map<Integer, Testpmd.PortStats> tp = drain(gen, xvio);
            String ctx = "testpmd " + tp + "\nxvio:\n" + xvio.call("stats") + "\n" + xvio.call("show") + "\n" + xvio.log();

            long sentA = tp.get(0).txPackets(), sentB = tp.get(1).txPackets();
            assertTrue(sentA > 40_000 && sentB > 40_000, "traffic flowed both ways\n" + ctx);
            assertEquals(sentA, xvio.counter("vhA", "rx_packets"), ctx);
            assertEquals(sentB, xvio.counter("vhB", "rx_packets"), ctx);
            assertEquals(sentA, xvio.counter("vhB", "tx_packets"), ctx);
            assertEquals(sentB, xvio.counter("vhA", "tx_packets"), ctx);
            assertEquals(tp.get(0).txBytes(), xvio.counter("vhA", "rx_bytes"), ctx);
            assertEquals(tp.get(1).txBytes(), xvio.counter("vhB", "rx_bytes"), ctx);
            assertEquals((long) frame * sentA, xvio.counter("vhA", "rx_bytes"), "frames kept their size\n" + ctx);
            assertEquals(0, xvio.counter("vhA", "dropped") + xvio.counter("vhB", "dropped"), ctx);
            // testpmd received them back: all but those still in its receive rings when forwarding stopped
            assertTrue(tp.get(1).rxPackets() <= sentA && tp.get(1).rxPackets() >= sentA - 1024, ctx);
            assertTrue(tp.get(0).rxPackets() <= sentB && tp.get(0).rxPackets() >= sentB - 1024, ctx);
            assertEquals(0, tp.get(0).rxErrors() + tp.get(1).rxErrors(), ctx);
            assertFalse(xvio.log().contains("queue stopped"), "no queue faulted\n" + xvio.log());
        }
    }

    /**
     * Lets testpmd forward for at least min and until each port received count more packets than in since (or
     * than 0); fails if a port receives nothing for {@link #STALL}, or the whole takes over 2 minutes.
     * Returns the last port stats.
     */
    static Map<Integer, Testpmd.PortStats> forward(Testpmd gen, XvioDaemon xvio, Duration min, long count,
                                                   Map<Integer, Testpmd.PortStats> since) throws Exception {
        long start = System.nanoTime(), deadline = start + Duration.ofMinutes(2).toNanos();
        long[] base = {since == null ? 0 : since.get(0).rxPackets(), since == null ? 0 : since.get(1).rxPackets()};
        long[] last = {-1, -1}, lastChange = {start, start};
        while (true) {
            Thread.sleep(250);
            Map<Integer, Testpmd.PortStats> tp = gen.portStats();
            long now = System.nanoTime();
            boolean enough = now - start >= min.toNanos();
            for (int port = 0; port < 2; port++) {
                long rx = tp.get(port).rxPackets();
                if (rx != last[port]) { last[port] = rx; lastChange[port] = now; }
                enough &= rx - base[port] >= count;
                if (now - lastChange[port] > STALL.toNanos())
                    fail("port " + port + " received nothing for " + STALL.toSeconds() + " s while forwarding: stalled\ntestpmd "
                            + tp + "\nxvio:\n" + xvio.call("stats") + "\n" + xvio.log());
            }
            if (enough) return tp;
            if (now > deadline) fail("the loop is too slow: " + tp + "\nxvio:\n" + xvio.call("stats"));
        }
    }

    /** kill -SIG xvio (STOP, CONT). */
    static void signal(XvioDaemon xvio, String sig) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(xvio.pid())).inheritIO().start();
        assertEquals(0, k.waitFor(), "kill -" + sig);
    }

    /**
     * After testpmd stopped: waits (up to 15 s) until xvio took every packet testpmd put on its transmit rings
     * and forwarded every packet it took, then returns testpmd's port stats. Unlike waiting for xvio's counters
     * to stand still for a moment, this does not mistake a PMD thread that the scheduler held off the CPU (a busy
     * 2-core machine), possibly with a burst in hand, for a drained ring; a ring that really stalls still fails
     * the comparisons that follow.
     */
    static Map<Integer, Testpmd.PortStats> drain(Testpmd gen, XvioDaemon xvio) throws Exception {
        Map<Integer, Testpmd.PortStats> tp = gen.portStats();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline && (xvio.counter("vhA", "rx_packets") < tp.get(0).txPackets()
                || xvio.counter("vhB", "rx_packets") < tp.get(1).txPackets()
                || xvio.counter("vhB", "tx_packets") + xvio.counter("vhB", "dropped") < xvio.counter("vhA", "rx_packets")
                || xvio.counter("vhA", "tx_packets") + xvio.counter("vhA", "dropped") < xvio.counter("vhB", "rx_packets"))) {
            Thread.sleep(50);
        }
        Thread.sleep(100);
        return gen.portStats();
    }

    @Test
    @EnabledIf("io.xvio.e2e.PackedRingIT#qemu")
    void twoPackedRingGuestsPingEachOtherWithoutLoss(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, packed(GuestsThroughXvioIT.config(dir, "server")));
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("pa").mac("52:54:00:00:01:01")
                     .ip("10.0.4.1/24").packed(true).serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("pb").mac("52:54:00:00:01:02")
                     .ip("10.0.4.2/24").packed(true).serve().workDir(dir.resolve("b")).start()) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            String show = xvio.call("show");
            for (String port : new String[] {"vh1", "vh2"}) {
                String block = portBlock(show, port);
                assertTrue(block.contains("RING_PACKED"), "the guest negotiated packed rings on " + port + ":\n" + block);
            }
            QemuGuest.PingResult ab = a.ping("10.0.4.2", 20, 0.1, Duration.ofSeconds(60));
            QemuGuest.PingResult ba = b.ping("10.0.4.1", 20, 0.1, Duration.ofSeconds(60));
            // 4000-byte pings: IP fragments, full-size frames both ways
            QemuGuest.ExecResult big = a.exec("ping -c 5 -i 0.2 -W 2 -s 4000 10.0.4.2 | tail -2", Duration.ofSeconds(60));
            String ctx = ab + " " + ba + "\n" + big.output() + "\n" + xvio.call("stats") + xvio.log();
            assertEquals(20, ab.sent(), ctx);
            assertEquals(0, ab.lost(), ctx);
            assertEquals(20, ba.sent(), ctx);
            assertEquals(0, ba.lost(), ctx);
            assertTrue(big.output().contains("5 packets transmitted, 5 received") || big.output().contains("5 packets transmitted, 5 packets received"), ctx);
            assertTrue(xvio.counter("vh1", "rx_packets") >= 40 && xvio.counter("vh2", "tx_packets") >= 40, ctx);
            assertFalse(xvio.log().contains("queue stopped"), "no queue faulted\n" + xvio.log());
        }
    }

    /** Packed rings are offered only on ports that ask for them. */
    static String packed(String config) {
        return config.replace("{type: vhostuser,", "{type: vhostuser, packed: true,");
    }
}
