package io.xvio.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * pmd-auto-lb moves queues by load, losing and duplicating nothing. Two PMD threads ({@code pmd-cpus: [0, 1]}), five
 * polled queues: relay r1 (vhost with 2 queue pairs, testpmd uses one) and an idle relay r2 whose directions are
 * pinned (cpus: vm-to-vf on CPU 1, vf-to-vm on CPU 0) and must stay there, as must an idle bridge port pinned with
 * {@code pmd-cpu: 0}. The initial placement (pins first, then
 * each queue to the thread with the fewest) puts r1's two busy directions (vhost rxq0 and the VF's rxq0) on one thread. The VF's peer, in a namespace, sends every frame straight
 * back (tc mirred hairpin) and testpmd (io forwarding) sends every frame back too: a closed loop of 192 frames.
 * Within two balancing intervals the busy directions must sit on different threads; at the end the hairpin is
 * removed and the loop drains into the namespace: testpmd's TX - RX must be exactly the 192 frames injected.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.RelayPlacementIT#enabled")
class RelayPlacementIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final NetLab lab = new NetLab();

    static boolean enabled() {
        return RelayIT.enabled() && io.xvio.sys.Affinity.allowedCpus().containsAll(java.util.List.of(0, 1));
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    /** The PMD thread id polling port/rxq queue, from pmd-rxq-show --format json (-1: none). */
    private static int threadOf(JsonNode show, String port, int queue) {
        int found = -1;
        for (JsonNode t : show.get("pmds"))
            for (JsonNode q : t.get("queues"))
                if (q.get("port").asText().equals(port) && q.get("queue").asInt() == queue) {
                    assertEquals(-1, found, port + " rxq" + queue + " is polled by two threads: " + show);
                    found = t.get("id").asInt();
                }
        return found;
    }

    private static int cpuOf(JsonNode show, int pmd) {
        for (JsonNode t : show.get("pmds")) if (t.get("id").asInt() == pmd) return t.get("cpu").asInt();
        return -1;
    }

    @Test
    void twoBusyQueuesOnOneThreadEndOnTwoWithinTwoIntervalsLosingNothing(@TempDir Path dir) throws Exception {
        String ns = lab.netns();
        String a = lab.name("xpa"), b = lab.name("xpb"), c = lab.name("xpc"), d = lab.name("xpd");
        lab.veth(a, b);
        lab.move(b, ns);
        lab.veth(c, d);
        for (String x : new String[] {a, c, d}) lab.quietIpv6(null, x);
        lab.quietIpv6(ns, b);
        lab.up(null, a);
        lab.up(null, c);
        lab.up(null, d);
        lab.up(ns, b);
        // the namespace end sends every frame it receives straight back
        NetLab.ok("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", b, "ingress");
        NetLab.ok("ip", "netns", "exec", ns, "tc", "filter", "add", "dev", b, "ingress", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", b);
        String yaml = """
                pmd-cpus: [0, 1]
                pmd-idle: adaptive
                pmd-auto-lb: {interval: 2, improvement-threshold: 25}
                bridges:
                  br0:
                    ports:
                      p1: {type: vhostuser, path: %s/p1.sock, queues: 1, pmd-cpu: 0}
                relays:
                  r1: {vhost: {path: %s/r1.sock, queues: 2}, vf: {device: %s, type: afpacket}}
                  r2: {vhost: {path: %s/r2.sock}, vf: {device: %s, type: afpacket}, cpus: {vm-to-vf: 1, vf-to-vm: 0}}
                """.formatted(dir, dir, a, dir, c);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             Testpmd vm = Testpmd.builder().virtioUser(dir + "/r1.sock").workDir(dir).start()) {
            assertTrue(xvio.awaitLog("r1:vhost: memory table", Duration.ofSeconds(20)), xvio::log);
            JsonNode before = JSON.readTree(xvio.call("pmd-rxq-show", "--format=json"));
            assertEquals(threadOf(before, "r1:vhost", 0), threadOf(before, "r1:vf", 0), "both busy directions start on one thread: " + before);
            vm.clearStats();
            vm.startTxFirst(6);                           // 192 frames in the loop (virtio-user's ring has 256 entries)
            long start = System.nanoTime();
            JsonNode now = before;
            while (System.nanoTime() - start < Duration.ofSeconds(2 * 2 + 1).toNanos()) {
                Thread.sleep(250);
                now = JSON.readTree(xvio.call("pmd-rxq-show", "--format=json"));
                // both polled (a queue in its two-phase move is on no thread for a moment) and on different threads
                int v = threadOf(now, "r1:vhost", 0), f = threadOf(now, "r1:vf", 0);
                if (v != -1 && f != -1 && v != f) break;
            }
            String ctx = xvio.call("pmd-rxq-show") + xvio.call("show-relays") + xvio.log();
            assertNotEquals(threadOf(now, "r1:vhost", 0), threadOf(now, "r1:vf", 0), "the busy directions end on different threads within two intervals\n" + ctx);
            for (String[] q : new String[][] {{"r1:vhost", "0"}, {"r1:vhost", "1"}, {"r1:vf", "0"}, {"r2:vhost", "0"}, {"r2:vf", "0"}})
                assertNotEquals(-1, threadOf(now, q[0], Integer.parseInt(q[1])), q[0] + " rxq" + q[1] + " is still polled\n" + ctx);
            assertTrue(now.get("moves").asLong() >= 1, ctx);
            for (JsonNode show : new JsonNode[] {before, now}) {     // r2's pinned directions never move
                assertEquals(1, cpuOf(show, threadOf(show, "r2:vhost", 0)), ctx);
                assertEquals(0, cpuOf(show, threadOf(show, "r2:vf", 0)), ctx);
                assertEquals(0, cpuOf(show, threadOf(show, "p1", 0)), "a bridge port pinned with pmd-cpu stays too\n" + ctx);
            }
            Thread.sleep(1500);                           // the loop keeps running after the move
            JsonNode running = JSON.readTree(xvio.call("show-relays", "r1", "--format=json")).get("relays").get(0).get("directions");
            assertTrue(running.get(0).get("rate_pps").asLong() > 0 && running.get(1).get("rate_pps").asLong() > 0,
                    "both directions show a rate while the loop runs: " + running);
            // drain: without the hairpin every frame ends in the namespace
            NetLab.ok("ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", b, "ingress");
            Thread.sleep(1500);
            String fwd = vm.stopForwarding();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("TX-dropped:\\s*(\\d+)").matcher(fwd);
            long testpmdDropped = -1;
            while (m.find()) testpmdDropped = Long.parseLong(m.group(1));      // the last one: all ports
            assertEquals(0, testpmdDropped, "testpmd itself dropped nothing (its ring had room):\n" + fwd);
            Map<Integer, Testpmd.PortStats> st = vm.portStats();
            ctx = st + "\n" + xvio.call("show-relays") + xvio.call("pmd-rxq-show");
            assertTrue(st.get(0).rxPackets() > 5 * 192, "the loop went round several times\n" + ctx);
            assertEquals(192, st.get(0).txPackets() - st.get(0).rxPackets(), "no frame lost or duplicated in the loop\n" + ctx);
            JsonNode rel = JSON.readTree(xvio.call("show-relays", "r1", "--format=json")).get("relays").get(0).get("directions");
            long up = rel.get(0).get("packets").asLong(), down = rel.get(1).get("delivered").asLong();
            assertEquals(192, up - down, "the relay saw the same: vm-to-vf received - vf-to-vm delivered\n" + ctx);
            assertEquals(0, rel.get(0).get("dropped").asLong() + rel.get(1).get("dropped").asLong(), ctx);
        }
    }
}
