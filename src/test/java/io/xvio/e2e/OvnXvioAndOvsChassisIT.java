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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One OVN deployment whose two chassis are xvio and Open vSwitch: what a cloud moving its hosts from OVS to xvio
 * runs for a while. OVN central (NB, SB, ovn-northd) in a temp dir; chassis1 is a host namespace with its own
 * Open_vSwitch database, {@code bin/xvio daemon --ovsdb} (underlay bridge {@code br-phy} made with ovs-vsctl, its
 * uplink a system port, the encap IP on its internal interface: the kernel's, as on an OVS-DPDK host) and
 * ovn-controller; chassis2 is ovs-vswitchd with the userspace datapath in the root namespace
 * (the way OVS-DPDK hosts tunnel: an underlay bridge whose LOCAL port holds the encap IP, the other end of the
 * underlay veth a system port, the route given with {@code ovs/route/add}) and its own ovn-controller. Each chassis
 * gets the other's Geneve port from ovn-controller. Logical ports: lsp1 (xvio) and lsp2 (OVS) on ls1, lsp3 (OVS) on
 * ls2, joined by lr1. The cases: pings across the two switch implementations both ways (Geneve with OVN's option,
 * which each side's flows read), routing where each side routes for its own ports, stateful ACLs whose connections
 * one side commits and the other answers, and 1 MiB of TCP each way. One world for all cases; every daemon is
 * stopped by its pid.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OvnXvioAndOvsChassisIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OvnXvioAndOvsChassisIT {
    private static final String XVIO_ENCAP = "172.31.97.1", OVS_ENCAP = "172.31.97.2";
    private final NetLab lab = new NetLab();
    private Path dir, xd, od;
    private OvnCentral ovn;
    private XvioDaemon xvio;
    private OvsUserspace ovs;
    /** xvio's host namespace; the client namespaces of lsp1 (on xvio), lsp2 and lsp3 (on OVS). */
    private String host, c1, c2, c3;
    private String xUplink, oUplink, xPort1, oPort2, oPort3, xBrInt, oBrInt, oBrPhy;

    static boolean enabled() { return OvnIT.enabled() && OvsUserspace.available(); }

    private NetLab.Result xvsctl(String... args) {
        return NetLab.run(Stream.concat(Stream.of("ovs-vsctl", "--db=unix:" + xd.resolve("db.sock"), "--timeout=30"), Stream.of(args)).toArray(String[]::new));
    }

    private String xvsctlOk(String... args) {
        NetLab.Result r = xvsctl(args);
        assertEquals(0, r.rc(), () -> "xvio chassis: ovs-vsctl " + String.join(" ", args) + ": " + r.output() + "\n" + context());
        return r.output().strip();
    }

    private String call(String... args) {
        try {
            return xvio.call(args);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private String context() {
        StringBuilder s = new StringBuilder();
        s.append("\n--- xvio log (tail)\n").append(tail(xvio == null ? "" : xvio.log(), 40));
        if (xvio != null) s.append("\n--- xvio stats\n").append(call("stats")).append(call("tnl", "neigh"));
        if (ovs != null) {
            s.append("\n--- OVS log (tail)\n").append(tail(ovs.log(), 30));
            s.append("\n--- OVS datapath flows\n").append(tail(NetLab.run("ovs-appctl", "-t", od.resolve("vsd.ctl").toString(), "dpctl/dump-flows").output(), 30));
            s.append(NetLab.run("ovs-appctl", "-t", od.resolve("vsd.ctl").toString(), "tnl/neigh/show").output());
        }
        if (ovn != null)
            for (String c : List.of("controller1", "controller2"))
                s.append("\n--- ").append(c).append(" log (tail)\n").append(tail(ovn.log(c), 20));
        return s.toString();
    }

    private static String tail(String text, int lines) {
        List<String> l = text.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }

    private int ping(String from, String to, int count) {
        NetLab.Result r = lab.exec(from, "busybox", "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", to);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return Integer.parseInt(m.group(2));
    }

    /** A logical switch port with its "MAC IP" address. */
    private void lsp(String ls, String name, String addresses) {
        ovn.nbctl("lsp-add", ls, name, "--", "lsp-set-addresses", name, addresses);
    }

    /** A veth whose first end stays in the root namespace (an OVS port) or goes to ns; the second in client. */
    private void clientVeth(String end, String ns, String clientEnd, String client, String mac, String cidr) {
        lab.veth(end, clientEnd);
        if (ns != null) lab.move(end, ns);
        lab.quietIpv6(ns, end);
        lab.up(ns, end);
        lab.move(clientEnd, client);
        NetLab.ok("ip", "-n", client, "link", "set", clientEnd, "address", mac, "mtu", "1400");
        lab.address(client, clientEnd, cidr);
    }

    @BeforeAll
    void startCentralAndBothChassis() throws Exception {
        dir = Files.createTempDirectory("xvio-ovnmix");
        xd = Files.createDirectories(dir.resolve("xvio"));
        od = Files.createDirectories(dir.resolve("ovs"));
        ovn = OvnCentral.start(dir);
        host = lab.netns();
        c1 = lab.netns();
        c2 = lab.netns();
        c3 = lab.netns();
        xUplink = lab.name("mxu");
        oUplink = lab.name("mou");
        xPort1 = lab.name("mxa");
        oPort2 = lab.name("moa");
        oPort3 = lab.name("mob");
        xBrInt = lab.name("mxi");
        oBrInt = lab.name("moi");
        oBrPhy = lab.name("mop");
        lab.veth(xUplink, oUplink);                             // the underlay: xvio's host namespace <-> OVS's root namespace
        lab.move(xUplink, host);
        lab.quietIpv6(host, xUplink);
        lab.up(host, xUplink);
        lab.quietIpv6(null, oUplink);
        lab.up(null, oUplink);
        clientVeth(xPort1, host, lab.name("mxb"), c1, "02:00:00:00:97:01", "10.97.1.11/24");
        String end2 = lab.name("moc"), end3 = lab.name("mod");
        clientVeth(oPort2, null, end2, c2, "02:00:00:00:97:02", "10.97.1.12/24");
        clientVeth(oPort3, null, end3, c3, "02:00:00:00:97:03", "10.97.2.13/24");
        // OVS's userspace datapath takes no checksum or segmentation offload from a system port (OVS 3.1 without
        // userspace-tso): its clients send whole, checksummed frames, as OVS's documentation has veths set up
        NetLab.ok("ip", "netns", "exec", c2, "ethtool", "-K", end2, "tx", "off", "tso", "off", "gso", "off");
        NetLab.ok("ip", "netns", "exec", c3, "ethtool", "-K", end3, "tx", "off", "tso", "off", "gso", "off");

        // chassis1: xvio
        NetLab.ok("ovsdb-tool", "create", xd.resolve("conf.db").toString(), OvnIT.SCHEMA);
        ovn.daemon("ovsdb1", Map.of(), "ovsdb-server", xd.resolve("conf.db").toString(), "--remote=punix:" + xd.resolve("db.sock"));
        xvsctlOk("--no-wait", "init");
        String cpu = Long.toHexString(1L << (Runtime.getRuntime().availableProcessors() - 1));
        xvsctlOk("--no-wait", "set", "Open_vSwitch", ".", "external_ids:system-id=chassis1", "external_ids:ovn-remote=unix:" + ovn.sb(),
                "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=" + XVIO_ENCAP,
                "external_ids:ovn-bridge-datapath-type=netdev", "external_ids:ovn-bridge=" + xBrInt, "other_config:pmd-cpu-mask=" + cpu);
        xvio = XvioDaemon.startInWith(host, xd, "pmd-idle: adaptive\n",
                List.of("--ovsdb", "unix:" + xd.resolve("db.sock"), "--vhost-sock-dir", xd.resolve("vhost").toString()));
        assertTrue(xvio.awaitLog("ovsdb unix:" + xd.resolve("db.sock") + ": connected", Duration.ofSeconds(15)), xvio.log());
        // the underlay as on an OVS-DPDK host: br-phy made in OVSDB with the uplink, the encap IP on its internal
        // interface (the kernel's address and route, which xvio takes as OVS does)
        xvsctlOk("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev");
        xvsctlOk("add-port", "br-phy", xUplink);
        UplinkPortsIT.awaitStatus(xvio, "br-phy", "up", Duration.ofSeconds(20));   // the tap is made by the port's supervisor
        lab.quietIpv6(host, "br-phy");
        NetLab.ok("ip", "-n", host, "addr", "add", XVIO_ENCAP + "/24", "dev", "br-phy");
        NetLab.ok("ip", "-n", host, "link", "set", "br-phy", "up");
        Await.awaitMatch(() -> {
                    try {
                        return xvio.call("tnl", "routes");
                    } catch (java.io.IOException e) {
                        return e.toString();
                    }
                }, Pattern.compile(Pattern.quote("Connected: 172.31.97.0/24 dev br-phy SRC " + XVIO_ENCAP)),
                Duration.ofSeconds(15), this::context);
        ovn.daemon("controller1", Map.of("OVS_RUNDIR", xd.toString(), "OVN_RUNDIR", xd.toString()), "ovn-controller", "unix:" + xd.resolve("db.sock"), "-vfile:info");

        // chassis2: OVS, tunnelling as Documentation/howto/userspace-tunneling.rst sets it up
        ovs = OvsUserspace.start(od, oBrPhy);
        ovs.addPort(oUplink, 1);
        NetLab.ok("ip", "addr", "add", OVS_ENCAP + "/24", "dev", oBrPhy);
        NetLab.ok("ip", "link", "set", oBrPhy, "up");
        ovs.appctl("ovs/route/add", "172.31.97.0/24", oBrPhy);
        ovs.vsctl("set", "Open_vSwitch", ".", "external_ids:system-id=chassis2", "external_ids:ovn-remote=unix:" + ovn.sb(),
                "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=" + OVS_ENCAP,
                "external_ids:ovn-bridge-datapath-type=netdev", "external_ids:ovn-bridge=" + oBrInt);
        ovn.daemon("controller2", Map.of("OVS_RUNDIR", od.toString(), "OVN_RUNDIR", od.toString()), "ovn-controller", "unix:" + od.resolve("db.sock"), "-vfile:info");
    }

    @AfterAll
    void stopEverything() throws Exception {
        try {
            if (ovn != null) ovn.close();       // the controllers first: they would make their bridges again
            if (xvio != null) assertEquals(0, xvio.stop(), xvio.log());
        } finally {
            try {
                if (ovs != null) {
                    NetLab.run("ovs-vsctl", "--timeout=10", "--db=unix:" + od.resolve("db.sock"), "--if-exists", "del-br", oBrInt);
                    ovs.close();
                }
                NetLab.run("ip", "link", "del", oBrInt);    // the TAP device of OVS's integration bridge, if still there
            } finally {
                lab.close();
                io.xvio.testing.TempDirs.removeUnlessKept(dir);
            }
        }
    }

    @Test
    @Order(1)
    void eachChassisMakesAGenevePortToTheOther() throws Exception {
        for (String[] c : new String[][] {{"chassis1", XVIO_ENCAP}, {"chassis2", OVS_ENCAP}})
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=ip", "find", "Encap", "chassis_name=" + c[0]), Pattern.compile(Pattern.quote(c[1])),
                    Duration.ofSeconds(30), this::context);
        String xt = Await.awaitMatch(() -> xvsctlOk("--bare", "--columns=name", "find", "Interface", "type=geneve"), Pattern.compile("\\S"), Duration.ofSeconds(30), this::context);
        assertTrue(xvsctlOk("get", "Interface", xt, "options").contains("remote_ip=\"" + OVS_ENCAP + "\""), xvsctlOk("get", "Interface", xt, "options"));
        UplinkPortsIT.awaitStatus(xvio, xt, "up", Duration.ofSeconds(30));
        String ot = Await.awaitMatch(() -> ovs.vsctl("--bare", "--columns=name", "find", "Interface", "type=geneve").strip(), Pattern.compile("\\S"),
                Duration.ofSeconds(30), this::context);
        assertTrue(ovs.vsctl("get", "Interface", ot, "options").contains("remote_ip=\"" + XVIO_ENCAP + "\""), ovs.vsctl("get", "Interface", ot, "options"));
        Await.awaitMatch(() -> ovs.vsctl("get", "Interface", ot, "ofport").strip(), Pattern.compile("^[1-9]\\d*$"), Duration.ofSeconds(30), this::context);
    }

    @Test
    @Order(2)
    void portsOnXvioAndOnOvsPingEachOtherOverGeneve() throws Exception {
        ovn.nbctl("ls-add", "ls1");
        lsp("ls1", "lsp1", "02:00:00:00:97:01 10.97.1.11");
        lsp("ls1", "lsp2", "02:00:00:00:97:02 10.97.1.12");
        xvsctlOk("add-port", xBrInt, xPort1, "--", "set", "Interface", xPort1, "external_ids:iface-id=lsp1");
        ovs.vsctl("add-port", oBrInt, oPort2, "--", "set", "Interface", oPort2, "external_ids:iface-id=lsp2");
        for (String[] b : new String[][] {{"lsp1", "chassis1"}, {"lsp2", "chassis2"}}) {
            String uuid = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=" + b[1]);
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=" + b[0]),
                    Pattern.compile(Pattern.quote(uuid)), Duration.ofSeconds(30), this::context);
        }
        ovn.syncHv(this::context);
        // the first packets each way may be dropped while the underlay next hop's MAC is resolved
        ping(c1, "10.97.1.12", 2);
        ping(c2, "10.97.1.11", 2);
        String xt = xvsctlOk("--bare", "--columns=name", "find", "Interface", "type=geneve");
        long tx = xvio.counter(xt, "tx_packets"), rx = xvio.counter(xt, "rx_packets");
        assertEquals(5, ping(c1, "10.97.1.12", 5), () -> "lsp1 (xvio) -> lsp2 (OVS)\n" + context());
        assertEquals(5, ping(c2, "10.97.1.11", 5), () -> "lsp2 (OVS) -> lsp1 (xvio)\n" + context());
        assertTrue(xvio.counter(xt, "tx_packets") - tx >= 10 && xvio.counter(xt, "rx_packets") - rx >= 10,
                "the pings and their answers crossed xvio's Geneve port\n" + context());
        // OVS decapsulated xvio's frames and read OVN's option from them (its datapath flows match the option xvio wrote)
        String dp = ovs.appctl("dpctl/dump-flows");
        assertTrue(dp.contains("tnl_pop") && dp.contains("tnl_push"), "OVS tunnelled itself\n" + dp);
        assertTrue(dp.contains("geneve({class=0x102,type=0x80,len=4"), "OVN's option in OVS's flows for xvio's frames\n" + dp);
        for (String p : List.of("lsp1", "lsp2"))
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=" + p), Pattern.compile("true"),
                    Duration.ofSeconds(30), this::context);
    }

    /**
     * A distributed router: lsp1 (xvio, ls1) to lsp3 (OVS, ls2). The source chassis runs the whole logical pipeline
     * (ls1, lr1, ls2's ingress) and sends the packet with ls2's datapath key, so xvio routes the requests and OVS the
     * answers: each must deliver what the other routed.
     */
    @Test
    @Order(3)
    void aRouterBetweenSwitchesOnBothChassis() throws Exception {
        ovn.nbctl("ls-add", "ls2");
        lsp("ls2", "lsp3", "02:00:00:00:97:03 10.97.2.13");
        ovn.nbctl("lr-add", "lr1");
        ovn.nbctl("lrp-add", "lr1", "lrp1", "02:00:00:00:97:a1", "10.97.1.1/24");
        ovn.nbctl("lrp-add", "lr1", "lrp2", "02:00:00:00:97:a2", "10.97.2.1/24");
        for (String[] s : new String[][] {{"ls1", "lrp1", "02:00:00:00:97:a1"}, {"ls2", "lrp2", "02:00:00:00:97:a2"}}) {
            ovn.nbctl("lsp-add", s[0], s[0] + "-lr1");
            ovn.nbctl("lsp-set-type", s[0] + "-lr1", "router");
            ovn.nbctl("lsp-set-addresses", s[0] + "-lr1", s[2]);
            ovn.nbctl("lsp-set-options", s[0] + "-lr1", "router-port=" + s[1]);
        }
        ovs.vsctl("add-port", oBrInt, oPort3, "--", "set", "Interface", oPort3, "external_ids:iface-id=lsp3");
        String uuid = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis2");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=lsp3"),
                Pattern.compile(Pattern.quote(uuid)), Duration.ofSeconds(30), this::context);
        ovn.syncHv(this::context);
        NetLab.ok("ip", "-n", c1, "route", "add", "default", "via", "10.97.1.1");
        NetLab.ok("ip", "-n", c2, "route", "add", "default", "via", "10.97.1.1");
        NetLab.ok("ip", "-n", c3, "route", "add", "default", "via", "10.97.2.1");
        assertEquals(3, ping(c1, "10.97.1.1", 3), () -> "lsp1 pings the router port (OVN's responder on xvio)\n" + context());
        ping(c1, "10.97.2.13", 2);                              // the router resolves lsp3's MAC from OVN's database: no ARP; warm-up only
        assertEquals(5, ping(c1, "10.97.2.13", 5), () -> "lsp1 (xvio, ls1) -> lsp3 (OVS, ls2) through lr1\n" + context());
        assertEquals(5, ping(c3, "10.97.1.11", 5), () -> "lsp3 (OVS, ls2) -> lsp1 (xvio, ls1) through lr1\n" + context());
        NetLab.Result tr = lab.exec(c1, "busybox", "traceroute", "-n", "-w", "1", "-q", "1", "-m", "3", "10.97.2.13");
        assertTrue(tr.output().contains("10.97.1.1") && tr.output().contains("10.97.2.13"), "one router hop, as OVN routes\n" + tr.output() + context());
    }

    /**
     * Stateful ACLs ({@code allow-related} over a drop) on ls1: the request's chassis commits the connection in its
     * conntrack (ls1's ingress), the answer's chassis finds it established; xvio's conntrack and OVS's each see half
     * of every connection.
     */
    @Test
    @Order(4)
    void allowRelatedAclsAcrossXvioAndOvsConntrack() {
        ovn.nbctl("acl-add", "ls1", "to-lport", "1002", "ip4 && icmp", "allow-related");
        ovn.nbctl("acl-add", "ls1", "to-lport", "1001", "ip4", "drop");
        ovn.syncHv(this::context);
        assertEquals(3, ping(c1, "10.97.1.12", 3), () -> "xvio -> OVS, allowed and committed\n" + context());
        assertEquals(3, ping(c2, "10.97.1.11", 3), () -> "OVS -> xvio, allowed and committed\n" + context());
        assertTrue(call("conntrack", "dump").contains("10.97.1.12"), "xvio tracked the connections\n" + call("conntrack", "dump"));
        assertTrue(ovs.appctl("dpctl/dump-conntrack").contains("10.97.1.11"), "OVS tracked them too\n" + ovs.appctl("dpctl/dump-conntrack"));
        // TCP is not allowed: a connection to a closed port meets the drop (no reset comes back) on each side's egress
        assertFalse(connect(c1, "10.97.1.12").contains("refused"), "OVS applied ls1's drop to lsp2's traffic\n" + context());
        assertFalse(connect(c2, "10.97.1.11").contains("refused"), "xvio applied ls1's drop to lsp1's traffic\n" + context());
        ovn.nbctl("acl-del", "ls1", "to-lport", "1001", "ip4");
        ovn.syncHv(this::context);
        assertTrue(connect(c1, "10.97.1.12").contains("refused"), "without the drop, lsp2's kernel resets\n" + context());
        assertTrue(connect(c2, "10.97.1.11").contains("refused"), "without the drop, lsp1's kernel resets\n" + context());
        assertEquals(3, ping(c1, "10.97.1.12", 3), this::context);
        ovn.nbctl("acl-del", "ls1");
        ovn.syncHv(this::context);
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /** busybox nc's answer to a TCP connection to port 9 (nothing listens): "Connection refused" or a time-out. */
    private String connect(String from, String to) {
        return lab.exec(from, "busybox", "nc", "-w", "2", to, "9").output();
    }

    /** 1 MiB of TCP each way between lsp1 (xvio) and lsp2 (OVS), compared by SHA-256. */
    @Test
    @Order(5)
    void tcpBetweenXvioAndOvsChassis() throws Exception {
        NamespaceTcp.Transfer toOvs = NamespaceTcp.send(lab, c2, c1, "10.97.1.12", 5001, dir.resolve("tcp1.txt"));
        assertTrue(toOvs.intact(), "1 MiB lsp1 (xvio) -> lsp2 (OVS): " + toOvs.describe() + "\n" + context());
        NamespaceTcp.Transfer toXvio = NamespaceTcp.send(lab, c1, c2, "10.97.1.11", 5002, dir.resolve("tcp2.txt"));
        assertTrue(toXvio.intact(), "1 MiB lsp2 (OVS) -> lsp1 (xvio): " + toXvio.describe() + "\n" + context());
    }

    /**
     * BFD between an xvio chassis and an OVS one: lr1's ls2 port gets both chassis as gateway chassis (an HA group),
     * so each ovn-controller enables BFD ({@code bfd:enable=true}) on its tunnel to the other and reads bfd_status to
     * tell which gateway is alive. Both sessions come up, which needs each side to accept the other's control messages
     * (OVS's bfd/show says so from its side, xvio's bfd_status from its own); the higher-priority chassis (xvio) keeps
     * the gateway port. The underlay taken down, both sessions expire; back up, they come up again. With the gateway
     * chassis gone, ovn-controller disables BFD and
     * xvio's bfd_status empties.
     */
    @Test
    @Order(6)
    void bfdComesUpBetweenXvioAndOvsForAnHaGatewayGroup() throws Exception {
        ovn.nbctl("lrp-set-gateway-chassis", "lrp2", "chassis1", "20");
        ovn.nbctl("lrp-set-gateway-chassis", "lrp2", "chassis2", "10");
        String xt = xvsctlOk("--bare", "--columns=name", "find", "Interface", "type=geneve");
        String ot = ovs.vsctl("--bare", "--columns=name", "find", "Interface", "type=geneve").strip();
        Await.awaitMatch(() -> xvsctlOk("get", "Interface", xt, "bfd"), Pattern.compile("enable=\"?true"), Duration.ofSeconds(30),
                () -> "ovn-controller enabled BFD on xvio's tunnel\n" + context());
        // a session goes up on the other's init; the other's next message (up to a second later) says up
        Pattern upBothWays = Pattern.compile("(?=.*forwarding=\"true\")(?=.*remote_state=up)(?=.*[{ ]state=up)");
        Await.awaitMatch(() -> xvsctlOk("get", "Interface", xt, "bfd_status"), upBothWays, Duration.ofSeconds(30),
                () -> "xvio's session is up, and so is the remote's\n" + xvsctlOk("get", "Interface", xt, "bfd_status") + "\n" + call("bfd/show") + ovs.appctl("bfd/show") + context());
        Await.awaitMatch(() -> ovs.vsctl("get", "Interface", ot, "bfd_status"), Pattern.compile("state=up"), Duration.ofSeconds(30),
                () -> "OVS's session is up\n" + ovs.appctl("bfd/show") + call("bfd/show") + context());
        // OVS goes up on xvio's init; xvio's next message (up to a second later) says up
        String show = Await.awaitMatch(() -> ovs.appctl("bfd/show"), Pattern.compile("Remote Session State: up"), Duration.ofSeconds(10),
                () -> "OVS's view of xvio's messages\n" + ovs.appctl("bfd/show"));
        assertTrue(show.contains("Forwarding: true"), "OVS forwards over the tunnel to xvio:\n" + show);
        String uuid = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis1");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=cr-lrp2"), Pattern.compile(Pattern.quote(uuid)),
                Duration.ofSeconds(30), () -> "the gateway port on the higher-priority chassis\n" + context());
        // the underlay fails: both sessions expire (OVN then moves the gateway port to neither: a chassis that reaches no
        // other by BFD claims nothing, against split brain); back up, both sessions come up again and xvio has the port
        NetLab.ok("ip", "-n", host, "link", "set", xUplink, "down");
        try {
            Await.awaitMatch(() -> xvsctlOk("get", "Interface", xt, "bfd_status"), Pattern.compile("Control Detection Time Expired"), Duration.ofSeconds(15),
                    () -> "xvio's session expired\n" + call("bfd/show") + context());
            Await.awaitMatch(() -> ovs.appctl("bfd/show"), Pattern.compile("Local Diagnostic: Control Detection Time Expired"), Duration.ofSeconds(15),
                    () -> "OVS's session expired\n" + ovs.appctl("bfd/show"));
        } finally {
            NetLab.ok("ip", "-n", host, "link", "set", xUplink, "up");
        }
        Await.awaitMatch(() -> xvsctlOk("get", "Interface", xt, "bfd_status"), upBothWays, Duration.ofSeconds(30),
                () -> "xvio's session is up again\n" + call("bfd/show") + context());
        Await.awaitMatch(() -> ovs.appctl("bfd/show"), Pattern.compile("Remote Session State: up"), Duration.ofSeconds(30),
                () -> "OVS's session is up again\n" + ovs.appctl("bfd/show"));
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=cr-lrp2"), Pattern.compile(Pattern.quote(uuid)),
                Duration.ofSeconds(30), () -> "the gateway port on xvio again\n" + context());
        ovn.nbctl("lrp-del-gateway-chassis", "lrp2", "chassis1");
        ovn.nbctl("lrp-del-gateway-chassis", "lrp2", "chassis2");
        Await.awaitMatch(() -> xvsctlOk("get", "Interface", xt, "bfd_status"), Pattern.compile("^\\{\\}$"), Duration.ofSeconds(30),
                () -> "BFD stopped on xvio's tunnel\n" + xvsctlOk("get", "Interface", xt, "bfd") + context());
        assertEquals("no BFD sessions", call("bfd/show").strip());
    }
}
