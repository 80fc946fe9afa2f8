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
        }
    }

    @Test
    void learningSwitchForwardsBetweenTwoMacs(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, "", "true"));
             Testpmd gen = Testpmd.builder()
                     .virtioUser(dir + "/a.sock", "mac=02:00:00:00:00:0a")
                     .virtioUser(dir + "/b.sock", "mac=02:00:00:00:00:0b")
                     .macCrossConnect("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                     .txpkts(64).workDir(dir).start()) {
            assertTrue(xvio.awaitLog("port vhB: memory table", java.time.Duration.ofSeconds(20)), xvio::log);
            gen.startTxFirst(16);
            Thread.sleep(2000);
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
