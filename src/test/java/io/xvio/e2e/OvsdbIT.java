package io.xvio.e2e;

import io.xvio.testing.Await;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * xvio configured by OVS's own tools, end to end: a private ovsdb-server serving the standard Open_vSwitch schema,
 * {@code bin/xvio daemon --ovsdb unix:...}, and plain {@code ovs-vsctl} (no --no-wait: it waits for xvio's cur_cfg
 * and reports Interface errors) adding a netdev bridge and {@code system} ports on veths into namespaces that ping
 * each other through NORMAL. One database and one daemon serve the cases in order; the test owns its temp dir,
 * namespaces and veths and stops both processes by pid.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OvsdbIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OvsdbIT {
    static final String SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
    private final NetLab lab = new NetLab();
    private Path dir;
    private XvioDaemon xvio;
    private String br;
    private final String[] ns = new String[5], a = new String[5];

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && Files.exists(Path.of(SCHEMA))
                && NetLab.run("ovsdb-server", "--version").rc() == 0 && NetLab.run("ovs-vsctl", "--version").rc() == 0;
    }

    static int lastCpu() { return Runtime.getRuntime().availableProcessors() - 1; }

    private Path sock() { return dir.resolve("db.sock"); }

    private void startOvsdbServer() {
        NetLab.ok("ovsdb-server", "--remote=punix:" + sock(), "--pidfile=" + dir.resolve("ovsdb.pid"), "--unixctl=" + dir.resolve("ovsdb.ctl"),
                "--detach", "--no-chdir", "--log-file=" + dir.resolve("ovsdb.log"), dir.resolve("conf.db").toString());
    }

    /** SIGKILL by the pid in its pidfile, as a crash would end it. */
    private void killOvsdbServer() throws Exception {
        long pid = Long.parseLong(Files.readString(dir.resolve("ovsdb.pid")).strip());
        ProcessHandle.of(pid).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
    }

    private NetLab.Result vsctl(String... args) {
        String[] cmd = Stream.concat(Stream.of("ovs-vsctl", "--db=unix:" + sock(), "--timeout=30"), Stream.of(args)).toArray(String[]::new);
        return NetLab.run(cmd);
    }

    private String vsctlOk(String... args) {
        NetLab.Result r = vsctl(args);
        assertEquals(0, r.rc(), () -> "ovs-vsctl " + String.join(" ", args) + ": " + r.output() + "\n" + xvio.log());
        return r.output().strip();
    }

    /** busybox ping from a namespace; returns the replies received. */
    private int ping(String from, String to, int count) {
        NetLab.Result r = lab.exec(from, "busybox", "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", to);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return Integer.parseInt(m.group(2));
    }

    /** Waits until `ovs-vsctl get` prints want (regex). */
    private String awaitColumn(String want, String... get) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String got = "";
        while (System.nanoTime() < deadline) {
            NetLab.Result r = vsctl(Stream.concat(Stream.of("get"), Stream.of(get)).toArray(String[]::new));
            got = r.output().strip();
            if (r.rc() == 0 && got.matches(want)) return got;
            Thread.sleep(200);
        }
        throw new AssertionError("ovs-vsctl get " + String.join(" ", get) + ": /" + want + "/ not seen in 15 s, last: " + got + "\n" + xvio.log());
    }

    @BeforeAll
    void startDatabaseAndXvio() throws Exception {
        dir = Files.createTempDirectory("xvio-ovsdb");
        NetLab.ok("ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA);
        startOvsdbServer();
        vsctlOk("--no-wait", "init");
        // ovs-vswitchd's PMD placement, read at start: the last CPU of this machine
        vsctlOk("--no-wait", "set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=" + Long.toHexString(1L << lastCpu()));
        br = lab.name("xob");
        lab.own(br);                    // the bridge's internal interface: a TAP xvio creates (and deletes)
        for (int i = 1; i <= 4; i++) {
            ns[i] = lab.netns();
            a[i] = lab.name("xoa");
            String b = lab.name("xob");
            lab.veth(a[i], b);
            lab.move(b, ns[i]);
            NetLab.ok("ip", "-n", ns[i], "link", "set", b, "address", "02:00:00:00:94:0" + i);
            lab.address(ns[i], b, "10.94.0." + i + "/24");
            lab.up(null, a[i]);
        }
        xvio = XvioDaemon.startWith(dir, "pmd-idle: adaptive\n",
                List.of("--ovsdb", "unix:" + sock(), "--vhost-sock-dir", dir.resolve("vhost").toString()));
        assertTrue(xvio.awaitLog("ovsdb unix:" + sock() + ": connected", Duration.ofSeconds(10)), xvio.log());
    }

    @AfterAll
    void stopEverything() throws Exception {
        try {
            if (xvio != null) assertEquals(0, xvio.stop(), xvio.log());
        } finally {
            killOvsdbServer();
            lab.close();
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void ovsVsctlAddsABridgeAndPortsThatForwardWithTheRequestedOfports() throws Exception {
        // plain ovs-vsctl waits until xvio has applied the change and set cur_cfg
        vsctlOk("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev");
        vsctlOk("add-port", br, a[1], "--", "set", "Interface", a[1], "ofport_request=11");
        vsctlOk("add-port", br, a[2], "--", "set", "Interface", a[2], "type=system", "ofport_request=12");
        vsctlOk("add-port", br, "vhu1", "--", "set", "Interface", "vhu1", "type=dpdkvhostuser");
        assertEquals("11", vsctlOk("get", "Interface", a[1], "ofport"));
        assertEquals("12", vsctlOk("get", "Interface", a[2], "ofport"));
        assertEquals("65534", vsctlOk("get", "Interface", br, "ofport"));
        assertEquals("1", vsctlOk("get", "Interface", "vhu1", "ofport"), "the first automatic ofport");
        assertTrue(Files.exists(dir.resolve("vhost/vhu1")), "dpdkvhostuser socket in --vhost-sock-dir");
        // both afpacket ports forwarding (attached with carrier) before the first ping (a loaded machine is slow to start them)
        awaitColumn("up", "Interface", a[1], "link_state");
        awaitColumn("up", "Interface", a[2], "link_state");
        assertEquals(5, ping(ns[1], "10.94.0.2", 5), () -> xvio.log());
        String show = xvio.call("show");
        assertTrue(show.contains("port 11: " + a[1] + " type=afpacket") && show.contains("port 12: " + a[2] + " type=afpacket"), show);
        awaitColumn("up", "Interface", a[1], "link_state");
        assertEquals("down", vsctlOk("get", "Interface", "vhu1", "link_state"), "no front-end on vhu1");
        assertEquals("1500", vsctlOk("get", "Interface", a[1], "mtu"));
        assertTrue(vsctlOk("get", "Interface", a[1], "mac_in_use").matches("\"([0-9a-f]{2}:){5}[0-9a-f]{2}\""));
        assertTrue(vsctlOk("get", "Bridge", br, "datapath_id").matches("\"[0-9a-f]{16}\""));
        assertTrue(vsctlOk("get", "Open_vSwitch", ".", "datapath_types").contains("netdev"));
        assertTrue(xvio.call("pmd-stats").contains("pmd thread 0 (cpu " + lastCpu() + ")"), "pmd-cpu-mask placed the PMD thread\n" + xvio.log());
        // statistics, every few seconds
        String rx = awaitColumn("[1-9]\\d*", "Interface", a[1], "statistics:rx_packets");
        assertTrue(Long.parseLong(rx) >= 5, rx);

        // a Mirror row, as ovs-vsctl makes one: what a[1] receives also goes to vhu1 (no front-end: counted drops)
        vsctlOk("--", "--id=@p", "get", "Port", a[1], "--", "--id=@o", "get", "Port", "vhu1", "--", "--id=@m", "create", "Mirror",
                "name=m0", "select-src-port=@p", "output-port=@o", "--", "add", "Bridge", br, "mirrors", "@m");
        String mirrors = xvio.call("show-mirrors");
        assertTrue(mirrors.contains("bridge " + br + " mirror m0: ") && mirrors.contains(a[1]) && mirrors.contains("vhu1"), mirrors + xvio.log());
        assertEquals(5, ping(ns[1], "10.94.0.2", 5));
        Matcher mm = Pattern.compile("mirrored=(\\d+)").matcher(xvio.call("show-mirrors"));
        assertTrue(mm.find() && Long.parseLong(mm.group(1)) >= 5, "the echo requests a[1] received were mirrored\n" + xvio.call("show-mirrors"));
        vsctlOk("clear", "Bridge", br, "mirrors");
        assertEquals("no mirrors\n", xvio.call("show-mirrors"));

        // mtu_request on a vhost-user Interface becomes the port's MTU: written back in mtu, shown by xvio show
        assertEquals("1500", vsctlOk("get", "Interface", "vhu1", "mtu"), "no mtu_request: OVS-DPDK's 1500");
        vsctlOk("set", "Interface", "vhu1", "mtu_request=1600");
        awaitColumn("1600", "Interface", "vhu1", "mtu");
        assertEquals("[]", vsctlOk("get", "Interface", "vhu1", "error"));
        String vhu1 = xvio.call("show").split("vhu1 type=vhostuser", 2)[1].split("\n  port |\nbridge ", 2)[0];
        assertTrue(vhu1.contains("      mtu: 1600\n"), vhu1);
        vsctlOk("clear", "Interface", "vhu1", "mtu_request");
        awaitColumn("1500", "Interface", "vhu1", "mtu");
    }

    @Test
    @Order(2)
    void badRowsGetAnErrorAndOfportMinusOneWhileTheOthersWork() throws Exception {
        NetLab.Result unknown = vsctl("add-port", br, "bad1", "--", "set", "Interface", "bad1", "type=patchy");
        assertTrue(unknown.output().contains("Error detected while setting up 'bad1'"), unknown.output());
        vsctl("add-port", br, "bad2", "--", "set", "Interface", "bad2", "type=dpdkvhostuserclient");
        vsctl("add-port", br, a[3], "--", "set", "Interface", a[3], "ofport_request=11");
        assertEquals("-1", vsctlOk("get", "Interface", "bad1", "ofport"));
        assertTrue(vsctlOk("get", "Interface", "bad1", "error").contains("interface type \\\"patchy\\\" is not supported"),
                vsctlOk("get", "Interface", "bad1", "error"));
        assertEquals("-1", vsctlOk("get", "Interface", "bad2", "ofport"));
        assertTrue(vsctlOk("get", "Interface", "bad2", "error").contains("needs options:vhost-server-path"));
        // as OVS: a requested number another port has (and requests too) gives an automatic one, no error
        String auto = vsctlOk("get", "Interface", a[3], "ofport");
        assertTrue(auto.matches("[1-9]\\d*") && !auto.equals("11"), auto);
        assertEquals("[]", vsctlOk("get", "Interface", a[3], "error"));
        assertTrue(xvio.log().contains("interface " + a[3] + ": ofport_request 11 is used by interface " + a[1]), xvio.log());
        assertEquals("11", vsctlOk("get", "Interface", a[1], "ofport"), "the holder keeps its ofport");
        assertEquals(5, ping(ns[1], "10.94.0.2", 5), () -> xvio.log());
        // a request of its own: the port moves to it and works
        vsctlOk("set", "Interface", a[3], "ofport_request=13");
        assertEquals("13", vsctlOk("get", "Interface", a[3], "ofport"));
        assertEquals("[]", vsctlOk("get", "Interface", a[3], "error"));
        assertEquals(5, ping(ns[1], "10.94.0.3", 5), () -> xvio.log());
        vsctlOk("del-port", br, "bad1");
        vsctlOk("del-port", br, "bad2");
    }

    @Test
    @Order(2)
    void tunnelInterfacesBecomeTunnelPorts() throws Exception {
        // no underlay in this daemon: the port exists and says why it cannot send
        vsctlOk("add-port", br, "vx9", "--", "set", "Interface", "vx9", "type=vxlan", "options:remote_ip=172.31.9.2", "options:key=9",
                "ofport_request=20");
        vsctlOk("add-port", br, "gnv9", "--", "set", "Interface", "gnv9", "type=geneve", "options:remote_ip=flow", "options:in_key=flow",
                "options:out_key=flow", "options:csum=true");
        vsctl("add-port", br, "vxbad", "--", "set", "Interface", "vxbad", "type=vxlan", "options:remote_ip=172.31.9.3",
                "options:in_key=1", "options:out_key=2");
        assertEquals("20", vsctlOk("get", "Interface", "vx9", "ofport"));
        assertEquals("[]", vsctlOk("get", "Interface", "vx9", "error"));
        assertTrue(vsctlOk("get", "Interface", "gnv9", "ofport").matches("[1-9]\\d*"));
        assertEquals("-1", vsctlOk("get", "Interface", "vxbad", "ofport"));
        assertTrue(vsctlOk("get", "Interface", "vxbad", "error").contains("in_key=1 and out_key=2 differ"), vsctlOk("get", "Interface", "vxbad", "error"));
        String show = xvio.call("show");
        assertTrue(show.contains("port 20: vx9 type=vxlan") && show.contains("gnv9 type=geneve"), show);
        assertTrue(vsctlOk("get", "Open_vSwitch", ".", "iface_types").contains("geneve"));
        for (String p : new String[] {"vx9", "gnv9", "vxbad"}) vsctlOk("del-port", br, p);
        assertFalse(xvio.call("show").contains("vx9"), xvio.call("show"));
    }

    @Test
    @Order(3)
    void patchPortsJoinTwoBridgesAsOvnCreatesThem() throws Exception {
        // ovn-controller's way: a provider bridge, then a patch pair made of two Interface rows naming each other
        String phy = lab.name("xop");
        lab.own(phy);                   // br-phy's internal interface: a TAP xvio creates
        vsctlOk("add-br", phy, "--", "set", "bridge", phy, "datapath_type=netdev");
        vsctlOk("add-port", phy, a[4], "--", "set", "Interface", a[4], "ofport_request=2");
        vsctlOk("add-port", br, "patch-a", "--", "set", "Interface", "patch-a", "type=patch", "options:peer=patch-b");
        // one end alone: a port (OVS gives it an ofport too) that is down and says why
        assertTrue(vsctlOk("get", "Interface", "patch-a", "ofport").matches("[1-9]\\d*"));
        assertEquals("[]", vsctlOk("get", "Interface", "patch-a", "error"));
        awaitColumn("down", "Interface", "patch-a", "link_state");
        assertTrue(vsctlOk("get", "Interface", "patch-a", "status:xvio_state").contains("peer patch-b does not exist"),
                vsctlOk("get", "Interface", "patch-a", "status"));
        vsctlOk("add-port", phy, "patch-b", "--", "set", "Interface", "patch-b", "type=patch", "options:peer=patch-a", "ofport_request=1");
        awaitColumn("up", "Interface", "patch-a", "link_state");
        awaitColumn("up", "Interface", "patch-b", "link_state");
        // ns1 behind br's afpacket port pings ns4 behind br-phy's: NORMAL on both bridges, across the patch pair
        assertEquals(5, ping(ns[1], "10.94.0.4", 5), () -> xvio.log());
        assertEquals(5, ping(ns[4], "10.94.0.1", 5), () -> xvio.log());
        String stats = xvio.call("stats");
        assertTrue(stats.matches("(?s).*patch-a \\(patch, up\\)\\s+rx_packets=[1-9]\\d* rx_bytes=\\d+ tx_packets=[1-9].*"), stats);
        // statistics every 5 s: at least the ten echo requests and replies that crossed from br to br-phy
        awaitColumn("[1-9]\\d+", "Interface", "patch-b", "statistics:rx_packets");
        // bad rows, OVS's words in the error column
        NetLab.Result noPeer = vsctl("add-port", br, "patch-x", "--", "set", "Interface", "patch-x", "type=patch");
        assertTrue(noPeer.output().contains("Error detected while setting up 'patch-x'"), noPeer.output());
        assertEquals("\"patch-x: patch type requires valid 'peer' argument\"", vsctlOk("get", "Interface", "patch-x", "error"));
        assertEquals("-1", vsctlOk("get", "Interface", "patch-x", "ofport"));
        vsctl("add-port", br, "patch-y", "--", "set", "Interface", "patch-y", "type=patch", "options:peer=patch-y");
        assertEquals("\"patch-y: patch peer must not be self\"", vsctlOk("get", "Interface", "patch-y", "error"));
        // a third end naming patch-a, which names patch-b: down, the pair stays up
        vsctlOk("add-port", phy, "patch-z", "--", "set", "Interface", "patch-z", "type=patch", "options:peer=patch-a");
        awaitColumn("down", "Interface", "patch-z", "link_state");
        assertTrue(vsctlOk("get", "Interface", "patch-z", "status:xvio_state").contains("peer patch-a has peer patch-b, not patch-z"));
        assertEquals(3, ping(ns[1], "10.94.0.4", 3), () -> xvio.log());
        assertTrue(vsctlOk("get", "Open_vSwitch", ".", "iface_types").contains("patch"));
        // the Datapath row ovn-controller makes for its datapath type gets the capabilities it reads
        vsctlOk("--", "--id=@dp", "create", "Datapath", "external_ids:created-by=ovsdb-it", "--", "set", "Open_vSwitch", ".", "datapaths:netdev=@dp");
        awaitColumn("\"true\"|true", "Datapath", vsctlOk("get", "Open_vSwitch", ".", "datapaths:netdev"), "capabilities:recirc");
        String dp = vsctlOk("get", "Open_vSwitch", ".", "datapaths:netdev");
        assertTrue(vsctlOk("get", "Datapath", dp, "capabilities:ct_zero_snat").contains("false"), "xvio has no zero-address SNAT");
        for (String p : new String[] {"patch-a", "patch-x", "patch-y"}) vsctlOk("del-port", br, p);
        vsctlOk("del-br", phy);
        assertEquals(0, ping(ns[1], "10.94.0.4", 2), "no way to ns4 without the pair");
        assertEquals(3, ping(ns[1], "10.94.0.2", 3), () -> xvio.log());
    }

    @Test
    @Order(3)
    void delPortClosesThePort() throws Exception {
        vsctlOk("del-port", br, a[2]);
        assertFalse(xvio.call("show").contains(" " + a[2] + " type="), xvio.call("show"));
        assertEquals(0, ping(ns[1], "10.94.0.2", 3), "no path to ns2 without its port");
        assertEquals(3, ping(ns[1], "10.94.0.3", 3), () -> xvio.log());
        vsctlOk("add-port", br, a[2], "--", "set", "Interface", a[2], "ofport_request=12");
        assertEquals(5, ping(ns[1], "10.94.0.2", 5), () -> xvio.log());
    }

    @Test
    @Order(4)
    void forwardingGoesOnWhileTheDatabaseIsDownAndXvioResyncsWhenItIsBack() throws Exception {
        // killed during traffic: pings running across the kill all come back
        java.util.concurrent.CompletableFuture<Integer> during = java.util.concurrent.CompletableFuture.supplyAsync(() -> ping(ns[1], "10.94.0.2", 15));
        Thread.sleep(1000);
        killOvsdbServer();
        assertTrue(xvio.awaitLog("connection lost", Duration.ofSeconds(10)), xvio.log());
        assertEquals(15, during.get(30, java.util.concurrent.TimeUnit.SECONDS), () -> "pings across the kill of ovsdb-server\n" + xvio.log());
        assertEquals(10, ping(ns[1], "10.94.0.2", 10), () -> "forwarding while the database is down\n" + xvio.log());
        // a port added to the database file meanwhile (ovsdb-tool, offline), and one deleted
        String txn = """
                ["Open_vSwitch",
                 {"op":"insert","table":"Interface","row":{"name":"vhu2","type":"dpdkvhostuser","ofport_request":20},"uuid-name":"i"},
                 {"op":"insert","table":"Port","row":{"name":"vhu2","interfaces":["named-uuid","i"]},"uuid-name":"p"},
                 {"op":"mutate","table":"Bridge","where":[["name","==","%s"]],"mutations":[["ports","insert",["set",[["named-uuid","p"]]]]]}]
                """.formatted(br);
        NetLab.ok("ovsdb-tool", "transact", dir.resolve("conf.db").toString(), txn);
        startOvsdbServer();
        awaitColumn("20", "Interface", "vhu2", "ofport");
        assertTrue(Files.exists(dir.resolve("vhost/vhu2")), "vhu2's socket");
        assertTrue(xvio.call("show").contains("port 20: vhu2 type=vhostuser"), xvio.call("show"));
        // the ports that did not change were left alone: same ofports, still forwarding, one connection line per session
        assertEquals("11", vsctlOk("get", "Interface", a[1], "ofport"));
        assertEquals(5, ping(ns[1], "10.94.0.2", 5), () -> xvio.log());
        assertEquals(1, countOf(xvio.log(), "port " + a[1] + " added"), xvio.log());
    }

    /**
     * The "xvio restarted re-reads the database and serves the same sockets (vhost-user clients reconnect)":
     * testpmd's virtio-user (server=1, as QEMU's server=on) on two dpdkvhostuserclient ports of br exchanges frames;
     * xvio is stopped (testpmd sees both links go down) and started again on the same database; it makes the same
     * ports from it, connects to the same sockets, and frames flow again (testpmd's and xvio's counters rise).
     */
    @Test
    @Order(5)
    void xvioRestartedReadsTheDatabaseAgainAndServesTheSameSockets() throws Exception {
        String s1 = dir.resolve("tr1.sock").toString(), s2 = dir.resolve("tr2.sock").toString();
        Testpmd gen = null;
        try {
            if (Testpmd.available()) {
                vsctlOk("add-port", br, "vhr1", "--", "set", "Interface", "vhr1", "type=dpdkvhostuserclient", "options:vhost-server-path=" + s1,
                        "ofport_request=31");
                vsctlOk("add-port", br, "vhr2", "--", "set", "Interface", "vhr2", "type=dpdkvhostuserclient", "options:vhost-server-path=" + s2,
                        "ofport_request=32");
                gen = Testpmd.builder()
                        .virtioUser(s1, "server=1", "mac=02:00:00:00:00:1a")
                        .virtioUser(s2, "server=1", "mac=02:00:00:00:00:1b")
                        .macCrossConnect("02:00:00:00:00:1a", "02:00:00:00:00:1b")
                        .txpkts(64).workDir(dir.resolve("tpr")).start();
                awaitColumn("up", "Interface", "vhr1", "link_state");
                awaitColumn("up", "Interface", "vhr2", "link_state");
                exchange(gen, "before the restart");
            } else {
                System.err.println("OvsdbIT: dpdk-testpmd is not installed: the restart is checked without a vhost-user front-end");
            }
            // a port without ofport_request: an automatic number (they go round: not the lowest free one)
            vsctlOk("add-port", br, "vhu3", "--", "set", "Interface", "vhu3", "type=dpdkvhostuser");
            String vhu3 = vsctlOk("get", "Interface", "vhu3", "ofport");
            assertTrue(vhu3.matches("[1-9]\\d*"), vhu3);
            assertEquals(0, xvio.stop(), xvio.log());
            if (gen != null) {
                awaitLinkStatus(gen, 0, "down");        // the old xvio's connections are gone
                awaitLinkStatus(gen, 1, "down");
            }
            xvio = XvioDaemon.startWith(dir, "pmd-idle: adaptive\n",
                    List.of("--ovsdb", "unix:" + sock(), "--vhost-sock-dir", dir.resolve("vhost").toString()));
            // the database still holds the old instance's columns: wait for this one's own work
            assertTrue(xvio.awaitLog("ovsdb: port vhu2 added to bridge " + br + " (ofport 20)", Duration.ofSeconds(15)), xvio.log());
            assertTrue(xvio.awaitLog("ovsdb: port " + a[3] + " added to bridge " + br + " (ofport 13)", Duration.ofSeconds(15)), xvio.log());
            assertEquals("20", vsctlOk("get", "Interface", "vhu2", "ofport"));
            // as OVS: the ports without ofport_request get the numbers the database holds for them
            assertTrue(xvio.awaitLog("ovsdb: port vhu3 added to bridge " + br + " (ofport " + vhu3 + ")", Duration.ofSeconds(15)), xvio.log());
            assertTrue(xvio.awaitLog("ovsdb: port vhu1 added to bridge " + br + " (ofport 1)", Duration.ofSeconds(15)), xvio.log());
            vsctlOk("del-port", br, "vhu3");
            assertTrue(Files.exists(dir.resolve("vhost/vhu2")), "vhu2's socket again");
            String show = xvio.call("show");
            assertTrue(show.contains("port 11: " + a[1] + " type=afpacket") && show.contains("port 12: " + a[2] + " type=afpacket")
                    && show.contains("port 13: " + a[3] + " type=afpacket"), show);
            awaitColumn("up", "Interface", a[2], "link_state");
            assertEquals(5, ping(ns[1], "10.94.0.2", 5), () -> xvio.log());
            if (gen != null) {
                // the new xvio connected to the same sockets: testpmd's links are up again and frames cross br again
                assertTrue(xvio.awaitLog("ovsdb: port vhr1 added to bridge " + br + " (ofport 31)", Duration.ofSeconds(15)), xvio.log());
                awaitLinkStatus(gen, 0, "up");
                awaitLinkStatus(gen, 1, "up");
                exchange(gen, "after the restart");
                // testpmd kept its rings and gave base 0: the new xvio resumed them where the used rings say
                assertTrue(xvio.log().matches("(?s).*port vhr1: queue \\d: base 0 differs from the used ring's index \\d+ .*: resumed at \\d+.*"),
                        "the resumption is logged\n" + xvio.log());
                assertTrue(xvio.counter("vhr2", "tx_packets") > LOOPED && xvio.counter("vhr1", "rx_packets") > LOOPED,
                        "the new xvio forwarded them\n" + xvio.call("stats"));
            }
        } finally {
            if (gen != null) gen.close();
        }
        vsctlOk("del-br", br);
        assertFalse(xvio.call("show").contains("bridge " + br), xvio.call("show"));
        assertFalse(Files.exists(dir.resolve("vhost/vhu2")), "deleting the bridge closed its ports");
        assertEquals(0, ping(ns[1], "10.94.0.2", 2));
    }

    /**
     * More frames than testpmd's tx_first 16 puts in the loop (16 bursts of 32 a port) four times over: they went
     * round through xvio several times. Not a rate (the machine is shared): a loop that stalls stays at 512.
     */
    static final long LOOPED = 4 * 16 * 32;

    /** testpmd (mac mode, closed loop) sends 16 bursts each way for 2 s; both ports receive the other's frames. */
    private void exchange(Testpmd gen, String when) throws Exception {
        gen.clearStats();
        gen.startTxFirst(16);
        Thread.sleep(2000);
        gen.stopForwarding();
        Map<Integer, Testpmd.PortStats> tp = gen.portStats();
        String ctx = when + ": testpmd " + tp + "\nxvio:\n" + xvio.call("stats") + "\n" + gen.outputTail(2000) + "\nxvio's log of its ports:\n" + logOf("vhr");
        assertTrue(tp.get(0).rxPackets() > LOOPED && tp.get(1).rxPackets() > LOOPED, "each side received the other's frames " + ctx);
    }

    /** The transaction os-vif's OVS plugin makes for a vhost-user VIF (ovs-vsctl's equivalent of its ovsdbapp commands). */
    @Test
    @Order(6)
    void theSequenceOsVifRunsForAVhostUserVifWorks() throws Exception {
        String brInt = lab.name("xoi");
        lab.own(brInt);
        String vif = "vhu" + lab.id() + "f1";
        String path = dir.resolve(vif).toString();
        vsctlOk("--may-exist", "add-br", brInt, "--", "set", "Bridge", brInt, "datapath_type=netdev", "protocols=OpenFlow10,OpenFlow13",
                "fail_mode=secure");
        vsctlOk("--", "--may-exist", "add-port", brInt, vif, "--", "set", "Interface", vif,
                "external_ids:iface-id=5f1a0a4c-1a2b-4c3d-9e8f-0123456789ab", "external_ids:iface-status=active",
                "external_ids:attached-mac=fa:16:3e:11:22:33", "external_ids:vm-uuid=0d1c2b3a-4e5f-6071-8293-a4b5c6d7e8f9",
                "type=dpdkvhostuserclient", "options:vhost-server-path=" + path, "mtu_request=1500");
        assertTrue(Integer.parseInt(vsctlOk("get", "Interface", vif, "ofport")) > 0);
        assertEquals("[]", vsctlOk("get", "Interface", vif, "error"));
        String show = xvio.call("show");
        assertTrue(show.contains(vif + " type=vhostuser") && show.contains("path: " + path) && show.contains("mode: client"), show);
        // os-vif's unplug
        vsctlOk("--", "--if-exists", "del-port", brInt, vif);
        assertFalse(xvio.call("show").contains(vif), xvio.call("show"));
        vsctlOk("del-br", brInt);
    }

    @Test
    @Order(7)
    void aNewPmdCpuMaskIsLoggedAsNeedingARestart() throws Exception {
        vsctlOk("set", "Open_vSwitch", ".", "other_config:pmd-cpu-mask=0x1");
        assertTrue(xvio.awaitLog("other_config:pmd-cpu-mask=0x1 (CPUs [0]) needs a restart of xvio: its PMD threads run on CPUs [" + lastCpu() + "]",
                Duration.ofSeconds(5)), xvio.log());
        // pmd-rxq-assign: accepted, and what xvio does instead is logged
        vsctlOk("set", "Open_vSwitch", ".", "other_config:pmd-rxq-assign=group");
        assertTrue(xvio.awaitLog("other_config:pmd-rxq-assign=group: xvio places a new receive queue on the PMD thread with the fewest queues",
                Duration.ofSeconds(5)), xvio.log());
        vsctlOk("remove", "Open_vSwitch", ".", "other_config", "pmd-rxq-assign");
        // tx-flush-interval: applied at once, a bad value ignored with a warning, the config's value back when removed
        vsctlOk("set", "Open_vSwitch", ".", "other_config:tx-flush-interval=0");
        assertTrue(xvio.awaitLog("ovsdb: tx-flush-interval 0 us", Duration.ofSeconds(5)), xvio.log());
        vsctlOk("set", "Open_vSwitch", ".", "other_config:tx-flush-interval=2000000");
        assertTrue(xvio.awaitLog("other_config:tx-flush-interval: 2000000 is outside 0..1000000: ignored", Duration.ofSeconds(5)), xvio.log());
        vsctlOk("remove", "Open_vSwitch", ".", "other_config", "tx-flush-interval");
        assertTrue(xvio.awaitLog("ovsdb: tx-flush-interval 100 us (the config's: other_config has none)", Duration.ofSeconds(5)), xvio.log());
    }

    private NetLab.Result ofctl(String version, String bridge, String... args) {
        String[] cmd = Stream.concat(Stream.of("ovs-ofctl", "-O", version, args[0], "unix:" + dir.resolve(bridge + ".mgmt")),
                Stream.of(args).skip(1)).toArray(String[]::new);
        return NetLab.run(cmd);
    }

    /**
     * Bridge protocols, as ovs-vsctl sets them: an ovs-ofctl of another version is refused at hello, one of those
     * versions works; other_config:datapath-id is the dpid ovs-ofctl show prints and the datapath_id column; a bad one
     * or an unknown key is logged and changes nothing else.
     */
    @Test
    @Order(9)
    void bridgeProtocolsAndDatapathIdAsOvsVsctlSetsThem() throws Exception {
        String brP = lab.name("xoq");
        lab.own(brP);
        vsctlOk("add-br", brP, "--", "set", "bridge", brP, "datapath_type=netdev");
        assertEquals(0, ofctl("OpenFlow10", brP, "show").rc(), "no protocols: OVS's default set, 1.0 among them");
        vsctlOk("set", "bridge", brP, "protocols=OpenFlow13", "other_config:datapath-id=00000000000000ab", "other_config:disable-in-band=true");
        NetLab.Result of10 = ofctl("OpenFlow10", brP, "show");
        assertNotEquals(0, of10.rc(), of10.output());
        assertTrue(of10.output().contains("version negotiation failed"), of10.output());
        NetLab.Result of13 = ofctl("OpenFlow13", brP, "show");
        assertEquals(0, of13.rc(), of13.output() + xvio.log());
        assertTrue(of13.output().contains("OFPT_FEATURES_REPLY (OF1.3)") && of13.output().contains("dpid:00000000000000ab"), of13.output());
        assertEquals("\"00000000000000ab\"", vsctlOk("get", "bridge", brP, "datapath_id"));
        vsctlOk("set", "bridge", brP, "protocols=OpenFlow10,OpenFlow13", "other_config:datapath-id=bogus", "other_config:frobnicate=1");
        assertTrue(xvio.awaitLog("bridge " + brP + ": other_config:datapath-id=\"bogus\" is not 16 hexadecimal digits", Duration.ofSeconds(5)), xvio.log());
        assertTrue(xvio.awaitLog("bridge " + brP + ": other_config:frobnicate=1 is not used by xvio: ignored", Duration.ofSeconds(5)), xvio.log());
        NetLab.Result back = ofctl("OpenFlow10", brP, "show");
        assertEquals(0, back.rc(), back.output());
        assertFalse(back.output().contains("dpid:00000000000000ab"), "a bad datapath-id: the bridge's own again\n" + back.output());
        awaitColumn("\"" + back.output().replaceAll("(?s).*dpid:([0-9a-f]{16}).*", "$1") + "\"", "bridge", brP, "datapath_id");
        vsctlOk("del-br", brP);
    }

    /**
     * The first case: dpdkvhostuserclient ports with requested ofports, testpmd's virtio-user as the
     * vhost-user server on each (server=1), frames crossing the bridge both ways (NORMAL, testpmd's mac mode); then
     * del-port closes one.
     */
    @Test
    @Order(8)
    void testpmdOnTwoDpdkvhostuserclientPortsExchangesTrafficThroughTheBridge() throws Exception {
        Assumptions.assumeTrue(Testpmd.available(), "dpdk-testpmd is not installed");
        String brV = lab.name("xov");
        lab.own(brV);
        String s1 = dir.resolve("tp1.sock").toString(), s2 = dir.resolve("tp2.sock").toString();
        vsctlOk("add-br", brV, "--", "set", "bridge", brV, "datapath_type=netdev");
        vsctlOk("add-port", brV, "vhc1", "--", "set", "Interface", "vhc1", "type=dpdkvhostuserclient", "options:vhost-server-path=" + s1, "ofport_request=1");
        vsctlOk("add-port", brV, "vhc2", "--", "set", "Interface", "vhc2", "type=dpdkvhostuserclient", "options:vhost-server-path=" + s2, "ofport_request=2");
        assertEquals("1", vsctlOk("get", "Interface", "vhc1", "ofport"));
        try (Testpmd gen = Testpmd.builder()
                .virtioUser(s1, "server=1", "mac=02:00:00:00:00:0a")
                .virtioUser(s2, "server=1", "mac=02:00:00:00:00:0b")
                .macCrossConnect("02:00:00:00:00:0a", "02:00:00:00:00:0b")
                .txpkts(64).workDir(dir.resolve("tp")).start()) {
            awaitColumn("up", "Interface", "vhc1", "link_state");
            awaitColumn("up", "Interface", "vhc2", "link_state");
            gen.startTxFirst(16);
            Thread.sleep(2000);
            gen.stopForwarding();
            Map<Integer, Testpmd.PortStats> tp = gen.portStats();
            String ctx = "testpmd " + tp + "\nxvio:\n" + xvio.call("stats") + "\n" + gen.outputTail(2000) + "\nxvio's log of its ports:\n" + logOf("vhc");
            assertTrue(tp.get(0).txPackets() > LOOPED && tp.get(1).txPackets() > LOOPED, ctx);
            assertTrue(tp.get(0).rxPackets() > LOOPED && tp.get(1).rxPackets() > LOOPED, "each side received the other's frames\n" + ctx);
            assertTrue(xvio.counter("vhc2", "tx_packets") >= tp.get(1).rxPackets(), ctx);
            vsctlOk("del-port", brV, "vhc1");
            assertFalse(xvio.call("show").contains("vhc1"), xvio.call("show"));
            // the vhost-user connection is closed, not only unlisted: testpmd sees its port 0 go down, port 1 stays up
            awaitLinkStatus(gen, 0, "down");
            assertTrue(xvio.awaitLog("ovsdb: port vhc1 removed from bridge " + brV, Duration.ofSeconds(5)), xvio.log());
            assertEquals("up", linkStatus(gen, 1), "vhc2 was not disturbed\n" + xvio.log());
        }
        vsctlOk("del-br", brV);
    }

    /** xvio's log lines that name ports starting with prefix, and its warnings. */
    private String logOf(String prefix) {
        return xvio.log().lines().filter(l -> l.contains(" " + prefix) || l.contains("WARN")).collect(java.util.stream.Collectors.joining("\n"));
    }

    /** testpmd's "Link status" of a port ({@code show port info} also makes virtio-user notice a closed connection). */
    private static String linkStatus(Testpmd gen, int port) {
        Matcher m = Pattern.compile("Link status: (\\w+)").matcher(gen.command("show port info " + port));
        return m.find() ? m.group(1) : "?";
    }

    private void awaitLinkStatus(Testpmd gen, int port, String want) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String got = "";
        while (System.nanoTime() < deadline) {
            got = linkStatus(gen, port);
            if (got.equals(want)) return;
            Thread.sleep(200);
        }
        throw new AssertionError("testpmd port " + port + ": link " + want + " not seen in 15 s, last: " + got + "\n"
                + gen.outputTail(3000) + "\n" + xvio.log());
    }

    private static int countOf(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }

    /**
     * ovs-vsctl set-controller and fail_mode: xvio connects to the controllers the Bridge row names (here a socket the
     * test listens on, which gets xvio's OpenFlow hello and answers it, and a port nobody listens on); their Controller
     * rows show is_connected, role and status as ovs-vswitchd writes them; del-controller closes the connection.
     */
    @Test
    @Order(9)
    void setControllerConnectsTheBridgeToItsController() throws Exception {
        String br = lab.name("xoc");
        lab.own(br);                    // its internal interface: a TAP xvio creates
        vsctlOk("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev");
        try (java.net.ServerSocket ctl = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            ctl.setSoTimeout(15_000);
            String target = "tcp:127.0.0.1:" + ctl.getLocalPort();
            int closed;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                closed = s.getLocalPort();
            }
            String refused = "tcp:127.0.0.1:" + closed;
            vsctlOk("set-controller", br, target, refused, "--", "set", "Bridge", br, "fail_mode=secure");
            try (java.net.Socket c = ctl.accept()) {
                c.setSoTimeout(15_000);
                java.io.DataInputStream in = new java.io.DataInputStream(c.getInputStream());
                byte[] header = in.readNBytes(8);
                assertEquals(8, header.length);
                assertEquals(0, header[1], "an OpenFlow hello");
                in.skipNBytes(((header[2] & 0xff) << 8 | (header[3] & 0xff)) - 8);
                assertEquals(java.util.Set.of(refused, target), java.util.Set.of(xvio.call("get-controller", br).split("\n")));
                assertEquals("secure\n", xvio.call("get-fail-mode", br));
                // the controller's side of the hello (OpenFlow 1.3), then echo replies to xvio's inactivity probes
                java.io.OutputStream out = c.getOutputStream();
                out.write(new byte[] {4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x10});
                java.util.concurrent.CompletableFuture<Boolean> closedByXvio = new java.util.concurrent.CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        while (true) {
                            byte[] h = in.readNBytes(8);
                            if (h.length < 8) break;
                            byte[] body = in.readNBytes(((h[2] & 0xff) << 8 | (h[3] & 0xff)) - 8);
                            if (h[1] == 2) {                          // echo request: the reply, same xid and body
                                h[1] = 3;
                                synchronized (out) {
                                    out.write(h);
                                    out.write(body);
                                }
                            }
                        }
                        closedByXvio.complete(true);
                    } catch (IOException e) {
                        closedByXvio.complete(false);
                    }
                });
                // ovs-vswitchd's Controller columns, written with the statistics
                awaitController(target, "(?s)is_connected\\s*: true\\s*role\\s*: other\\s*status\\s*: \\{sec_since_connect=\"\\d+\", state=ACTIVE\\}\\s*");
                awaitController(refused, "(?s)is_connected\\s*: false\\s*role\\s*: other\\s*status\\s*: \\{last_error=\"Connection refused\", "
                        + "sec_since_disconnect=\"\\d+\", state=(BACKOFF|CONNECTING)\\}\\s*");
                String list = vsctlOk("list", "controller");
                assertTrue(list.contains("is_connected        : true") && list.contains("state=ACTIVE"), list);
                vsctlOk("del-controller", br);
                assertTrue(closedByXvio.get(15, java.util.concurrent.TimeUnit.SECONDS), "del-controller closes the connection");
                assertEquals("", xvio.call("get-controller", br));
            }
        }
        vsctlOk("del-br", br);
        assertFalse(Files.exists(dir.resolve(br + ".mgmt")), "the bridge's OpenFlow socket goes with it");
    }

    /**
     * virtio-forwarder's way (issue 22): an Interface with external_ids:virtio_forwarder=7 is the VF of relay 7, whose
     * VM connects to virtio-forwarder7.sock in the vhost socket directory; frames the VM sends reach the VF's peer
     * without the bridge. Removing the key ends the relay and the interface is a port of its bridge again.
     */
    @Test
    @Order(10)
    void anInterfaceWithVirtioForwarderBecomesARelayAndBackAPort() throws Exception {
        Assumptions.assumeTrue(Testpmd.available(), "dpdk-testpmd is not installed");
        String nsR = lab.netns(), vf = lab.name("xor"), peer = lab.name("xor");
        lab.veth(vf, peer);
        lab.move(peer, nsR);
        lab.up(null, vf);
        lab.up(nsR, peer);
        String br = lab.name("xor");
        lab.own(br);                    // its internal interface: a TAP xvio creates
        vsctlOk("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev");
        vsctlOk("add-port", br, vf, "--", "set", "Interface", vf, "external_ids:virtio_forwarder=7");
        String sock = dir.resolve("vhost/virtio-forwarder7.sock").toString();
        awaitColumn(".*xvio_relay=relay7.*", "Interface", vf, "status");
        assertEquals("[]", vsctlOk("get", "Interface", vf, "ofport"), "a relay's VF is not a port of the bridge");
        String relays = xvio.call("show-relays");
        assertTrue(relays.contains("relay relay7: vhost " + sock) && relays.contains("<-> vf " + vf + " (afpacket"), relays);
        assertFalse(xvio.call("show").contains(" " + vf + " type="), xvio.call("show"));
        try (Testpmd vm = Testpmd.builder().virtioUser(sock, "mac=02:00:00:00:00:0a").workDir(dir.resolve("tpr")).start()) {
            long rx0 = nsRx(nsR, peer);
            vm.startTxFirst(1);                                   // 32 frames VM -> VF
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (nsRx(nsR, peer) - rx0 < 32 && System.nanoTime() < until) Thread.sleep(100);
            assertTrue(nsRx(nsR, peer) - rx0 >= 32, "the VM's frames reach the VF's peer\n" + xvio.call("show-relays") + xvio.log());
            vm.stopForwarding();
        }
        // the key removed: the relay ends and the interface is an ordinary port of the bridge
        vsctlOk("remove", "Interface", vf, "external_ids", "virtio_forwarder");
        awaitColumn("[1-9]\\d*", "Interface", vf, "ofport");
        assertEquals("no relays\n", xvio.call("show-relays"));
        assertTrue(xvio.call("show").contains(" " + vf + " type=afpacket"), xvio.call("show"));
        vsctlOk("del-br", br);
    }

    @Test
    @Order(11)
    void aBridgeWhoseInternalInterfaceHasAnAddressIsATunnelEndpointAsWithOvs() throws Exception {
        // the remote host: 172.31.77.2 on the underlay, a kernel VXLAN VTEP (VNI 77; this kernel has no Geneve) with 10.77.0.2 behind it
        String nsR = lab.netns(), up = lab.name("xou"), upPeer = lab.name("xou");
        lab.veth(up, upPeer);
        lab.move(upPeer, nsR);
        lab.up(null, up);
        lab.address(nsR, upPeer, "172.31.77.2/24");
        NetLab.ok("ip", "-n", nsR, "link", "add", "vx77", "type", "vxlan", "id", "77", "remote", "172.31.77.1", "local", "172.31.77.2",
                "dstport", "4789", "dev", upPeer);
        lab.exec(nsR, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1");
        lab.address(nsR, "vx77", "10.77.0.2/24");
        // a VM on the overlay: 10.77.0.1
        String nsV = lab.netns(), v = lab.name("xov"), vPeer = lab.name("xov");
        lab.veth(v, vPeer);
        lab.move(vPeer, nsV);
        lab.up(null, v);
        lab.address(nsV, vPeer, "10.77.0.1/24");
        NetLab.ok("ip", "-n", nsV, "link", "set", vPeer, "mtu", "1400");
        String phy = lab.name("xop"), ovl = lab.name("xoo");
        lab.own(phy);                   // the bridges' internal interfaces: TAPs xvio creates
        lab.own(ovl);
        vsctlOk("add-br", phy, "--", "set", "bridge", phy, "datapath_type=netdev");
        vsctlOk("add-port", phy, up);
        vsctlOk("add-br", ovl, "--", "set", "bridge", ovl, "datapath_type=netdev");
        vsctlOk("add-port", ovl, v);
        vsctlOk("add-port", ovl, "vx77x", "--", "set", "Interface", "vx77x", "type=vxlan", "options:remote_ip=172.31.77.2", "options:key=77");
        awaitColumn("up", "Interface", up, "link_state");
        awaitColumn("up", "Interface", v, "link_state");
        String before = UplinkPortsIT.awaitStatus(xvio, "vx77x", "down \\(no route to 172\\.31\\.77\\.2\\)", Duration.ofSeconds(15));
        assertFalse(xvio.call("tnl", "routes").contains(phy), before);

        // as with OVS: the tunnel endpoint's address goes on the underlay bridge's internal interface
        UplinkPortsIT.awaitStatus(xvio, phy, "up", Duration.ofSeconds(20));     // the tap is made by the port's supervisor
        NetLab.ok("ip", "addr", "add", "172.31.77.1/24", "dev", phy);
        NetLab.ok("ip", "link", "set", phy, "up");
        awaitCall("Connected: 172.31.77.0/24 dev " + phy + " SRC 172.31.77.1", "tnl", "routes");
        // the kernel answers ARP and ping for its own address, through the bridge and its uplink
        assertEquals(3, ping(nsR, "172.31.77.1", 3), this::state);
        // the overlay crosses the tunnel both ways; xvio asked for the next hop's MAC from the kernel's address
        assertEquals(5, ping(nsV, "10.77.0.2", 5), this::state);
        String peerMac = lab.exec(nsR, "cat", "/sys/class/net/" + upPeer + "/address").output().strip();
        String neigh = xvio.call("tnl", "neigh");
        assertTrue(neigh.contains("172.31.77.2") && neigh.contains(peerMac) && neigh.contains(phy), neigh);
        String show = xvio.call("show");
        assertTrue(show.contains("vx77x type=vxlan status=up") && show.contains("underlay: " + phy + " via " + up), show);
        assertTrue(show.contains("endpoint: tunnel endpoint of this bridge, with the kernel's addresses on " + phy), show);
        assertTrue(xvio.log().contains("bridge " + phy + ": tunnel endpoint from the kernel's " + phy + ": [172.31.77.1/24]"), xvio.log());

        // a kernel route through a gateway is a route of the underlay, as OVS's "Cached" routes
        NetLab.ok("ip", "route", "add", "172.31.78.0/24", "via", "172.31.77.2", "dev", phy);
        awaitCall("Cached: 172.31.78.0/24 dev " + phy + " GW 172.31.77.2 SRC 172.31.77.1", "tnl", "routes");
        String json = NetLab.ok(XvioDaemon.home().resolve("bin/xvio").toString(), "tnl", "routes", "--format", "json", "--control", xvio.controlSocket());
        com.fasterxml.jackson.databind.JsonNode kernelRoute = null;
        for (com.fasterxml.jackson.databind.JsonNode r : new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).get("routes"))
            if (r.get("prefix").asText().equals("172.31.78.0/24")) kernelRoute = r;
        assertTrue(kernelRoute != null && kernelRoute.get("type").asText().equals("kernel") && kernelRoute.get("gateway").asText().equals("172.31.77.2"), json);
        NetLab.ok("ip", "route", "del", "172.31.78.0/24");
        awaitGone("172.31.78.0/24", "tnl", "routes");
        // a multipath (ECMP) route: its first next hop, as OVS's route table takes it
        NetLab.ok("ip", "route", "add", "172.31.79.0/24", "nexthop", "via", "172.31.77.2", "dev", phy, "nexthop", "via", "172.31.77.3", "dev", phy);
        awaitCall("Cached: 172.31.79.0/24 dev " + phy + " GW 172.31.77.2 SRC 172.31.77.1", "tnl", "routes");
        NetLab.ok("ip", "route", "del", "172.31.79.0/24");
        awaitGone("172.31.79.0/24", "tnl", "routes");

        // an IPv6 underlay the same way: the address counts once the kernel's duplicate address detection is done;
        // the remote's VTEP (VNI 76) now holds 10.77.0.2
        lab.exec(nsR, "sysctl", "-qw", "net.ipv6.conf." + upPeer + ".disable_ipv6=0");
        NetLab.ok("ip", "-n", nsR, "addr", "add", "fd00:77::2/64", "dev", upPeer, "nodad");
        NetLab.ok("ip", "-n", nsR, "link", "del", "vx77");
        NetLab.ok("ip", "-n", nsR, "link", "add", "vx76", "type", "vxlan", "id", "76", "remote", "fd00:77::1", "local", "fd00:77::2",
                "dstport", "4789", "dev", upPeer);
        lab.address(nsR, "vx76", "10.77.0.2/24");
        vsctlOk("del-port", ovl, "vx77x");
        vsctlOk("add-port", ovl, "vx76x", "--", "set", "Interface", "vx76x", "type=vxlan", "options:remote_ip=fd00:77::2", "options:key=76");
        NetLab.ok("sysctl", "-qw", "net.ipv6.conf." + phy + ".disable_ipv6=0");
        NetLab.ok("ip", "addr", "add", "fd00:77::1/64", "dev", phy);
        awaitCall("Connected: fd00:77::/64 dev " + phy + " SRC fd00:77::1", "tnl", "routes");
        UplinkPortsIT.awaitStatus(xvio, "vx76x", "up", Duration.ofSeconds(15));
        NetLab.ok("ip", "-n", nsV, "neigh", "flush", "all");          // 10.77.0.2 has the new VTEP's MAC now
        assertEquals(5, ping(nsV, "10.77.0.2", 5), this::state);
        assertTrue(xvio.call("tnl", "neigh").contains("fd00:77::2"), this::state);
        // a route added at run time through the IPv4 network, which then goes: the route goes with it (logged), the IPv6
        // underlay carries on
        xvio.call("tnl", "routes", "add", "10.9.0.0/16", phy, "172.31.77.254");
        NetLab.ok("ip", "addr", "del", "172.31.77.1/24", "dev", phy);
        awaitGone("172.31.77.0/24", "tnl", "routes");
        assertFalse(xvio.call("tnl", "routes").contains("10.9.0.0/16"), xvio.call("tnl", "routes"));
        assertTrue(xvio.log().contains("tnl routes: 10.9.0.0/16 via 172.31.77.254 removed: bridge " + phy + " has no network for it any more"), xvio.log());
        assertEquals(3, ping(nsV, "10.77.0.2", 3), this::state);

        // the addresses gone: the bridge is no tunnel endpoint any more and the tunnel port cannot send
        NetLab.ok("ip", "addr", "flush", "dev", phy);
        UplinkPortsIT.awaitStatus(xvio, "vx76x", "down \\(no route to fd00:77::2\\)", Duration.ofSeconds(15));
        assertEquals(0, ping(nsV, "10.77.0.2", 2));
        assertTrue(xvio.log().contains("bridge " + phy + ": no longer a tunnel endpoint"), xvio.log());
        vsctlOk("del-br", ovl);
        vsctlOk("del-br", phy);
    }

    @Test
    @Order(12)
    void ingressPolicingColumnsPoliceWhatThePortReceives() throws Exception {
        // what OVN and OpenStack's QoS write on a VIF's Interface row: a rate in kbps and a burst in kb
        String nsA = lab.netns(), nsB = lab.netns(), pa = lab.name("xoq"), qa = lab.name("xoq"), pb = lab.name("xoq"), qb = lab.name("xoq");
        String pbr = lab.name("xoq");
        lab.own(pbr);
        lab.veth(pa, qa);
        lab.veth(pb, qb);
        lab.move(qa, nsA);
        lab.move(qb, nsB);
        lab.up(null, pa);
        lab.up(null, pb);
        lab.address(nsA, qa, "10.95.7.1/24");
        lab.address(nsB, qb, "10.95.7.2/24");
        vsctlOk("add-br", pbr, "--", "set", "bridge", pbr, "datapath_type=netdev");
        vsctlOk("add-port", pbr, pa);
        vsctlOk("add-port", pbr, pb);
        awaitColumn("up", "Interface", pa, "link_state");
        awaitColumn("up", "Interface", pb, "link_state");
        assertEquals(3, ping(nsA, "10.95.7.2", 3), this::state);
        // 80 kbps with a 16 kb bucket: of 40 echo requests of 1442 bytes in 0.4 s, a handful pass
        vsctlOk("set", "Interface", pa, "ingress_policing_rate=80", "ingress_policing_burst=16");
        long drop0 = xvio.counter(pa, "rx_dropped(policing)");
        int got = bigPings(nsA, "10.95.7.2");
        long dropped = xvio.counter(pa, "rx_dropped(policing)") - drop0;
        assertTrue(got <= 20 && dropped >= 20, got + " of 40 answered, " + dropped + " dropped by policing\n" + xvio.call("stats"));
        assertTrue(xvio.log().contains("port " + pa + ": ingress_policing_rate 80 kbps"), xvio.log());
        // the rate back to 0 (OVS's "no policing"): the same burst passes
        vsctlOk("set", "Interface", pa, "ingress_policing_rate=0", "ingress_policing_burst=0");
        long drop1 = xvio.counter(pa, "rx_dropped(policing)");
        got = bigPings(nsA, "10.95.7.2");
        assertTrue(got >= 36 && xvio.counter(pa, "rx_dropped(policing)") == drop1, got + " of 40 answered\n" + xvio.call("stats"));
        vsctlOk("del-br", pbr);
    }

    /** 40 echo requests of 1442 bytes 10 ms apart from ns to ip: how many were answered. */
    private int bigPings(String ns, String ip) {
        NetLab.Result r = lab.exec(ns, "busybox", "ping", "-c", "40", "-i", "0.01", "-W", "1", "-s", "1400", ip);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), r.output());
        return Integer.parseInt(m.group(2));
    }

    /** xvio's show, tunnel routes and neighbours, and log: what a failed tunnel case needs. */
    private String state() {
        try {
            return xvio.call("show") + xvio.call("tnl", "routes") + xvio.call("tnl", "neigh") + xvio.log();
        } catch (java.io.IOException e) {
            return e + "\n" + xvio.log();
        }
    }

    /** xvio's answer to args, or the error (for probes). */
    private String call(String... args) {
        try {
            return xvio.call(args);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Waits until xvio's answer to args contains want. */
    private String awaitCall(String want, String... args) throws InterruptedException {
        return Await.awaitMatch(() -> call(args), Pattern.compile(Pattern.quote(want)), Duration.ofSeconds(15), this::state);
    }

    /** Waits until xvio's answer to args no longer contains what. */
    private void awaitGone(String what, String... args) {
        Await.await(what + " is gone from " + String.join(" ", args), Duration.ofSeconds(15), () -> !call(args).contains(what), this::state);
    }

    /** Waits until the Controller row of target (is_connected, role, status) matches want. */
    private void awaitController(String target, String want) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String got = "";
        while (System.nanoTime() < deadline) {
            NetLab.Result r = vsctl("--columns=is_connected,role,status", "find", "Controller", "target=\"" + target + "\"");
            got = r.output().strip() + "\n";
            if (r.rc() == 0 && got.matches(want)) return;
            Thread.sleep(250);
        }
        throw new AssertionError("Controller " + target + ": /" + want + "/ not seen in 20 s, last:\n" + got + xvio.log());
    }

    private long nsRx(String ns, String dev) {
        return Long.parseLong(lab.exec(ns, "cat", "/sys/class/net/" + dev + "/statistics/rx_packets").output().strip());
    }
}
