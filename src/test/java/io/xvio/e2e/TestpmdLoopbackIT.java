package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DPDK testpmd's virtio-user driver, two ports, closed loop through xvio (LAB.md rig, short runs): every
 * packet testpmd sends is taken by xvio and forwarded, nothing is dropped, and both sides' counters agree.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.TestpmdLoopbackIT#enabled")
class TestpmdLoopbackIT {
    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && Testpmd.available();
    }

    static String config(Path dir, String flows, String mergeable) {
        return """
                pmd-cpus: [1]
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vhA: {type: vhostuser, path: %s/a.sock, mode: server, ofport: 1, mergeable: %s}
                      vhB: {type: vhostuser, path: %s/b.sock, mode: server, ofport: 2, mergeable: %s}
                %s""".formatted(dir, mergeable, dir, mergeable, flows);
    }

    static final String CROSS = "    flows: [\"in_port=1,actions=output:2\", \"in_port=2,actions=output:1\"]\n";

    @ParameterizedTest(name = "{0}-byte frames, mrg_rxbuf={1}")
    @CsvSource({"64,1", "64,0", "1500,1", "1500,0"})
    void closedLoopThroughInPortFlows(int frame, int mrg, @TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, CROSS, "true"));
             Testpmd gen = Testpmd.builder()
                     .virtioUser(dir + "/a.sock", "mrg_rxbuf=" + mrg)
                     .virtioUser(dir + "/b.sock", "mrg_rxbuf=" + mrg)
                     .txpkts(frame).workDir(dir).start()) {
            assertTrue(xvio.awaitLog("port vhB: memory table", java.time.Duration.ofSeconds(20)), xvio::log);
            gen.startTxFirst(16);
            Thread.sleep(2000);
            gen.stopForwarding();
            Map<Integer, Testpmd.PortStats> tp = settle(gen, xvio);
            String ctx = "testpmd " + tp + "\nxvio:\n" + xvio.call("stats");

            long sentA = tp.get(0).txPackets(), sentB = tp.get(1).txPackets();
            assertTrue(sentA > 10_000 && sentB > 10_000, "traffic flowed both ways\n" + ctx);
            // xvio took every packet testpmd sent, and forwarded every one of them
            assertEquals(sentA, xvio.counter("vhA", "rx_packets"), ctx);
            assertEquals(sentB, xvio.counter("vhB", "rx_packets"), ctx);
            assertEquals(sentA, xvio.counter("vhB", "tx_packets"), ctx);
            assertEquals(sentB, xvio.counter("vhA", "tx_packets"), ctx);
            assertEquals(tp.get(0).txBytes(), xvio.counter("vhA", "rx_bytes"), ctx);
            assertEquals((long) frame * sentA, xvio.counter("vhA", "rx_bytes"), "frames kept their size\n" + ctx);
            assertEquals(0, xvio.counter("vhA", "dropped") + xvio.counter("vhB", "dropped"), ctx);
            // testpmd received them back: all but those still in its receive rings when forwarding stopped
            assertTrue(tp.get(1).rxPackets() <= sentA && tp.get(1).rxPackets() >= sentA - 1024, ctx);
            assertTrue(tp.get(0).rxPackets() <= sentB && tp.get(0).rxPackets() >= sentB - 1024, ctx);
            assertEquals(0, tp.get(0).rxErrors() + tp.get(1).rxErrors(), ctx);
            // the ports offer offloads (the default); testpmd asked for none and takes none: a peer without offloads
            String show = xvio.call("show");
            for (String p : new String[] {"vhA", "vhB"})
                assertTrue(PackedRingIT.portBlock(show, p).contains("offloads: none negotiated"), p + ": " + show);
        }
    }

    /**
     * NORMAL between two MACs (testpmd in mac mode); meanwhile {@code xvio capture vhA --count 1000 -w FILE} (issue 20)
     * takes 1,000 frames of the loop: tcpdump reads exactly 1,000, and each is byte for byte a frame testpmd sent
     * (its UDP header from --tx-ip/--tx-udp, one direction's MACs, 64 bytes).
     */
    @Test
    void learningSwitchForwardsBetweenTwoMacs(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, "", "true"));
             Testpmd gen = Testpmd.builder()
                     .virtioUser(dir + "/a.sock", "mac=02:00:00:00:00:0a")
                     .virtioUser(dir + "/b.sock", "mac=02:00:00:00:00:0b")
                     .macCrossConnect("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                     .app("--tx-ip=" + CAP_SRC + "," + CAP_DST, "--tx-udp=" + CAP_SPORT + "," + CAP_DPORT)
                     .txpkts(64).workDir(dir).start()) {
            assertTrue(xvio.awaitLog("port vhB: memory table", java.time.Duration.ofSeconds(20)), xvio::log);
            gen.startTxFirst(16);
            long t0 = System.nanoTime();
            captureThousandFrames(xvio, dir);
            Thread.sleep(Math.max(0, 2000 - (System.nanoTime() - t0) / 1_000_000));
            gen.stopForwarding();
            Map<Integer, Testpmd.PortStats> tp = settle(gen, xvio);
            String ctx = "testpmd " + tp + "\nxvio:\n" + xvio.call("stats") + xvio.call("fdb/show", "br0");
            long sentA = tp.get(0).txPackets();
            assertTrue(sentA > 10_000, ctx);
            assertEquals(sentA, xvio.counter("vhA", "rx_packets"), ctx);
            // once both MACs are learned nothing floods: B gets exactly what A sent
            assertEquals(sentA, xvio.counter("vhB", "tx_packets"), ctx);
            String fdb = xvio.call("fdb/show", "br0");
            assertTrue(fdb.matches("(?s).*\\s1\\s+0\\s+02:00:00:00:00:0a.*"), fdb);
            assertTrue(fdb.matches("(?s).*\\s2\\s+0\\s+02:00:00:00:00:0b.*"), fdb);
        }
    }

    static final String CAP_SRC = "198.51.100.1", CAP_DST = "198.51.100.2";
    static final int CAP_SPORT = 4660, CAP_DPORT = 22136;

    /**
     * bin/xvio capture vhA --count 1000 -w FILE while the loop runs: it ends by itself, tcpdump -r reads exactly 1,000
     * frames, all of them UDP CAP_SRC.CAP_SPORT > CAP_DST.CAP_DPORT; parsed from the file, each is 64 bytes, whole
     * (caplen = len), its first 42 bytes are testpmd's Ethernet/IPv4/UDP headers with one direction's MACs (A to B as
     * vhA receives, B to A as it sends; both directions are there) and its 22 payload bytes are those of every other.
     */
    static void captureThousandFrames(XvioDaemon xvio, Path dir) throws Exception {
        assertTrue(QemuGuest.onPath("tcpdump"), "tcpdump is not installed (scripts/env.sh installs it)");
        Path pcap = dir.resolve("vhA.pcap"), out = dir.resolve("capture.txt");
        Process cap = new ProcessBuilder(XvioDaemon.home().resolve("bin/xvio").toString(), "capture", "vhA", "--count", "1000",
                "--control", xvio.controlSocket(), "-w", pcap.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = cap.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        if (!done) cap.destroyForcibly().waitFor();
        String summary = java.nio.file.Files.readString(out);
        assertTrue(done, "capture --count 1000 ends by itself\n" + summary + xvio.log());
        assertEquals(0, cap.exitValue(), summary);
        assertTrue(summary.contains("1000 captured"), summary);

        io.xvio.testing.NetLab.Result r = io.xvio.testing.NetLab.run("tcpdump", "-nn", "-r", pcap.toString());
        assertEquals(0, r.rc(), r.output());
        java.util.List<String> lines = r.output().lines().filter(l -> !l.startsWith("reading from file") && !l.isBlank()).toList();
        assertEquals(1000, lines.size(), "tcpdump reads exactly 1,000 frames\n" + String.join("\n", lines.subList(0, Math.min(5, lines.size()))));
        String udp = CAP_SRC + "." + CAP_SPORT + " > " + CAP_DST + "." + CAP_DPORT + ": UDP, length 22";
        assertEquals(1000, lines.stream().filter(l -> l.contains(udp)).count(), "every frame is testpmd's\n" + lines.getFirst());

        byte[] f = java.nio.file.Files.readAllBytes(pcap);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(f).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        assertTrue(magic == 0xa1b23c4d || magic == 0xa1b2c3d4, "pcap magic " + Integer.toHexString(magic));
        assertEquals(1, b.getInt(20), "link type Ethernet");
        byte[] aToB = testpmdHeaders("02:00:00:00:00:0b", "02:00:00:00:00:0a"), bToA = testpmdHeaders("02:00:00:00:00:0a", "02:00:00:00:00:0b");
        int n = 0, fromA = 0, fromB = 0;
        byte[] payload = null;
        for (int at = 24; at < f.length; n++) {
            int caplen = b.getInt(at + 8), len = b.getInt(at + 12);
            assertEquals(64, len, "frame " + n + ": testpmd sent 64-byte frames");
            assertEquals(64, caplen, "frame " + n + " is whole");
            byte[] frame = java.util.Arrays.copyOfRange(f, at + 16, at + 16 + caplen);
            byte[] head = java.util.Arrays.copyOf(frame, 42);
            if (java.util.Arrays.equals(head, aToB)) fromA++;
            else if (java.util.Arrays.equals(head, bToA)) fromB++;
            else fail("frame " + n + " is not a frame testpmd sent:\n" + java.util.HexFormat.of().formatHex(head)
                    + "\nexpected\n" + java.util.HexFormat.of().formatHex(aToB) + "\nor\n" + java.util.HexFormat.of().formatHex(bToA));
            byte[] p = java.util.Arrays.copyOfRange(frame, 42, 64);
            if (payload == null) payload = p;
            assertArrayEquals(payload, p, "frame " + n + ": the payload of every frame testpmd sent");
            at += 16 + caplen;
        }
        assertEquals(1000, n, "1,000 records in the file");
        assertTrue(fromA > 0 && fromB > 0, "both directions of vhA: " + fromA + " A->B, " + fromB + " B->A");
    }

    /** The first 42 bytes testpmd's txonly engine writes into a 64-byte frame, with mac mode's addresses. */
    static byte[] testpmdHeaders(String dst, String src) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(42);
        java.util.HexFormat h = java.util.HexFormat.ofDelimiter(":");
        b.put(h.parseHex(dst)).put(h.parseHex(src)).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 50).putShort((short) 0).putShort((short) 0).put((byte) 64).put((byte) 17).putShort((short) 0);
        for (String ip : new String[] {CAP_SRC, CAP_DST}) for (String o : ip.split("\\.")) b.put((byte) Integer.parseInt(o));
        long s = 0;
        for (int i = 14; i < 34; i += 2) s += ((b.get(i) & 0xff) << 8) | (b.get(i + 1) & 0xff);
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        b.putShort(24, (short) ~s);
        b.putShort((short) CAP_SPORT).putShort((short) CAP_DPORT).putShort((short) 30).putShort((short) 0);
        return b.array();
    }

    /**
     * After testpmd stopped: waits (up to 15 s) until xvio has taken everything testpmd sent, then returns
     * testpmd's port stats. A stall would leave the counters apart and fail the caller's equality checks.
     */
    static Map<Integer, Testpmd.PortStats> settle(Testpmd gen, XvioDaemon xvio) throws Exception {
        Map<Integer, Testpmd.PortStats> tp = gen.portStats();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (xvio.counter("vhA", "rx_packets") == tp.get(0).txPackets() && xvio.counter("vhB", "rx_packets") == tp.get(1).txPackets()) break;
            Thread.sleep(100);
        }
        return gen.portStats();
    }
}
