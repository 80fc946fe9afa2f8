package io.xvio.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Relays end to end through the real {@code bin/xvio}: testpmd as the VM's virtio driver (virtio-user, no hugepages)
 * on a relay's vhost-user side, a veth as its VF side (afpacket or afxdp) whose peer is in a namespace this test
 * makes. Frames are counted on every side: testpmd's port counters, the namespace's interface counters and
 * {@code show-relays --format json}.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.RelayIT#enabled")
class RelayIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final NetLab lab = new NetLab();

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && Testpmd.available() && NetLab.available();
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    private long nsRx(String ns, String dev) {
        return Long.parseLong(lab.exec(ns, "cat", "/sys/class/net/" + dev + "/statistics/rx_packets").output().strip());
    }

    private static JsonNode direction(XvioDaemon xvio, String relay, String dir) throws Exception {
        JsonNode r = JSON.readTree(xvio.call("show-relays", relay, "--format=json")).get("relays").get(0);
        for (JsonNode d : r.get("directions")) if (d.get("name").asText().equals(dir)) return d;
        throw new AssertionError("no direction " + dir + " in " + r);
    }

    private static void await(String what, Duration t, java.util.concurrent.Callable<Boolean> cond, java.util.function.Supplier<String> ctx) throws Exception {
        long end = System.nanoTime() + t.toNanos();
        while (System.nanoTime() < end) {
            if (cond.call()) return;
            Thread.sleep(100);
        }
        fail(what + " within " + t + "\n" + ctx.get());
    }

    /** The VF side: veth a here (xvio's), b in a fresh namespace, both quiet (no IPv6 chatter). */
    private String[] vf(String type) {
        String ns = lab.netns();
        String a = lab.name("xra"), b = lab.name("xrb");
        lab.veth(a, b);
        lab.move(b, ns);
        if (type.equals("afxdp")) {
            NetLab.ok("ip", "-n", ns, "link", "set", b, "gso_max_segs", "1");
            lab.exec(ns, "ethtool", "-K", b, "tx", "off", "tso", "off", "gso", "off");
        }
        lab.quietIpv6(null, a);
        lab.quietIpv6(ns, b);
        lab.address(ns, b, "10.92.0.2/24");
        lab.up(null, a);
        return new String[] {ns, a, b};
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"afpacket", "afxdp"})
    void aRelayCarriesFramesBothWaysCountedOnEverySide(String type, @TempDir Path dir) throws Exception {
        String[] v = vf(type);
        String ns = v[0], a = v[1], b = v[2];
        String yaml = """
                pmd-idle: adaptive
                relays:
                  r1: {vhost: {path: %s/r1.sock}, vf: {device: %s, type: %s}}
                """.formatted(dir, a, type);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             // io forwarding on one port: every frame the VM side receives goes straight back out
             Testpmd vm = Testpmd.builder().virtioUser(dir + "/r1.sock", "mac=02:00:00:00:00:0a").workDir(dir).start()) {
            assertTrue(xvio.awaitLog("r1:vhost: memory table", Duration.ofSeconds(20)), xvio::log);
            String text = xvio.call("show-relays");
            assertTrue(text.contains("relay r1: vhost " + dir + "/r1.sock") && text.contains("<-> vf " + a + " (" + type), text);
            long rx0 = nsRx(ns, b);
            vm.clearStats();
            vm.startTxFirst(1);                                   // 32 frames VM -> VF
            await("32 frames reach the namespace", Duration.ofSeconds(10), () -> nsRx(ns, b) - rx0 >= 32, () -> safe(xvio, "show-relays"));
            // 20 pings VF -> VM, to the VM's MAC; testpmd sends each back: 20 more frames VM -> VF
            lab.exec(ns, "ip", "neigh", "replace", "10.92.0.1", "lladdr", "02:00:00:00:00:0a", "dev", b, "nud", "permanent");
            lab.exec(ns, "busybox", "ping", "-c", "20", "-i", "0.1", "-W", "1", "10.92.0.1");
            await("the 20 frames come back", Duration.ofSeconds(10), () -> nsRx(ns, b) - rx0 >= 52, () -> safe(xvio, "show-relays"));
            Thread.sleep(300);                                   // nothing more arrives
            String ctx = xvio.call("show-relays") + xvio.log();
            assertEquals(52, nsRx(ns, b) - rx0, "the namespace got 32 + 20 frames\n" + ctx);
            vm.stopForwarding();
            Map<Integer, Testpmd.PortStats> st = vm.portStats();
            assertEquals(20, st.get(0).rxPackets(), "the VM got the 20 pings\n" + ctx);
            assertEquals(52, st.get(0).txPackets(), ctx);
            JsonNode up = direction(xvio, "r1", "vm-to-vf"), down = direction(xvio, "r1", "vf-to-vm");
            assertEquals(52, up.get("packets").asLong(), ctx);
            assertEquals(52, up.get("delivered").asLong(), ctx);
            assertEquals(0, up.get("dropped").asLong(), ctx);
            assertEquals(20, down.get("packets").asLong(), ctx);
            assertEquals(20, down.get("delivered").asLong(), ctx);
            assertEquals(20 * 98, down.get("bytes").asLong(), "20 ICMP echo frames of 98 bytes\n" + ctx);
            assertEquals(0, down.get("dropped").asLong(), ctx);
            // the relay goes away at run time; its socket and interface are free again
            xvio.call("del-relay", "r1");
            assertEquals("no relays\n", xvio.call("show-relays"));
        }
    }

    /** packets pmd-rxq-show counted on port's receive queue q. */
    private static long rxqPackets(XvioDaemon xvio, String port, int q) throws Exception {
        long n = 0;
        for (JsonNode t : JSON.readTree(xvio.call("pmd-rxq-show", "--format=json")).get("pmds"))
            for (JsonNode x : t.get("queues"))
                if (x.get("port").asText().equals(port) && x.get("queue").asInt() == q) n += x.get("packets").asLong();
        return n;
    }

    @Test
    void aRelayCarriesBothQueuePairsOfAMultiqueueVmAndTakesItBackAfterAReconnect(@TempDir Path dir) throws Exception {
        String[] v = vf("afpacket");
        String ns = v[0], b = v[2];
        String yaml = """
                pmd-idle: adaptive
                relays:
                  r1: {vhost: {path: %s/r1.sock, queues: 2}, vf: {device: %s, type: afpacket}}
                """.formatted(dir, v[1]);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml)) {
            long rx0 = nsRx(ns, b);
            try (Testpmd vm = Testpmd.builder().queues(2).virtioUser(dir + "/r1.sock").workDir(dir).start()) {
                assertTrue(xvio.awaitLog("r1:vhost: memory table", Duration.ofSeconds(20)), xvio::log);
                vm.startTxFirst(1);                   // one burst of 32 on each queue
                await("64 frames reach the namespace", Duration.ofSeconds(10), () -> nsRx(ns, b) - rx0 >= 64, () -> safe(xvio, "pmd-rxq-show"));
                vm.stopForwarding();
            }
            assertEquals(32, rxqPackets(xvio, "r1:vhost", 0), xvio.call("pmd-rxq-show"));
            assertEquals(32, rxqPackets(xvio, "r1:vhost", 1), "the second queue pair is relayed too\n" + xvio.call("pmd-rxq-show"));
            // the VM side goes away and comes back (a restarted guest driver): the relay serves the new connection
            try (Testpmd vm = Testpmd.builder().virtioUser(dir + "/r1.sock").workDir(dir).start()) {
                await("the relay's vhost side is up again", Duration.ofSeconds(20),
                        () -> xvio.call("show-relays").matches("(?s)relay r1: vhost \\S+ \\(server, up,.*"), () -> safe(xvio, "show-relays"));
                vm.startTxFirst(1);
                await("32 more frames after the reconnect", Duration.ofSeconds(10), () -> nsRx(ns, b) - rx0 >= 96, () -> safe(xvio, "show-relays") + xvio.log());
                vm.stopForwarding();
            }
            Thread.sleep(300);
            assertEquals(96, nsRx(ns, b) - rx0, xvio.call("show-relays"));
            assertEquals(96, direction(xvio, "r1", "vm-to-vf").get("delivered").asLong(), xvio.call("show-relays"));
        }
    }

    @Test
    void badRelaysAtRunTimeGetClearErrors(@TempDir Path dir) throws Exception {
        String[] v = vf("afpacket");
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      p1: {type: vhostuser, path: %s/p1.sock}
                """.formatted(dir);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml)) {
            assertTrue(error(xvio, "add-relay", "r1", "vhost.path=" + dir + "/r1.sock", "vf.device=nosuchdev0", "vf.type=afpacket")
                    .contains("relay r1: vf device nosuchdev0 does not exist"));
            assertTrue(error(xvio, "add-relay", "p1", "vhost.path=" + dir + "/r1.sock", "vf.device=" + v[1], "vf.type=afpacket")
                    .contains("the name is a port's on bridge br0"));
            assertTrue(error(xvio, "add-relay", "r1", "vhost.path=" + dir + "/p1.sock", "vf.device=" + v[1], "vf.type=afpacket")
                    .contains("is used by port p1"));
            assertTrue(error(xvio, "add-relay", "r1", "vhost.path=" + dir + "/r1.sock", "vf.device=" + v[1], "vf.type=afpacket", "cpus.vm-to-vf=0")
                    .contains("CPU 0 is not available to PMD threads"));
            xvio.call("add-relay", "r1", "{vhost: {path: " + dir + "/r1.sock}, vf: {device: " + v[1] + ", type: afpacket}}");
            assertTrue(error(xvio, "add-port", "br0", "u1", "type=afpacket", "device=" + v[1]).contains("interface " + v[1] + " is used by relay r1"));
            assertTrue(error(xvio, "add-relay", "r1", "vhost.path=" + dir + "/r2.sock", "vf.device=lo", "vf.type=afpacket").contains("relay r1 already exists"));
            assertTrue(xvio.call("show-relays").contains("relay r1:"));
            assertTrue(xvio.call("pmd-rxq-show").contains("r1:vhost"), xvio.call("pmd-rxq-show"));
            assertTrue(error(xvio, "del-relay", "r9").contains("no relay named \"r9\""));
            assertTrue(error(xvio, "add-port", "br0", "p2", "type=vhostuser", "path=" + dir + "/p2.sock", "pmd-cpu=0")
                    .contains("p2.pmd-cpu: CPU 0 is not available to PMD threads"));
        }
    }

    static String safe(XvioDaemon xvio, String... cmd) {
        try {
            return xvio.call(cmd);
        } catch (java.io.IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    private static String error(XvioDaemon xvio, String... cmd) throws Exception {
        try {
            String out = xvio.call(cmd);
            throw new AssertionError(String.join(" ", cmd) + " should fail, got: " + out);
        } catch (java.io.IOException e) {
            return e.getMessage();
        }
    }
}
