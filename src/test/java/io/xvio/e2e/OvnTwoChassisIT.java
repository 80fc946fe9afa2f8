package io.xvio.e2e;

import io.xvio.testing.Await;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two OVN chassis on xvio joined by Geneve: one OVN central (NB and SB ovsdb-servers, ovn-northd) and two "hosts"
 * (network namespaces), each with its own Open_vSwitch ovsdb-server, {@code bin/xvio daemon --ovsdb} (inside the
 * host; its YAML gives the underlay bridge with the chassis's encap IP on an afpacket uplink, the veth joining the
 * two hosts) and a real ovn-controller. ovn-controller makes the Geneve port to the other chassis in the database
 * ({@code ovn-<chassis>-0}, type geneve, {@code remote_ip}, {@code key=flow}, {@code csum=true}) and programs its
 * tunnel flows (table 0 reads the logical ports from tun_metadata0, the remote output table writes them). A logical
 * switch has one port on each chassis, in a client namespace: Port_Bindings name the right chassis, the clients ping
 * each other (IPv4 and IPv6), tcpdump on the underlay sees Geneve frames with OVN's option, and an ACL drops across
 * chassis. The hosts' uplinks meet on a Linux bridge in the underlay's namespace; case 8 adds a third chassis and
 * fails a gateway port over between the first two by taking one's uplink down (OVN reads xvio's BFD status). One world
 * for all cases; every daemon is stopped by its pid.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OvnIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OvnTwoChassisIT {
    private final NetLab lab = new NetLab();
    private Path dir;
    private OvnCentral ovn;
    private final Chassis[] ch = new Chassis[2];
    /** A third chassis, started by case 8 (earlier cases expect one tunnel a chassis). */
    private Chassis third;
    /** The underlay: a namespace whose Linux bridge joins the hosts' uplinks. */
    private String underlay;
    private static final String UNDERLAY_BRIDGE = "xsw";

    /** One chassis: its host namespace, database, xvio, and the client namespace of its logical port. */
    private final class Chassis {
        final int n;
        final String name, host, client, uplink, switchPort, hostPort, clientPort, brInt, encapIp, mac, ip4, ip6;
        final Path dir;
        XvioDaemon xvio;

        Chassis(int n, Path dir) {
            this.n = n;
            this.dir = dir;
            name = "chassis" + n;
            host = lab.netns();
            client = lab.netns();
            uplink = lab.name("xtu");
            switchPort = lab.name("xts");
            hostPort = lab.name("xta");
            clientPort = lab.name("xtb");
            brInt = lab.name("xti");
            encapIp = "172.31.96." + n;
            mac = "02:00:00:00:96:0" + n;
            ip4 = "10.96.1." + (10 + n);
            ip6 = "fd00:96::" + (10 + n);
        }

        Path db() { return dir.resolve("db.sock"); }

        NetLab.Result vsctl(String... args) {
            return NetLab.run(Stream.concat(Stream.of("ovs-vsctl", "--db=unix:" + db(), "--timeout=30"), Stream.of(args)).toArray(String[]::new));
        }

        String vsctlOk(String... args) {
            NetLab.Result r = vsctl(args);
            assertEquals(0, r.rc(), () -> name + ": ovs-vsctl " + String.join(" ", args) + ": " + r.output() + "\n" + context());
            return r.output().strip();
        }

        String call(String... args) {
            try {
                return xvio.call(args);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        }

        /** The Geneve Interface ovn-controller made to the other chassis ("" until then). */
        String tunnel() { return vsctlOk("--bare", "--columns=name", "find", "Interface", "type=geneve"); }
    }

    private String context() {
        StringBuilder s = new StringBuilder();
        for (Chassis c : new Chassis[] {ch[0], ch[1], third}) {
            if (c == null) continue;
            s.append("\n--- ").append(c.name).append(" xvio log (tail)\n").append(tail(c.xvio == null ? "" : c.xvio.log(), 40));
            s.append("\n--- ").append(c.name).append(" ovn-controller log (tail)\n").append(tail(ovn == null ? "" : ovn.log("controller" + c.n), 30));
            if (c.xvio != null) s.append("\n--- ").append(c.name).append(" stats\n").append(c.call("stats"));
        }
        return s.toString();
    }

    private static String tail(String text, int lines) {
        List<String> l = text.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }

    private static String config(String brPhy, String uplink, String ip) {
        return """
                pmd-idle: adaptive
                bridges:
                  %s:
                    ip: %s/24
                    ports:
                      up0: {type: afpacket, device: %s}
                """.formatted(brPhy, ip, uplink);
    }

    private int ping(String from, String to, int count) {
        NetLab.Result r = lab.exec(from, "busybox", to.contains(":") ? "ping6" : "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", to);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return Integer.parseInt(m.group(2));
    }



    @BeforeAll
    void startCentralAndTwoChassis() throws Exception {
        dir = Files.createTempDirectory("xvio-ovn2");
        ovn = OvnCentral.start(dir);
        underlay = lab.netns();
        NetLab.ok("ip", "-n", underlay, "link", "add", UNDERLAY_BRIDGE, "type", "bridge");
        lab.quietIpv6(underlay, UNDERLAY_BRIDGE);
        lab.up(underlay, UNDERLAY_BRIDGE);
        for (int i = 0; i < 2; i++) {
            ch[i] = new Chassis(i + 1, Files.createDirectories(dir.resolve("c" + (i + 1))));
            startChassis(ch[i]);
        }
    }

    /** Joins c's host to the underlay, makes its client, database, xvio and ovn-controller. */
    private void startChassis(Chassis c) throws Exception {
        String cpu = Long.toHexString(1L << (Runtime.getRuntime().availableProcessors() - 1));
        lab.veth(c.uplink, c.switchPort);
        lab.move(c.switchPort, underlay);
        lab.quietIpv6(underlay, c.switchPort);
        NetLab.ok("ip", "-n", underlay, "link", "set", c.switchPort, "master", UNDERLAY_BRIDGE);
        lab.up(underlay, c.switchPort);
        lab.move(c.uplink, c.host);
        lab.quietIpv6(c.host, c.uplink);
        lab.up(c.host, c.uplink);
        lab.veth(c.hostPort, c.clientPort);
        lab.move(c.hostPort, c.host);
        lab.move(c.clientPort, c.client);
        lab.quietIpv6(c.host, c.hostPort);
        lab.up(c.host, c.hostPort);
        NetLab.ok("ip", "-n", c.client, "link", "set", c.clientPort, "address", c.mac, "mtu", "1400");
        lab.address(c.client, c.clientPort, c.ip4 + "/24");
        lab.exec(c.client, "sysctl", "-qw", "net.ipv6.conf." + c.clientPort + ".disable_ipv6=0");   // the lab's namespaces start without
        NetLab.ok("ip", "-n", c.client, "addr", "add", c.ip6 + "/64", "dev", c.clientPort, "nodad");

        NetLab.ok("ovsdb-tool", "create", c.dir.resolve("conf.db").toString(), OvnIT.SCHEMA);
        ovn.daemon("ovsdb" + c.n, Map.of(), "ovsdb-server", c.dir.resolve("conf.db").toString(), "--remote=punix:" + c.db());
        c.vsctlOk("--no-wait", "init");
        c.vsctlOk("--no-wait", "set", "Open_vSwitch", ".", "external_ids:system-id=" + c.name, "external_ids:ovn-remote=unix:" + ovn.sb(),
                "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=" + c.encapIp,
                "external_ids:ovn-bridge-datapath-type=netdev", "external_ids:ovn-bridge=" + c.brInt, "other_config:pmd-cpu-mask=" + cpu);
        // chassis2's underlay as with OVS-DPDK: br-phy made in OVSDB, the encap IP on its internal interface (the kernel's);
        // the others' in the YAML file
        boolean kernelUnderlay = c.n == 2;
        c.xvio = XvioDaemon.startInWith(c.host, c.dir, kernelUnderlay ? "pmd-idle: adaptive\n" : config("br-phy", c.uplink, c.encapIp),
                List.of("--ovsdb", "unix:" + c.db(), "--vhost-sock-dir", c.dir.resolve("vhost").toString()));
        assertTrue(c.xvio.awaitLog("ovsdb unix:" + c.db() + ": connected", Duration.ofSeconds(15)), c.xvio.log());
        if (kernelUnderlay) {
            c.vsctlOk("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev");
            c.vsctlOk("add-port", "br-phy", c.uplink);
            UplinkPortsIT.awaitStatus(c.xvio, "br-phy", "up", Duration.ofSeconds(20));   // the tap is made by the port's supervisor
            lab.quietIpv6(c.host, "br-phy");
            NetLab.ok("ip", "-n", c.host, "addr", "add", c.encapIp + "/24", "dev", "br-phy");
            NetLab.ok("ip", "-n", c.host, "link", "set", "br-phy", "up");
            Await.awaitMatch(() -> c.call("tnl", "routes"), Pattern.compile(Pattern.quote("Connected: 172.31.96.0/24 dev br-phy SRC " + c.encapIp)),
                    Duration.ofSeconds(15), this::context);
        }
        // BRIDGE.mgmt is in the chassis's directory (xvio's control socket's): OVS_RUNDIR there
        ovn.daemon("controller" + c.n, Map.of("OVS_RUNDIR", c.dir.toString(), "OVN_RUNDIR", c.dir.toString()),
                "ovn-controller", "unix:" + c.db(), "-vfile:info");
    }

    @AfterAll
    void stopEverything() throws Exception {
        try {
            if (ovn != null) ovn.close();       // the controllers first: they would make their bridges again
            for (Chassis c : new Chassis[] {ch[0], ch[1], third}) if (c != null && c.xvio != null) assertEquals(0, c.xvio.stop(), c.xvio.log());
        } finally {
            lab.close();
            io.xvio.testing.TempDirs.removeUnlessKept(dir);
        }
    }

    @Test
    @Order(1)
    void eachChassisMakesAGenevePortToTheOtherOnXvio() throws Exception {
        for (Chassis c : ch) {
            Chassis other = ch[2 - c.n];
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=ip", "find", "Encap", "chassis_name=" + c.name), Pattern.compile(Pattern.quote(c.encapIp)),
                    Duration.ofSeconds(30), this::context);
            String tnl = Await.awaitMatch(c::tunnel, Pattern.compile("\\S"), Duration.ofSeconds(30), this::context);
            String options = c.vsctlOk("get", "Interface", tnl, "options");
            assertTrue(options.contains("remote_ip=\"" + other.encapIp + "\"") && options.contains("key=flow") && options.contains("csum=\"true\""),
                    "ovn-controller's Geneve port: " + options);
            UplinkPortsIT.awaitStatus(c.xvio, tnl, "up", Duration.ofSeconds(30));
            assertEquals("[]", c.vsctlOk("get", "Interface", tnl, "error"), "xvio took the row");
            Await.awaitMatch(() -> c.call("dump-tlv-map", c.brInt), Pattern.compile("0x102\\s+0x80\\s+4\\s+tun_metadata0"), Duration.ofSeconds(30), this::context);
        }
    }

    @Test
    @Order(2)
    void portsOnTwoChassisBindThereAndPingOverGeneve() throws Exception {
        ovn.nbctl("ls-add", "ls1");
        for (Chassis c : ch) {
            ovn.nbctl("lsp-add", "ls1", "lsp" + c.n);
            // IPv4 only: with an IPv6 address OVN answers neighbour solicitations by pinctrl's nd_na, whose packet-out sets
            // nd_target and nd_tll (settable since issue 17, not run here); unknown to OVN, the solicitations cross to the other chassis
            ovn.nbctl("lsp-set-addresses", "lsp" + c.n, c.mac + " " + c.ip4);
            c.vsctlOk("add-port", c.brInt, c.hostPort, "--", "set", "Interface", c.hostPort, "external_ids:iface-id=lsp" + c.n);
        }
        for (Chassis c : ch) {
            String uuid = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=" + c.name);
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=lsp" + c.n),
                    Pattern.compile(Pattern.quote(uuid)), Duration.ofSeconds(30), this::context);
        }
        ovn.syncHv(this::context);
        // OVN's tunnel flows went in and read back through ovs-ofctl with the variable-length field
        for (Chassis c : ch) {
            NetLab.Result t0 = NetLab.run("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "unix:" + c.dir.resolve(c.brInt + ".mgmt"), "table=0");
            assertTrue(t0.rc() == 0 && t0.output().contains("move:NXM_NX_TUN_METADATA0[16..30]->NXM_NX_REG14[0..14]"),
                    c.name + ": table 0 reads the logical ports from the Geneve option\n" + t0.output());
            String flows = c.call("dump-flows", c.brInt);
            assertTrue(flows.lines().anyMatch(l -> l.contains("->tun_metadata0") && l.contains("output:")),
                    c.name + ": the remote output flow writes the option\n" + tail(flows, 20));
        }
        // frames on the underlay: tcpdump on chassis 2's end of the veth while chassis 1's client pings
        Path cap = dir.resolve("geneve.txt");
        Process tcpdump = lab.spawn(ch[1].host, cap, "tcpdump", "-l", "-n", "-vv", "-i", ch[1].uplink, "-c", "6", "udp", "port", "6081");
        Await.awaitMatch(() -> { try { return Files.readString(cap); } catch (java.io.IOException e) { return ""; } }, Pattern.compile("listening on"),
                Duration.ofSeconds(20), this::context);
        // the first packets each way may be dropped while the underlay next hop's MAC is resolved (ARP), as in OVS
        ping(ch[0].client, ch[1].ip4, 2);
        ping(ch[1].client, ch[0].ip4, 2);
        long tx = ch[0].xvio.counter(ch[0].tunnel(), "tx_packets");
        assertEquals(5, ping(ch[0].client, ch[1].ip4, 5), () -> "lsp1 (chassis1) -> lsp2 (chassis2)\n" + context());
        assertEquals(5, ping(ch[1].client, ch[0].ip4, 5), () -> "lsp2 -> lsp1\n" + context());
        assertTrue(tcpdump.waitFor(20, TimeUnit.SECONDS), "tcpdump saw 6 Geneve frames\n" + Files.readString(cap));
        String seen = Files.readString(cap);
        assertTrue(seen.contains("Geneve") && seen.contains("0x102") && seen.contains("type 0x80"),
                "Geneve frames with OVN's option (class 0x102, type 0x80) on the underlay\n" + seen);
        assertTrue(seen.contains(ch[0].encapIp + ".") && seen.contains("> " + ch[1].encapIp + ".6081"), "between the encap IPs\n" + seen);
        assertTrue(ch[0].xvio.counter(ch[0].tunnel(), "tx_packets") - tx >= 10, "chassis1's Geneve port sent the pings and replies\n" + context());
        for (Chassis c : ch)
            assertTrue(ovn.sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=lsp" + c.n).contains("true"));
    }

    @Test
    @Order(3)
    void ipv6AcrossChassis() {
        ping(ch[0].client, ch[1].ip6, 1);                      // neighbour discovery, and the first may meet an unresolved path
        assertEquals(3, ping(ch[0].client, ch[1].ip6, 3), () -> "IPv6 (neighbour discovery and echo) over Geneve\n" + context());
        assertEquals(3, ping(ch[1].client, ch[0].ip6, 3), this::context);
    }

    @Test
    @Order(4)
    void anAclDropsAcrossChassis() {
        ovn.nbctl("acl-add", "ls1", "to-lport", "1001", "icmp", "drop");
        ovn.syncHv(this::context);
        assertEquals(0, ping(ch[0].client, ch[1].ip4, 3), () -> "the drop ACL on lsp2's chassis\n" + context());
        ovn.nbctl("acl-del", "ls1");
        ovn.syncHv(this::context);
        assertEquals(3, ping(ch[0].client, ch[1].ip4, 3), this::context);
        for (Chassis c : ch) assertFalse(c.xvio.log().contains(" rejected ("), c.name + ": xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * ovs-ofctl's own encoding of tun_metadata matches and set_field (a bridge without a controller: chassis1's
     * underlay, with OVN's option mapped by xvio's CLI) reads back the same; a field the bridge does not map is
     * NXFMFC_INVALID_TLV_FIELD, as from OVS.
     */
    @Test
    @Order(5)
    void ovsOfctlRoundTripsTunMetadata() throws Exception {
        Chassis c = ch[0];
        String mgmt = "unix:" + c.dir.resolve("br-phy.mgmt");
        c.call("add-tlv-map", "br-phy", "{class=0x0102,type=0x80,len=4}->tun_metadata0");
        String flow = "cookie=0x99,table=5,priority=7,tun_metadata0=0x10002/0x7fffffff,actions=set_field:0x30001->tun_metadata0,"
                + "move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15]";
        NetLab.Result add = NetLab.run("ovs-ofctl", "-O", "OpenFlow15", "add-flow", mgmt, flow);
        assertEquals(0, add.rc(), add.output() + context());
        NetLab.Result dump = NetLab.run("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", mgmt, "cookie=0x99/-1");
        assertTrue(dump.output().contains("tun_metadata0=0x10002/0x7fffffff"), "the match, as ovs-ofctl prints it\n" + dump.output());
        assertTrue(dump.output().contains("set_field:0x30001->tun_metadata0") && dump.output().contains("move:NXM_NX_TUN_METADATA0[0..15]->NXM_NX_REG15[0..15]"),
                "the actions\n" + dump.output());
        assertTrue(c.call("dump-flows", "br-phy").contains("tun_metadata0=0x10002/0x7fffffff"), c.call("dump-flows", "br-phy"));
        NetLab.Result unmapped = NetLab.run("ovs-ofctl", "-O", "OpenFlow15", "add-flow", mgmt, "table=5,tun_metadata1=0x1,actions=drop");
        assertTrue(unmapped.rc() != 0 && unmapped.output().contains("NXFMFC_INVALID_TLV_FIELD"), unmapped.output());
    }

    /**
     * TCP across chassis, 1 MiB each way compared by SHA-256: the clients' kernels send TSO frames, which xvio takes
     * whole from the afpacket ports and cuts for the Geneve port; every segment must keep the tunnel fields OVN's
     * flows set (key=flow's VNI, the logical ports in tun_metadata0), or the other chassis drops it.
     */
    @Test
    @Order(6)
    void tcpAcrossChassisWithTheClientsSegmentationOffloads() throws Exception {
        long segmented = ch[0].xvio.counter(ch[0].tunnel(), "tx_gso_segmented") + ch[1].xvio.counter(ch[1].tunnel(), "tx_gso_segmented");
        for (int from = 0; from < 2; from++) {
            Chassis src = ch[from], dst = ch[1 - from];
            NamespaceTcp.Transfer t = NamespaceTcp.send(lab, dst.client, src.client, dst.ip4, 5001, dir.resolve("tcp" + from + ".txt"));
            assertTrue(t.intact(), "1 MiB " + src.name + " -> " + dst.name + " over Geneve, same SHA-256: " + t.describe() + "\n" + context());
        }
        long after = ch[0].xvio.counter(ch[0].tunnel(), "tx_gso_segmented") + ch[1].xvio.counter(ch[1].tunnel(), "tx_gso_segmented");
        assertTrue(after > segmented, "the clients' TSO frames were cut for the Geneve ports\n" + context());
    }

    /**
     * BFD between two xvio chassis: lr1's port on ls1 with both chassis as gateway chassis (an HA group) makes each
     * ovn-controller enable BFD on its tunnel to the other; both sessions come up (each xvio accepts the other's
     * messages), the higher-priority chassis holds the gateway port, and BFD stops with the group.
     */
    @Test
    @Order(7)
    void bfdComesUpBetweenTwoXvioChassisForAnHaGatewayGroup() throws Exception {
        ovn.nbctl("lr-add", "lr1");
        ovn.nbctl("lrp-add", "lr1", "lrp1", "02:00:00:00:96:a1", "10.96.1.1/24");
        ovn.nbctl("lsp-add", "ls1", "ls1-lr1", "--", "lsp-set-type", "ls1-lr1", "router", "--", "lsp-set-addresses", "ls1-lr1", "router",
                "--", "lsp-set-options", "ls1-lr1", "router-port=lrp1");
        ovn.nbctl("lrp-set-gateway-chassis", "lrp1", "chassis1", "20");
        ovn.nbctl("lrp-set-gateway-chassis", "lrp1", "chassis2", "10");
        // a session goes up on the other's init; the other's next message (up to a second later) says up
        Pattern upBothWays = Pattern.compile("(?=.*forwarding=\"true\")(?=.*remote_state=up)(?=.*[{ ]state=up)");
        for (Chassis c : ch)
            Await.awaitMatch(() -> c.vsctlOk("get", "Interface", c.tunnel(), "bfd_status"), upBothWays, Duration.ofSeconds(30),
                    () -> c.name + "'s session is up, and so is the remote's\n" + c.call("bfd/show") + context());
        String uuid = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis1");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=cr-lrp1"), Pattern.compile(Pattern.quote(uuid)),
                Duration.ofSeconds(30), () -> "the gateway port on the higher-priority chassis\n" + context());
        ovn.nbctl("lrp-del-gateway-chassis", "lrp1", "chassis1");
        ovn.nbctl("lrp-del-gateway-chassis", "lrp1", "chassis2");
        for (Chassis c : ch)
            Await.awaitMatch(() -> c.call("bfd/show").strip(), Pattern.compile("^no BFD sessions$"), Duration.ofSeconds(30), () -> c.name + "\n" + context());
    }

    /**
     * A gateway failover driven by xvio's BFD, as OVN runs it with three chassis: a third chassis hosts lsp3 on ls1
     * (so it references lr1's HA group and runs BFD to both gateway chassis). chassis1 (priority 20) holds the gateway
     * port; its uplink goes down: every session with it expires, chassis2 still has BFD up with chassis3 and takes the
     * port over; the uplink comes back, the sessions come up again and chassis1 takes the port back.
     */
    @Test
    @Order(8)
    void aGatewayPortFailsOverWhenItsChassisLosesTheUnderlay() throws Exception {
        third = new Chassis(3, Files.createDirectories(dir.resolve("c3")));
        startChassis(third);
        ovn.nbctl("lsp-add", "ls1", "lsp3");
        ovn.nbctl("lsp-set-addresses", "lsp3", third.mac + " " + third.ip4);
        third.vsctlOk("add-port", third.brInt, third.hostPort, "--", "set", "Interface", third.hostPort, "external_ids:iface-id=lsp3");
        String c3 = Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis3"), Pattern.compile("\\S"),
                Duration.ofSeconds(30), this::context);
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=lsp3"), Pattern.compile(Pattern.quote(c3)),
                Duration.ofSeconds(30), this::context);
        String c1 = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis1");
        String c2 = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis2");
        Supplier<String> gateway = () -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=cr-lrp1");
        ovn.nbctl("lrp-set-gateway-chassis", "lrp1", "chassis1", "20");
        ovn.nbctl("lrp-set-gateway-chassis", "lrp1", "chassis2", "10");

        Pattern up = Pattern.compile("(?=.*forwarding=\"true\")(?=.*remote_state=up)(?=.*[{ ]state=up)");
        Pattern down = Pattern.compile("forwarding=\"false\"");
        for (Chassis gw : ch)
            Await.awaitMatch(() -> bfdStatus(third, gw), up, Duration.ofSeconds(40), () -> "chassis3's session with " + gw.name + " is up\n" + third.call("bfd/show") + context());
        Await.awaitMatch(() -> bfdStatus(ch[1], third), up, Duration.ofSeconds(30), () -> "chassis2's session with chassis3\n" + ch[1].call("bfd/show") + context());
        Await.awaitMatch(gateway, Pattern.compile(Pattern.quote(c1)), Duration.ofSeconds(30), () -> "the gateway port on chassis1\n" + context());
        ping(third.client, ch[0].ip4, 2);                     // the first may meet unresolved next hops (ARP), as in OVS
        assertEquals(3, ping(third.client, ch[0].ip4, 3), () -> "lsp3 (chassis3) reaches lsp1 over Geneve\n" + context());

        lab.down(ch[0].host, ch[0].uplink);
        Await.awaitMatch(() -> bfdStatus(third, ch[0]), down, Duration.ofSeconds(30), () -> "chassis3's session with chassis1 expired\n" + third.call("bfd/show") + context());
        Await.awaitMatch(gateway, Pattern.compile(Pattern.quote(c2)), Duration.ofSeconds(30),
                () -> "chassis2 took the gateway port over\n" + ch[1].call("bfd/show") + context());
        assertTrue(bfdStatus(ch[1], third).contains("forwarding=\"true\""), () -> "chassis2 still reaches chassis3\n" + ch[1].call("bfd/show"));

        lab.up(ch[0].host, ch[0].uplink);
        Await.awaitMatch(() -> bfdStatus(third, ch[0]), up, Duration.ofSeconds(40), () -> "chassis3's session with chassis1 up again\n" + third.call("bfd/show") + context());
        Await.awaitMatch(gateway, Pattern.compile(Pattern.quote(c1)), Duration.ofSeconds(30), () -> "chassis1 took the gateway port back\n" + context());
        ping(third.client, ch[0].ip4, 2);
        assertEquals(3, ping(third.client, ch[0].ip4, 3), () -> "lsp3 reaches lsp1 again\n" + context());
        ovn.nbctl("lrp-del-gateway-chassis", "lrp1", "chassis1");
        ovn.nbctl("lrp-del-gateway-chassis", "lrp1", "chassis2");
    }

    /** The bfd_status of from's tunnel to to ("" until ovn-controller made the tunnel). */
    private static String bfdStatus(Chassis from, Chassis to) {
        String tnl = from.vsctlOk("--bare", "--columns=name", "find", "Interface", "type=geneve", "options:remote_ip=\"" + to.encapIp + "\"");
        return tnl.isEmpty() ? "" : from.vsctlOk("get", "Interface", tnl, "bfd_status");
    }
}
