package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Flows changed at runtime through the CLI (bin/xvio add-flow, del-flows, mod-flows, dump-flows, add-port,
 * del-port) while testpmd's closed loop runs through xvio: every change takes effect on the packets after it,
 * nothing else is lost, counters add up, and bad requests fail with a message and a non-zero exit status.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.TestpmdLoopbackIT#enabled")
class RuntimeFlowsIT {
    record Cli(int rc, String out) {}

    static Cli cli(XvioDaemon d, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(XvioDaemon.home().resolve("bin/xvio").toString()));
        cmd.addAll(List.of(args));
        cmd.add("--control=" + d.controlSocket());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return new Cli(p.exitValue(), out);
    }

    static long sum(XvioDaemon d, String port, String counter) throws Exception { return d.counter(port, counter); }

    /** n_packets of the one flow a dump-flows output shows. */
    static long packetsOfFlow(String dump) {
        assertEquals(1, dump.lines().count(), dump);
        return Long.parseLong(dump.replaceAll("(?s).*n_packets=(\\d+).*", "$1"));
    }

    @Test
    void flowsChangeUnderTrafficWithoutLosingAnythingElse(@TempDir Path dir) throws Exception {
        String cfg = TestpmdLoopbackIT.config(dir, TestpmdLoopbackIT.CROSS, "true");
        try (XvioDaemon xvio = XvioDaemon.start(dir, cfg);
             Testpmd gen = Testpmd.builder().virtioUser(dir + "/a.sock").virtioUser(dir + "/b.sock").txpkts(64).workDir(dir).start()) {
            assertTrue(xvio.awaitLog("port vhB: memory table", java.time.Duration.ofSeconds(20)), xvio::log);
            gen.startTxFirst(16);
            Thread.sleep(1000);
            Cli dump = cli(xvio, "dump-flows", "br0");
            assertEquals(0, dump.rc(), dump.out());
            assertTrue(dump.out().matches("(?s).*n_packets=[1-9]\\d*.*in_port=1 actions=output:2.*"), dump.out());

            // delete the A->B flow mid-traffic: B stops receiving, A's packets are counted as unmatched drops
            Cli del = cli(xvio, "del-flows", "br0", "in_port=1");
            assertEquals(0, del.rc(), del.out());
            Thread.sleep(300);
            long bTx1 = sum(xvio, "vhB", "tx_packets");
            Thread.sleep(500);
            assertEquals(bTx1, sum(xvio, "vhB", "tx_packets"), "nothing reaches B without the flow");
            assertTrue(cli(xvio, "dump-flows", "br0").out().contains("in_port=2 actions=output:1"));
            assertFalse(cli(xvio, "dump-flows", "br0").out().contains("in_port=1 "));
            // the loop starved (A's packets are dropped), so restart it after adding the flow back
            Cli add = cli(xvio, "add-flow", "br0", "in_port=1,actions=output:2");
            assertEquals(0, add.rc(), add.out() + "\n" + xvio.log());
            gen.stopForwarding();
            gen.startTxFirst(16);
            Thread.sleep(500);
            long bTx2 = sum(xvio, "vhB", "tx_packets");
            Thread.sleep(500);
            assertTrue(sum(xvio, "vhB", "tx_packets") > bTx2 + 1000, "traffic resumed after add-flow\n" + xvio.call("stats"));

            // mod-flows: same match, new actions (send A's packets back to A); the flow's counters count on
            long hitsBefore = packetsOfFlow(cli(xvio, "dump-flows", "br0", "in_port=1").out());
            Cli mod = cli(xvio, "mod-flows", "br0", "in_port=1,actions=in_port");
            assertEquals(0, mod.rc(), mod.out() + "\n" + xvio.log());
            String modified = cli(xvio, "dump-flows", "br0").out();
            assertTrue(modified.contains("in_port=1 actions=IN_PORT"), modified);
            assertTrue(hitsBefore > 1000 && packetsOfFlow(cli(xvio, "dump-flows", "br0", "in_port=1").out()) >= hitsBefore,
                    "n_packets kept across mod-flows (" + hitsBefore + " before)\n" + modified);
            Thread.sleep(300);
            long aTx = sum(xvio, "vhA", "tx_packets");
            Thread.sleep(300);
            assertTrue(sum(xvio, "vhA", "tx_packets") > aTx, "A now receives its own packets back");
            gen.stopForwarding();

            // counters add up: what xvio took in was sent out or counted as dropped
            Thread.sleep(300);
            long in = sum(xvio, "vhA", "rx_packets") + sum(xvio, "vhB", "rx_packets");
            long out = sum(xvio, "vhA", "tx_packets") + sum(xvio, "vhB", "tx_packets");
            String stats = xvio.call("stats");
            long unmatched = Long.parseLong(stats.replaceAll("(?s).*dropped\\(no matching flow\\)=(\\d+).*", "$1"));
            assertEquals(in, out + unmatched + sum(xvio, "vhA", "dropped") + sum(xvio, "vhB", "dropped"), stats);
        }
    }

    @Test
    void badRequestsFailClearlyAndChangeNothing(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, TestpmdLoopbackIT.config(dir, TestpmdLoopbackIT.CROSS, "true"))) {
            String before = cli(xvio, "dump-flows", "br0").out().replaceAll("(duration|idle_age)=[0-9.]+s?", "");
            Cli bad = cli(xvio, "add-flow", "br0", "in_port=1,nw_src=10.0.0.1,actions=drop");
            assertNotEquals(0, bad.rc());
            assertTrue(bad.out().contains("nw_src") && bad.out().contains("position"), bad.out());
            Path file = dir.resolve("flows.txt");
            Files.writeString(file, "# two good, one bad: none is added\npriority=5,in_port=1,actions=drop\npriority=6,in_port=2,actions=drop\npriority=7,in_port=2,actions=output:99999\n");
            Cli many = cli(xvio, "add-flows", "br0", file.toString());
            assertNotEquals(0, many.rc());
            assertTrue(many.out().contains("flow 3"), many.out());
            assertEquals(before, cli(xvio, "dump-flows", "br0").out().replaceAll("(duration|idle_age)=[0-9.]+s?", ""), "tables unchanged");
            assertNotEquals(0, cli(xvio, "dump-flows", "nosuchbr").rc());
            assertTrue(cli(xvio, "dump-flows", "nosuchbr").out().contains("no bridge named \"nosuchbr\""));
            assertNotEquals(0, cli(xvio, "del-port", "br0", "ghost").rc());
            Cli badPort = cli(xvio, "add-port", "br0", "vhC", "type=vhostuser", "mode=sideways", "path=" + dir + "/c.sock");
            assertNotEquals(0, badPort.rc());
            assertTrue(badPort.out().contains("mode must be"), badPort.out());
            // the good file goes in whole
            Files.writeString(file, "priority=5,in_port=1,actions=drop\npriority=6,in_port=2,actions=drop\n");
            assertEquals(0, cli(xvio, "add-flows", "br0", file.toString()).rc());
            assertEquals(4, cli(xvio, "dump-flows", "br0").out().lines().count());
            Cli noDaemon = new Cli(0, "");
            Process p = new ProcessBuilder(XvioDaemon.home().resolve("bin/xvio").toString(), "stats", "--control=" + dir + "/none.sock").redirectErrorStream(true).start();
            String msg = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), msg);
            assertTrue(msg.contains("cannot reach the daemon"), msg);
        }
    }

    @Test
    void portsComeAndGoAtRuntime(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, TestpmdLoopbackIT.config(dir, "", "true"))) {
            Cli add = cli(xvio, "add-port", "br0", "vhC", "type=vhostuser", "path=" + dir + "/c.sock", "mode=server");
            assertEquals(0, add.rc(), add.out());
            assertTrue(cli(xvio, "show").out().contains("port 3: vhC type=vhostuser"), cli(xvio, "show").out());
            // testpmd on B and the new port C: the learning switch forwards between them
            try (Testpmd gen = Testpmd.builder()
                    .virtioUser(dir + "/b.sock", "mac=02:00:00:00:00:0a").virtioUser(dir + "/c.sock", "mac=02:00:00:00:00:0b")
                    .macCrossConnect("02:00:00:00:00:0a", "02:00:00:00:00:0b").txpkts(64).workDir(dir).start()) {
                assertTrue(xvio.awaitLog("port vhC: memory table", java.time.Duration.ofSeconds(20)), xvio::log);
                gen.startTxFirst(16);
                Thread.sleep(1000);
                gen.stopForwarding();
                assertTrue(sum(xvio, "vhC", "rx_packets") > 1000 && sum(xvio, "vhB", "tx_packets") > 1000, xvio.call("stats"));
                String ports = cli(xvio, "dump-ports", "br0").out();
                assertTrue(ports.contains("OFPST_PORT reply: 3 ports") && ports.contains("port  3 (vhC): rx pkts="), ports);
                assertEquals(0, cli(xvio, "del-port", "br0", "vhC").rc());
                assertTrue(xvio.awaitLog("port vhC: disconnected", java.time.Duration.ofSeconds(10)), xvio.log());
                assertFalse(cli(xvio, "show").out().contains("vhC"));
            }
        }
    }
}
