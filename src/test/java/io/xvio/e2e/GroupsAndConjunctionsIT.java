package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Groups and conjunctive matches with real traffic: four network namespaces behind afpacket ports of one xvio
 * bridge (one daemon for every case). A conjunctive ACL lets the listed pairs ping and nobody else; a select
 * group spreads a client's TCP connections (HTTP requests) over two backends that share a virtual IP, each
 * connection staying on its backend; a fast_failover group moves traffic to the second backend when the first
 * one's interface goes down, and back when it returns. ~40 s.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.GroupsAndConjunctionsIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupsAndConjunctionsIT {
    private static final String VIP = "10.93.1.100";
    private final NetLab lab = new NetLab();
    private final String[] ns = new String[5], root = new String[5], mac = new String[5];
    private Path dir;
    private XvioDaemon xvio;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && QemuGuest.onPath("python3");
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-groups");
        StringBuilder ports = new StringBuilder();
        for (int i = 1; i <= 4; i++) {
            ns[i] = lab.netns();
            root[i] = lab.name("xga");
            String peer = lab.name("xgb");
            lab.veth(root[i], peer);
            lab.move(peer, ns[i]);
            lab.address(ns[i], peer, "10.93.0." + i + "/24");
            mac[i] = "02:93:00:00:00:0" + i;
            NetLab.ok("ip", "-n", ns[i], "link", "set", peer, "address", mac[i]);
            lab.up(null, root[i]);
            ports.append("      up").append(i).append(": {type: afpacket, device: ").append(root[i]).append(", ofport: ").append(i).append("}\n");
            if (i == 2 || i == 3) NetLab.ok("ip", "-n", ns[i], "addr", "add", VIP + "/32", "dev", peer);
        }
        // the client reaches the virtual IP through a MAC no host has: the groups rewrite it to a backend's
        NetLab.ok("ip", "-n", ns[1], "route", "add", VIP + "/32", "dev", peerOf(1));
        NetLab.ok("ip", "-n", ns[1], "neigh", "replace", VIP, "lladdr", "02:93:00:00:00:64", "dev", peerOf(1), "nud", "permanent");
        xvio = XvioDaemon.start(dir, "pmd-idle: adaptive\nbridges:\n  br0:\n    ports:\n" + ports);
        for (int i = 1; i <= 4; i++) UplinkPortsIT.awaitStatus(xvio, "up" + i, "up", Duration.ofSeconds(10));
    }

    /** The namespace-side veth of port i (the only non-lo interface there). */
    private String peerOf(int i) {
        String links = lab.exec(ns[i], "ip", "-o", "link", "show").output();
        Matcher m = Pattern.compile("\\d+: (xgb[^:@]+)[:@]").matcher(links);
        assertTrue(m.find(), links);
        return m.group(1);
    }

    @AfterAll
    void stop() throws Exception {
        if (xvio != null) xvio.close();
        lab.close();                                             // stops the HTTP servers by pid
        if (dir != null) try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private void table(List<String> groups, String... flows) throws Exception {
        xvio.call("del-flows", "br0");
        xvio.call("del-groups", "br0");
        for (String g : groups) xvio.call("add-group", "br0", g);
        String[] req = new String[flows.length + 2];
        req[0] = "add-flows";
        req[1] = "br0";
        System.arraycopy(flows, 0, req, 2, flows.length);
        xvio.call(req);
    }

    /** {sent, received} of a busybox ping from namespace i. */
    private int[] ping(int from, String addr, int count) {
        NetLab.Result r = lab.exec(ns[from], "busybox", "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", addr);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    @Test
    void aConjunctiveAclLetsTheListedPairsTalkAndNobodyElse() throws Exception {
        table(List.of(),
                "priority=300,arp,actions=NORMAL",
                // (source in {1, 2}) and (destination 3), and the replies: no cross product of the address sets
                "priority=200,ip,nw_src=10.93.0.1,actions=conjunction(1,1/2)",
                "priority=200,ip,nw_src=10.93.0.2,actions=conjunction(1,1/2)",
                "priority=200,ip,nw_dst=10.93.0.3,actions=conjunction(1,2/2)",
                "priority=200,ip,nw_src=10.93.0.3,actions=conjunction(2,1/2)",
                "priority=200,ip,nw_dst=10.93.0.1,actions=conjunction(2,2/2)",
                "priority=200,ip,nw_dst=10.93.0.2,actions=conjunction(2,2/2)",
                "priority=200,conj_id=1,ip,actions=NORMAL",
                "priority=200,conj_id=2,ip,actions=NORMAL",
                "priority=0,actions=drop");
        String ctx = xvio.call("dump-flows", "br0");
        assertEquals(5, ping(1, "10.93.0.3", 5)[1], "1 -> 3 allowed\n" + ctx);
        assertEquals(5, ping(2, "10.93.0.3", 5)[1], "2 -> 3 allowed\n" + ctx);
        assertEquals(5, ping(3, "10.93.0.1", 5)[1], "3 -> 1 allowed\n" + ctx);
        assertEquals(0, ping(1, "10.93.0.2", 3)[1], "1 -> 2 not in the ACL\n" + ctx);
        assertEquals(0, ping(4, "10.93.0.3", 3)[1], "4 -> 3 not in the ACL\n" + ctx);
    }

    @Test
    void aSelectGroupSpreadsTcpConnectionsOverTwoBackends() throws Exception {
        for (int b : new int[] {2, 3}) {
            Path www = dir.resolve("www" + b);
            Files.createDirectories(www);
            Files.writeString(www.resolve("id"), "backend" + b);
            lab.spawn(ns[b], dir.resolve("http" + b + ".log"), "python3", "-m", "http.server", "8080", "--bind", VIP, "--directory", www.toString());
        }
        // both backends must listen before any connection is spread: a slow start of one was seen refusing one
        String listening = """
                import socket, time
                for _ in range(200):
                    try:
                        socket.create_connection(("%s", 8080), timeout=1).close(); break
                    except OSError: time.sleep(0.05)
                else: raise SystemExit("not listening")
                """.formatted(VIP);
        for (int b : new int[] {2, 3}) assertEquals(0, lab.exec(ns[b], "python3", "-c", listening).rc(), "backend " + b + " listens");
        table(List.of("group_id=1,type=select,bucket=mod_dl_dst:" + mac[2] + ",output:2,bucket=mod_dl_dst:" + mac[3] + ",output:3"),
                "priority=100,in_port=1,ip,nw_dst=" + VIP + ",actions=group:1",
                "priority=100,in_port=2,ip,nw_src=" + VIP + ",actions=output:1",
                "priority=100,in_port=3,ip,nw_src=" + VIP + ",actions=output:1",
                "priority=0,actions=NORMAL");
        // 24 connections from new source ports; each gets a whole answer from one backend
        String script = """
                import urllib.request, time
                for _ in range(50):
                    try:
                        urllib.request.urlopen("http://%s:8080/id", timeout=1).read(); break
                    except Exception: time.sleep(0.1)
                for i in range(24):
                    print(urllib.request.urlopen("http://%s:8080/id", timeout=3).read().decode())
                """.formatted(VIP, VIP);
        NetLab.Result r = lab.exec(ns[1], "python3", "-c", script);
        String ctx = r.output() + "\n" + xvio.call("dump-group-stats", "br0") + xvio.call("stats") + xvio.log();
        assertEquals(0, r.rc(), ctx);
        List<String> answers = r.output().lines().filter(l -> l.startsWith("backend")).toList();
        assertEquals(24, answers.size(), ctx);
        long two = answers.stream().filter("backend2"::equals).count();
        assertTrue(two > 0 && two < 24, "both backends served connections: " + answers + "\n" + ctx);
        String stats = xvio.call("dump-group-stats", "br0");
        Matcher m = Pattern.compile("bucket0:packet_count=(\\d+),byte_count=\\d+,bucket1:packet_count=(\\d+)").matcher(stats);
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0, stats);
    }

    @Test
    void aFastFailoverGroupMovesTrafficWhenTheWatchedInterfaceGoesDown() throws Exception {
        table(List.of("group_id=2,type=fast_failover,bucket=watch_port:2,mod_dl_dst:" + mac[2] + ",output:2,"
                        + "bucket=watch_port:3,mod_dl_dst:" + mac[3] + ",output:3"),
                "priority=100,in_port=1,ip,nw_dst=" + VIP + ",actions=group:2",
                "priority=100,in_port=2,ip,nw_src=" + VIP + ",actions=output:1",
                "priority=100,in_port=3,ip,nw_src=" + VIP + ",actions=output:1",
                "priority=0,actions=NORMAL");
        assertEquals(5, ping(1, VIP, 5)[1], xvio.call("dump-group-stats", "br0"));
        assertTrue(xvio.call("dump-group-stats", "br0").matches("(?s).*bucket0:packet_count=[1-9].*bucket1:packet_count=0,.*"));
        lab.down(null, root[2]);
        try {
            UplinkPortsIT.awaitStatus(xvio, "up2", "down.*", Duration.ofSeconds(5));
            Thread.sleep(1500);                                  // liveness is published within a second
            int[] p = ping(1, VIP, 5);
            String stats = xvio.call("dump-group-stats", "br0");
            assertEquals(5, p[1], "the second bucket took over\n" + stats + xvio.call("show"));
            assertTrue(stats.matches("(?s).*bucket1:packet_count=[1-9].*"), stats);
        } finally {
            lab.up(null, root[2]);
        }
        UplinkPortsIT.awaitStatus(xvio, "up2", "up", Duration.ofSeconds(10));
        Thread.sleep(1500);
        String before = xvio.call("dump-group-stats", "br0");
        assertEquals(5, ping(1, VIP, 5)[1]);
        long b0 = count(before, 0), b0after = count(xvio.call("dump-group-stats", "br0"), 0);
        assertTrue(b0after >= b0 + 5, "back on the first bucket: " + before + " -> " + xvio.call("dump-group-stats", "br0"));
    }

    private static long count(String stats, int bucket) {
        Matcher m = Pattern.compile("bucket" + bucket + ":packet_count=(\\d+)").matcher(stats);
        assertTrue(m.find(), stats);
        return Long.parseLong(m.group(1));
    }
}
