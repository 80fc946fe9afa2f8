package io.xvio.e2e;

import io.xvio.testing.Await;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * xvio as an OVN chassis, end to end: a private Open_vSwitch database served by ovsdb-server, {@code bin/xvio daemon
 * --ovsdb} on it (in ovs-vswitchd's place), OVN's NB and SB databases with ovn-northd, and a real
 * {@code ovn-controller} (Debian's ovn-host) on the same Open_vSwitch database. ovn-controller makes its integration
 * bridge (datapath_type=netdev, a name unique to this run), connects to its OpenFlow socket {@code BRIDGE.mgmt}
 * (OVS_RUNDIR is the test's directory, where xvio's control socket is) and programs it. Two veths whose other ends
 * are in namespaces are ports of that bridge with {@code external_ids:iface-id} naming logical switch ports; the
 * test checks what an OVN user checks: the ports are bound to the chassis in the SB database, OVN's tables are in
 * xvio's flow table, and the namespaces ping each other through xvio, as the logical topology says.
 * One world for all cases; every daemon is stopped by its pid.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OvnIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OvnIT {
    static final String SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
    private final NetLab lab = new NetLab();
    private Path dir;
    private OvnCentral ovn;
    private XvioDaemon xvio;
    private String brInt;
    /** The provider network's host (case 14): its namespace and interface, on VLAN 100 behind the provider bridge. */
    private String providerNs, providerIf;
    private final String[] ns = new String[5], port = new String[5], mac = new String[5], ip = new String[5], nsIf = new String[5];

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && Files.exists(Path.of(SCHEMA))
                && NetLab.run("ovsdb-server", "--version").rc() == 0 && NetLab.run("ovs-vsctl", "--version").rc() == 0
                && OvnCentral.available();
    }

    private Path db() { return dir.resolve("db.sock"); }

    private NetLab.Result vsctl(String... args) {
        return NetLab.run(Stream.concat(Stream.of("ovs-vsctl", "--db=unix:" + db(), "--timeout=30"), Stream.of(args)).toArray(String[]::new));
    }

    private String vsctlOk(String... args) {
        NetLab.Result r = vsctl(args);
        assertEquals(0, r.rc(), () -> "ovs-vsctl " + String.join(" ", args) + ": " + r.output() + "\n" + context());
        return r.output().strip();
    }

    /** What to read when a case fails: the logs of xvio and ovn-controller (their tails) and the bridge's flows. */
    private String context() {
        StringBuilder s = new StringBuilder();
        s.append("\n--- xvio log (tail)\n").append(tail(xvio == null ? "" : xvio.log(), 60));
        s.append("\n--- ovn-controller log (tail)\n").append(tail(ovn == null ? "" : ovn.log("controller"), 60));
        return s.toString();
    }

    /** The backends' web servers (case 6), by namespace index. */
    private final Process[] httpd = new Process[5];

    private String learnedAffinity() {
        try {
            return xvio.call("dump-flows", brInt, "table=78");
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private String stats() {
        try {
            return xvio.call("stats");
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String tail(String text, int lines) {
        List<String> l = text.lines().toList();
        return String.join("\n", l.subList(Math.max(0, l.size() - lines), l.size()));
    }

    /** busybox ping from a namespace; returns the replies received. */
    private int ping(String from, String to, int count) { return ping("ping", from, to, count); }

    /** busybox ping6 (IPv6) from a namespace; returns the replies received. */
    private int ping6(String from, String to, int count) { return ping("ping6", from, to, count); }

    private int ping(String applet, String from, String to, int count, String... options) {
        List<String> cmd = new ArrayList<>(List.of("busybox", applet, "-c", Integer.toString(count), "-i", "0.2", "-W", "1"));
        cmd.addAll(List.of(options));
        cmd.add(to);
        NetLab.Result r = lab.exec(from, cmd.toArray(String[]::new));
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return Integer.parseInt(m.group(2));
    }



    @BeforeAll
    void startTheChassis() throws Exception {
        dir = Files.createTempDirectory("xvio-ovn");
        ovn = OvnCentral.start(dir);
        NetLab.ok("ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA);
        ovn.daemon("ovsdb", Map.of(), "ovsdb-server", dir.resolve("conf.db").toString(), "--remote=punix:" + db());
        vsctlOk("--no-wait", "init");
        brInt = lab.name("xni");
        lab.own(brInt);                 // the integration bridge's internal interface: a TAP xvio creates
        vsctlOk("--no-wait", "set", "Open_vSwitch", ".", "external_ids:system-id=chassis1", "external_ids:ovn-remote=unix:" + ovn.sb(),
                "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=127.0.0.1", "external_ids:ovn-bridge-datapath-type=netdev",
                "external_ids:ovn-bridge=" + brInt, "other_config:pmd-cpu-mask=" + Long.toHexString(1L << (Runtime.getRuntime().availableProcessors() - 1)));
        for (int i = 1; i <= 4; i++) {
            ns[i] = lab.netns();
            port[i] = lab.name("xna");
            String b = lab.name("xnb");
            lab.veth(port[i], b);
            lab.move(b, ns[i]);
            nsIf[i] = b;
            mac[i] = "02:00:00:00:95:0" + i;
            ip[i] = "10.95." + (i <= 2 ? 1 : 2) + "." + (10 + i);
            NetLab.ok("ip", "-n", ns[i], "link", "set", b, "address", mac[i]);
            lab.address(ns[i], b, ip[i] + "/24");
            lab.up(null, port[i]);
        }
        xvio = XvioDaemon.startWith(dir, "pmd-idle: adaptive\n", List.of("--ovsdb", "unix:" + db(), "--vhost-sock-dir", dir.resolve("vhost").toString()));
        assertTrue(xvio.awaitLog("ovsdb unix:" + db() + ": connected", Duration.ofSeconds(10)), xvio.log());
        // ovn-controller finds the bridge's OpenFlow socket at $OVS_RUNDIR/BRIDGE.mgmt: xvio's control socket's directory
        ovn.daemon("controller", Map.of(), "ovn-controller", "unix:" + db(), "-vfile:info");
    }

    @AfterAll
    void stopEverything() throws Exception {
        try {
            if (ovn != null) ovn.close();       // ovn-controller first: it would make the bridge again
            if (xvio != null) assertEquals(0, xvio.stop(), xvio.log());
        } finally {
            lab.close();
            io.xvio.testing.TempDirs.removeUnlessKept(dir);
        }
    }

    @Test
    @Order(1)
    void ovnControllerMakesItsBridgeOnXvioAndRegistersTheChassis() throws Exception {
        Await.awaitMatch(() -> vsctlOk("get", "Bridge", brInt, "datapath_type"), Pattern.compile("netdev"), Duration.ofSeconds(30), this::context);
        assertTrue(xvio.awaitLog("bridge " + brInt, Duration.ofSeconds(15)), context());
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=name", "find", "Chassis", "name=chassis1"), Pattern.compile("chassis1"),
                Duration.ofSeconds(30), this::context);
        assertTrue(Files.exists(dir.resolve(brInt + ".mgmt")), "the bridge's OpenFlow socket in OVS_RUNDIR");
        Await.awaitMatch(() -> ovn.log("controller"), Pattern.compile("unix:" + Pattern.quote(dir.resolve(brInt + ".mgmt").toString()) + ": connected"),
                Duration.ofSeconds(30), this::context);
    }

    @Test
    @Order(2)
    void logicalSwitchPortsBindToTheChassisAndTheirNamespacesPing() throws Exception {
        ovn.nbctl("ls-add", "ls1");
        for (int i = 1; i <= 2; i++) {
            ovn.nbctl("lsp-add", "ls1", "lsp" + i);
            ovn.nbctl("lsp-set-addresses", "lsp" + i, mac[i] + " " + ip[i]);
            vsctlOk("add-port", brInt, port[i], "--", "set", "Interface", port[i], "external_ids:iface-id=lsp" + i);
        }
        String chassis = ovn.sbctl("--bare", "--columns=_uuid", "find", "Chassis", "name=chassis1");
        for (int i = 1; i <= 2; i++) {
            String lsp = "lsp" + i;
            Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=" + lsp), Pattern.compile(Pattern.quote(chassis)),
                    Duration.ofSeconds(30), this::context);
        }
        ovn.syncHv(this::context);
        String flows = xvio.call("dump-flows", brInt);
        for (int t : new int[] {0, 8, 65}) {
            assertTrue(flows.contains("table=" + t + ","), "OVN's table " + t + " is in xvio's flows\n" + tail(flows, 40) + context());
        }
        assertTrue(flows.lines().count() > 100, "ovn-controller programmed the logical flows: " + flows.lines().count() + " flows");
        NetLab.Result of = NetLab.run("ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "unix:" + dir.resolve(brInt + ".mgmt"), "table=0");
        assertTrue(of.rc() == 0 && of.output().contains("in_port="), of.output());
        assertEquals(5, ping(ns[1], ip[2], 5), () -> stats() + context());
        assertEquals(5, ping(ns[2], ip[1], 5), () -> context());
        assertEquals("up", vsctlOk("get", "Interface", port[1], "link_state"));
        assertTrue(ovn.sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=lsp1").contains("true"),
                "ovn-controller set the binding up once its flows were in xvio");
    }

    /** ACLs: a drop ACL stops the pings; allow-related with a drop of everything else lets them through by conntrack. */
    @Test
    @Order(3)
    void aclsDropAndAllowRelatedThroughConntrack() throws Exception {
        ovn.nbctl("acl-add", "ls1", "to-lport", "1001", "icmp", "drop");
        ovn.syncHv(this::context);
        assertEquals(0, ping(ns[1], ip[2], 3), () -> "the drop ACL\n" + context());
        ovn.nbctl("acl-del", "ls1");
        ovn.nbctl("acl-add", "ls1", "to-lport", "1002", "icmp", "allow-related");
        ovn.nbctl("acl-add", "ls1", "to-lport", "1001", "ip4", "drop");
        ovn.syncHv(this::context);
        // the echo requests are allowed into ns2, the replies into ns1 only as part of the tracked connection
        assertEquals(5, ping(ns[1], ip[2], 5), () -> "allow-related\n" + context());
        String ct = xvio.call("conntrack", "dump");
        assertTrue(ct.contains("icmp,orig=(src=" + ip[1] + ",dst=" + ip[2]), "the stateful ACL committed the pings to conntrack\n" + ct);
        ovn.nbctl("acl-del", "ls1");
        ovn.syncHv(this::context);
        assertEquals(3, ping(ns[1], ip[2], 3), () -> context());
    }

    /** A logical router between two logical switches: ns1 (ls1) pings ns3 (ls2) and the router's own address. */
    @Test
    @Order(4)
    void aLogicalRouterJoinsTwoSwitches() throws Exception {
        ovn.nbctl("ls-add", "ls2");
        ovn.nbctl("lsp-add", "ls2", "lsp3");
        ovn.nbctl("lsp-set-addresses", "lsp3", mac[3] + " " + ip[3]);
        vsctlOk("add-port", brInt, port[3], "--", "set", "Interface", port[3], "external_ids:iface-id=lsp3");
        ovn.nbctl("lr-add", "lr1");
        ovn.nbctl("lrp-add", "lr1", "lrp1", "02:00:00:00:95:a1", "10.95.1.1/24");
        ovn.nbctl("lrp-add", "lr1", "lrp2", "02:00:00:00:95:a2", "10.95.2.1/24");
        for (String[] sw : new String[][] {{"ls1", "lrp1"}, {"ls2", "lrp2"}}) {
            String p = sw[0] + "-lr1";
            ovn.nbctl("lsp-add", sw[0], p, "--", "lsp-set-type", p, "router", "--", "lsp-set-addresses", p, "router",
                    "--", "lsp-set-options", p, "router-port=" + sw[1]);
        }
        NetLab.ok("ip", "-n", ns[1], "route", "add", "default", "via", "10.95.1.1");
        NetLab.ok("ip", "-n", ns[3], "route", "add", "default", "via", "10.95.2.1");
        ovn.syncHv(this::context);
        assertEquals(3, ping(ns[1], "10.95.1.1", 3), () -> "the router port answers (ARP and ICMP echo by OVN's flows)\n" + context());
        assertEquals(5, ping(ns[1], ip[3], 5), () -> "routed from ls1 to ls2\n" + stats() + context());
        assertEquals(5, ping(ns[3], ip[1], 5), () -> context());
        String flows = xvio.call("dump-flows", brInt);
        assertTrue(flows.contains("dec_ttl"), "the router's flows are in xvio");
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * OVN's controller actions, through NXT_PACKET_IN2 (with OVN's CoPP meters: {@code meter_id} in the controller
     * action) and a packet-out of the actions in the userdata: lsp4 on ls2 has no address in the NB database
     * ("unknown"), so the router does not know ns4's MAC: its {@code arp} action hands the packet to ovn-controller,
     * which sends the ARP request through xvio; ns4's answer comes back through the router's {@code put_arp},
     * ovn-controller writes the MAC_Binding row into the SB database and its flows, and the pings pass. A probe with
     * TTL 1 gets the router's {@code icmp4} time exceeded (traceroute's first hop). OVN's native DHCP pauses:
     * {@code put_dhcp_opts} is {@code controller(...,pause)}, ovn-controller puts the options into the packet and
     * hands it back with NXT_RESUME, and the rest of the flow's actions answer ns1's DHCP client.
     */
    @Test
    @Order(5)
    void controllerActionsResolveAnUnknownNextHopAnswerTtlExceededAndDhcp() throws Exception {
        ovn.nbctl("meter-add", "copp-meter", "drop", "1000", "pktps");
        for (String proto : List.of("arp", "icmp4-error", "dhcpv4-opts", "reject")) ovn.nbctl("copp-add", "copp1", proto, "copp-meter");
        ovn.nbctl("lr-copp-add", "copp1", "lr1");
        ovn.nbctl("ls-copp-add", "copp1", "ls1");
        ovn.nbctl("ls-copp-add", "copp1", "ls2");
        ovn.nbctl("lsp-add", "ls2", "lsp4");
        ovn.nbctl("lsp-set-addresses", "lsp4", "unknown");
        vsctlOk("add-port", brInt, port[4], "--", "set", "Interface", port[4], "external_ids:iface-id=lsp4");
        NetLab.ok("ip", "-n", ns[4], "route", "add", "default", "via", "10.95.2.1");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=up", "find", "Port_Binding", "logical_port=lsp4"), Pattern.compile("true"),
                Duration.ofSeconds(30), this::context);
        ovn.syncHv(this::context);
        assertTrue(xvio.call("dump-flows", brInt).contains(",meter_id="), "CoPP: the controller actions carry OVN's meter");
        String binding = "ip=\"" + ip[4] + "\"";
        assertEquals("", ovn.sbctl("--bare", "--columns=mac", "find", "MAC_Binding", binding), "nothing learned yet");
        ping(ns[1], ip[4], 3);           // the first packets wait in ovn-controller until the next hop is resolved
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=mac", "find", "MAC_Binding", binding), Pattern.compile(Pattern.quote(mac[4])),
                Duration.ofSeconds(30), () -> "put_arp learned ns4's MAC\n" + context());
        ovn.syncHv(this::context);
        assertEquals(3, ping(ns[1], ip[4], 3), () -> "routed to the learned next hop\n" + context());
        NetLab.Result tr = lab.exec(ns[1], "busybox", "traceroute", "-n", "-q", "1", "-w", "2", "-m", "2", ip[3]);
        assertTrue(Pattern.compile("(?m)^\\s*1\\s+10\\.95\\.1\\.1\\s").matcher(tr.output()).find(),
                () -> "the router answers TTL 1 with ICMP time exceeded\n" + tr.output() + context());

        String options = ovn.nbctl("create", "DHCP_Options", "cidr=10.95.1.0/24",
                "options=\"lease_time\"=\"3600\" \"router\"=\"10.95.1.1\" \"server_id\"=\"10.95.1.1\" \"server_mac\"=\"02:00:00:00:95:a1\"");
        ovn.nbctl("lsp-set-dhcpv4-options", "lsp1", options);
        ovn.syncHv(this::context);
        assertTrue(xvio.call("dump-flows", brInt).contains(",pause"), "put_dhcp_opts is a controller action that pauses");
        // -s /bin/true: the client reports the lease and leaves ns1's address as it is
        NetLab.Result dhcp = lab.exec(ns[1], "timeout", "30", "busybox", "udhcpc", "-i", nsIf[1], "-n", "-q", "-f", "-s", "/bin/true", "-t", "5", "-T", "2");
        assertTrue(dhcp.output().contains("lease of " + ip[1] + " obtained from 10.95.1.1"),
                () -> "OVN's DHCP server answered through NXT_RESUME\n" + dhcp.output() + context());
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    private String wget(String from, String url) {
        // timeout(1), not wget -T: busybox 1.35's wget crashes with -T
        NetLab.Result r = lab.exec(from, "timeout", "10", "busybox", "wget", "-q", "-O", "-", url);
        return r.rc() == 0 ? r.output().strip() : "wget " + url + " failed: " + r.output();
    }

    /**
     * A load balancer on ls1: a TCP VIP whose backends are ns2's and ns3's web servers (busybox httpd). OVN's
     * {@code ct_lb_mark} is a select group by dp_hash whose buckets commit the connection with DNAT to one backend;
     * connections from ns1 to the VIP reach both, and the replies come back from the VIP (un-NATed by conntrack). A
     * backend reaches the VIP too, itself included (OVN's hairpin: the connection SNATed to the VIP).
     */
    @Test
    @Order(6)
    void aLoadBalancerSpreadsConnectionsOverItsBackends() throws Exception {
        for (int i = 2; i <= 3; i++) {
            Path www = Files.createDirectories(dir.resolve("www" + i));
            Files.writeString(www.resolve("index.html"), "backend " + i + "\n");
            httpd[i] = lab.spawn(ns[i], dir.resolve("httpd" + i + ".out"), "busybox", "httpd", "-f", "-p", "80", "-h", www.toString());
        }
        for (int i = 2; i <= 3; i++) {
            String url = "http://" + ip[i] + "/";
            Await.awaitMatch(() -> wget(ns[1], url), Pattern.compile("backend " + i), Duration.ofSeconds(20), this::context);
        }
        String vip = "10.95.9.9";
        ovn.nbctl("lb-add", "lb1", vip + ":80", ip[2] + ":80," + ip[3] + ":80", "tcp");
        ovn.nbctl("ls-lb-add", "ls1", "lb1");
        ovn.syncHv(this::context);
        Map<String, Integer> hits = new java.util.TreeMap<>();
        for (int n = 0; n < 16; n++) hits.merge(wget(ns[1], "http://" + vip + "/"), 1, Integer::sum);
        assertEquals(java.util.Set.of("backend 2", "backend 3"), hits.keySet(), () -> "both backends answer through the VIP: " + hits + context());
        // hairpin: a backend connecting to the VIP may get itself; OVN then SNATs the connection to the VIP
        // (chk_lb_hairpin, ct_snat_to_vip) and tracks it again in the backend's zone on the way back out
        NetLab.ok("ip", "-n", ns[2], "route", "add", "default", "via", "10.95.1.1");
        Map<String, Integer> fromBackend = new java.util.TreeMap<>();
        for (int n = 0; n < 12; n++) fromBackend.merge(wget(ns[2], "http://" + vip + "/"), 1, Integer::sum);
        assertEquals(java.util.Set.of("backend 2", "backend 3"), fromBackend.keySet(), () -> "ns2 through the VIP, itself included: " + fromBackend + context());
        String ct = xvio.call("conntrack", "dump");
        assertTrue(ct.contains("dst=" + vip), "the connections to the VIP are tracked (DNAT)\n" + ct);
        assertTrue(ct.contains("orig=(src=" + vip + ",dst=" + ip[2]), "the hairpinned connections, SNATed to the VIP\n" + ct);
        String groups = xvio.call("dump-groups", brInt);
        assertTrue(groups.contains("type=select"), "ct_lb_mark's select group\n" + groups);
    }

    /** A reject ACL: OVN answers a TCP SYN to ns3's web server with its {@code tcp_reset} action (a controller action). */
    @Test
    @Order(7)
    void aRejectAclAnswersWithATcpReset() throws Exception {
        String url = "http://" + ip[3] + "/";
        assertEquals("backend 3", wget(ns[1], url));
        ovn.nbctl("acl-add", "ls2", "to-lport", "1003", "tcp && tcp.dst == 80", "reject");
        ovn.syncHv(this::context);
        String refused = wget(ns[1], url);
        assertTrue(refused.contains("Connection refused"), () -> "the reject ACL resets the connection\n" + refused + context());
        ovn.nbctl("acl-del", "ls2");
        ovn.syncHv(this::context);
        assertEquals("backend 3", wget(ns[1], url));
    }

    /**
     * NAT on lr1, with lrp2 (towards ls2) a gateway port on this chassis: ls1's addresses leave as 10.95.2.100 (snat)
     * and ns2 is 10.95.2.112 (dnat_and_snat). ns3 loses its route back to ls1, so only translated packets get answers.
     */
    @Test
    @Order(8)
    void aRouterTranslatesAddressesOnItsGatewayPort() throws Exception {
        ovn.nbctl("lrp-set-gateway-chassis", "lrp2", "chassis1");
        ovn.nbctl("lr-nat-add", "lr1", "snat", "10.95.2.100", "10.95.1.0/24");
        ovn.nbctl("lr-nat-add", "lr1", "dnat_and_snat", "10.95.2.112", ip[2]);
        NetLab.ok("ip", "-n", ns[3], "route", "del", "default");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=chassis", "find", "Port_Binding", "logical_port=cr-lrp2"), Pattern.compile("\\S"),
                Duration.ofSeconds(30), this::context);
        ovn.syncHv(this::context);
        assertEquals(3, ping(ns[1], ip[3], 3), () -> "ns1 reaches ns3 as 10.95.2.100\n" + stats() + context());
        assertEquals(3, ping(ns[3], "10.95.2.112", 3), () -> "ns3 reaches ns2 by its external address\n" + context());
        assertEquals(3, ping(ns[2], ip[3], 3), () -> "ns2 reaches ns3 as 10.95.2.112\n" + context());
        String ct = xvio.call("conntrack", "dump");
        assertTrue(ct.contains("dst=10.95.2.100"), "the SNAT is tracked\n" + ct);
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * IPv6 on ls1 (issue 17): OVN answers neighbour solicitations for a port's IPv6 addresses itself (ls_in_arp_rsp's
     * nd_na: a packet-in, then a packet-out whose actions set nd_target and nd_tll). ns1 and ns2 ping each other over
     * IPv6, and ns1 resolves fd95:1::99, which lsp2 lists but ns2 does not have: only OVN's answer can give ns1 its MAC.
     */
    @Test
    @Order(9)
    void ovnAnswersNeighbourSolicitationsAndIpv6Pings() throws Exception {
        String[] ip6 = {null, "fd95:1::11", "fd95:1::12"};
        ovn.nbctl("lsp-set-addresses", "lsp1", mac[1] + " " + ip[1] + " " + ip6[1]);
        ovn.nbctl("lsp-set-addresses", "lsp2", mac[2] + " " + ip[2] + " " + ip6[2] + " fd95:1::99");
        for (int i = 1; i <= 2; i++) {
            lab.exec(ns[i], "sysctl", "-qw", "net.ipv6.conf." + nsIf[i] + ".disable_ipv6=0");   // the lab's links start without
            NetLab.ok("ip", "-n", ns[i], "addr", "add", ip6[i] + "/64", "dev", nsIf[i], "nodad");
        }
        ovn.syncHv(this::context);
        assertEquals(5, ping6(ns[1], ip6[2], 5), () -> "ns1 -> ns2 over IPv6\n" + stats() + context());
        assertEquals(5, ping6(ns[2], ip6[1], 5), () -> "ns2 -> ns1 over IPv6\n" + context());
        ping6(ns[1], "fd95:1::99", 1);             // nobody answers the echo; the solicitation before it OVN answers
        String neigh = lab.exec(ns[1], "ip", "-6", "neigh", "show", "fd95:1::99").output();
        assertTrue(neigh.contains("lladdr " + mac[2]), "OVN's nd_na gave ns1 lsp2's MAC for fd95:1::99: " + neigh + "\n" + context());
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * {@code gateway_mtu} on the gateway port lrp2: a packet routed out of it that is larger than 1300 bytes and may
     * not be fragmented hits the router's {@code check_pkt_larger}, and OVN answers with ICMP "fragmentation needed"
     * ({@code icmp4_error}: a packet-in; the packet-out ovn-controller sends back carries {@code icmp4.frag_mtu}, a
     * controller action that pauses inside that packet-out, and NXT_RESUME finishes it). ns1's kernel takes the MTU
     * into its route cache; smaller packets still pass.
     */
    @Test
    @Order(10)
    void aGatewayMtuAnswersLargePacketsWithFragmentationNeeded() throws Exception {
        ovn.nbctl("set", "Logical_Router_Port", "lrp2", "options:gateway_mtu=1300");
        ovn.syncHv(this::context);
        assertTrue(xvio.call("dump-flows", brInt).contains("check_pkt_larger"), "OVN's gateway_mtu flows are in xvio");
        assertEquals(3, ping(ns[1], ip[3], 3), () -> "small packets still pass\n" + context());
        // busybox ping sends with DF (the kernel's default path MTU discovery); 1400 bytes of ICMP data exceed 1300
        lab.exec(ns[1], "busybox", "ping", "-c", "2", "-i", "0.5", "-W", "1", "-s", "1400", ip[3]);
        Await.awaitMatch(() -> lab.exec(ns[1], "ip", "route", "get", ip[3]).output(), Pattern.compile("mtu 1300"),
                Duration.ofSeconds(10), () -> "OVN's fragmentation needed (mtu 1300) reached ns1\n" + stats() + context());
    }

    /**
     * Session affinity ({@code options:affinity_timeout}) on a second load balancer of ls1: OVN's {@code commit_lb_aff}
     * (a {@code learn} into table 78) records the backend a client's connection got, and {@code chk_lb_aff} sends the
     * client's later connections to it. The connection that makes OVN learn does not complete, as with OVS's userspace
     * datapath (OVN 23.03's logical flow drops that SYN after learning, and its retransmissions, DNATed by then, miss
     * the learned flow, which matches the VIP; OVN runs its affinity tests on the kernel datapath only); every later
     * connection reaches the learned backend.
     */
    @Test
    @Order(11)
    void aLoadBalancerWithAffinityKeepsAClientOnOneBackend() throws Exception {
        String vip = "10.95.9.10";
        ovn.nbctl("lb-add", "lb2", vip + ":80", ip[2] + ":80," + ip[3] + ":80", "tcp");
        ovn.nbctl("set", "Load_Balancer", "lb2", "options:affinity_timeout=60");
        ovn.nbctl("ls-lb-add", "ls1", "lb2");
        ovn.syncHv(this::context);
        lab.exec(ns[1], "timeout", "2", "busybox", "wget", "-q", "-O", "-", "http://" + vip + "/");   // makes OVN learn
        Await.awaitMatch(this::learnedAffinity, Pattern.compile("nw_src=" + Pattern.quote(ip[1]) + ",nw_dst=" + Pattern.quote(vip)),
                Duration.ofSeconds(10), () -> "commit_lb_aff learned ns1's backend\n" + context());
        String first = wget(ns[1], "http://" + vip + "/");
        assertTrue(first.startsWith("backend "), () -> "a connection through the learned backend\n" + first + context());
        for (int n = 0; n < 6; n++) assertEquals(first, wget(ns[1], "http://" + vip + "/"), () -> "every connection to the learned backend\n" + context());
    }

    /** ICMP echo requests namespace ns received (its kernel's Icmp InEchos counter). */
    private long inEchos(String namespace) {
        List<String> icmp = lab.exec(namespace, "cat", "/proc/net/snmp").output().lines().filter(l -> l.startsWith("Icmp:")).toList();
        assertEquals(2, icmp.size(), "/proc/net/snmp's Icmp lines: " + icmp);
        List<String> names = List.of(icmp.get(0).split("\\s+")), values = List.of(icmp.get(1).split("\\s+"));
        return Long.parseLong(values.get(names.indexOf("InEchos")));
    }

    /** The Service_Monitor statuses of lb1's backends, "IP=STATUS" a line. */
    private String backendStatus() {
        return ovn.sbctl("--bare", "--columns=ip,status", "list", "Service_Monitor").lines().filter(l -> !l.isBlank())
                .reduce("", (acc, l) -> acc.isEmpty() || acc.endsWith("\n") ? acc + l : acc + "=" + l + "\n");
    }

    /**
     * Load balancer health checks (what OpenStack's Octavia OVN provider sets): ovn-controller probes each backend of
     * lb1 with TCP SYNs sent as packet-outs from the source address in {@code ip_port_mappings}; the backend's answer
     * to the service monitor MAC meets {@code handle_svc_check} (a controller action) and the Service_Monitor row goes
     * online. With ns3's web server stopped its row goes offline, OVN takes the backend out of the select group and
     * every connection to the VIP reaches ns2; started again, ns3 is back online.
     */
    @Test
    @Order(12)
    void healthChecksTakeADeadBackendOutOfTheLoadBalancer() throws Exception {
        ovn.nbctl("set", "Load_Balancer", "lb1", "ip_port_mappings:" + ip[2] + "=lsp2:10.95.1.250", "ip_port_mappings:" + ip[3] + "=lsp3:10.95.2.250");
        ovn.nbctl("--id=@hc", "create", "Load_Balancer_Health_Check", "vip=\"10.95.9.9:80\"", "options:interval=1", "options:timeout=1",
                "options:success_count=1", "options:failure_count=2", "--", "add", "Load_Balancer", "lb1", "health_check", "@hc");
        Pattern bothOnline = Pattern.compile("(?s)(?=.*" + Pattern.quote(ip[2]) + "=online)(?=.*" + Pattern.quote(ip[3]) + "=online)");
        Await.awaitMatch(this::backendStatus, bothOnline, Duration.ofSeconds(30), () -> "the probes' answers reached handle_svc_check\n" + context());
        httpd[3].destroy();
        httpd[3].waitFor();
        Await.awaitMatch(this::backendStatus, Pattern.compile(Pattern.quote(ip[3]) + "=offline"), Duration.ofSeconds(30), this::context);
        ovn.syncHv(this::context);
        for (int n = 0; n < 8; n++) assertEquals("backend 2", wget(ns[1], "http://10.95.9.9/"), () -> "only the live backend\n" + context());
        httpd[3] = lab.spawn(ns[3], dir.resolve("httpd3b.out"), "busybox", "httpd", "-f", "-p", "80", "-h", dir.resolve("www3").toString());
        Await.awaitMatch(this::backendStatus, bothOnline, Duration.ofSeconds(30), () -> "ns3 back online\n" + context());
    }

    /**
     * IPv6 routed through lr1: the router answers solicitations for its own address and pings it (ns1); ns4, whose
     * port has no address in the NB database, gets its prefix and default route from OVN's router advertisement
     * ({@code ipv6_ra_configs:address_mode=slaac}: ns4's router solicitation meets {@code put_nd_ra_opts}, a
     * controller action that pauses, and NXT_RESUME sends the answer); the router finds ns4's MAC with {@code nd_ns}
     * (a packet-in; ovn-controller's solicitation a packet-out) and learns it from the advertisement ({@code put_nd},
     * a MAC_Binding row); and lrp2's {@code gateway_mtu} answers an IPv6 packet over 1300 bytes with "packet too big"
     * ({@code icmp6_error} with {@code icmp6.frag_mtu}, paused in the packet-out as case 10's IPv4 one).
     */
    @Test
    @Order(13)
    void ipv6ThroughTheRouterWithAdvertisementsSolicitationsAndPacketTooBig() throws Exception {
        ovn.nbctl("add", "Logical_Router_Port", "lrp1", "networks", "\"fd95:1::1/64\"");
        ovn.nbctl("add", "Logical_Router_Port", "lrp2", "networks", "\"fd95:2::1/64\"");
        ovn.nbctl("set", "Logical_Router_Port", "lrp2", "ipv6_ra_configs:address_mode=slaac");
        ovn.syncHv(this::context);
        NetLab.ok("ip", "-n", ns[1], "-6", "route", "add", "default", "via", "fd95:1::1");
        assertEquals(3, ping6(ns[1], "fd95:1::1", 3), () -> "the router port answers over IPv6\n" + context());

        lab.exec(ns[4], "sysctl", "-qw", "net.ipv6.conf." + nsIf[4] + ".disable_ipv6=0");   // ns4's kernel solicits a router
        String slaac = "fd95:2::ff:fe00:9504";            // fd95:2::/64 and ns4's MAC 02:00:00:00:95:04 (EUI-64)
        // "scope global dynamic": not "global tentative dynamic", as during duplicate address detection, when ns4's
        // kernel would not answer the router's solicitation for it
        Await.awaitMatch(() -> lab.exec(ns[4], "ip", "-6", "addr", "show", "dev", nsIf[4]).output(), Pattern.compile(Pattern.quote(slaac) + "/64 scope global dynamic"),
                Duration.ofSeconds(30), () -> "OVN's router advertisement gave ns4 the prefix\n" + context());
        Await.awaitMatch(() -> lab.exec(ns[4], "ip", "-6", "route", "show", "default").output(), Pattern.compile("via fe80::ff:fe00:95a2"),
                Duration.ofSeconds(10), () -> "and the router (lrp2's link-local address) as default route\n" + context());

        ping6(ns[1], slaac, 3);          // the first packets wait in ovn-controller until the next hop is resolved
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=mac", "find", "MAC_Binding", "ip=\"" + slaac + "\""), Pattern.compile(Pattern.quote(mac[4])),
                Duration.ofSeconds(30), () -> "nd_ns and put_nd learned ns4's MAC\n" + context());
        ovn.syncHv(this::context);
        assertEquals(3, ping6(ns[1], slaac, 3), () -> "routed to ns4 over IPv6\n" + stats() + context());

        lab.exec(ns[1], "busybox", "ping6", "-c", "2", "-i", "0.5", "-W", "1", "-s", "1400", slaac);
        Await.awaitMatch(() -> lab.exec(ns[1], "ip", "-6", "route", "get", slaac).output(), Pattern.compile("mtu 1300"),
                Duration.ofSeconds(10), () -> "OVN's packet too big (mtu 1300) reached ns1\n" + stats() + context());
        assertEquals(3, ping("ping6", ns[1], slaac, 3, "-s", "1400"), () -> "now sent in fragments of 1300 bytes, both ways\n" + context());
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * A provider network: ls1 gets a localnet port on physnet1 with VLAN tag 100, and {@code ovn-bridge-mappings} maps
     * physnet1 to another bridge of xvio's (made with ovs-vsctl; its uplink a veth whose other end is in a namespace
     * with a VLAN 100 interface). ovn-controller joins the integration bridge and it with a pair of patch ports (Port
     * rows of type patch); ns1's pings reach the provider network's host, tagged with VLAN 100 on the wire, and its
     * answers come back into ls1.
     */
    @Test
    @Order(14)
    void aLocalnetPortReachesAProviderVlanThroughPatchPorts() throws Exception {
        String brPhys = lab.name("xnp");
        lab.own(brPhys);                // the bridge's internal interface: a TAP xvio creates
        vsctlOk("add-br", brPhys, "--", "set", "Bridge", brPhys, "datapath_type=netdev");
        String uplink = lab.name("xnu"), far = lab.name("xnv"), ns5 = lab.netns();
        providerNs = ns5;
        providerIf = far;
        lab.veth(uplink, far);
        lab.move(far, ns5);
        lab.up(ns5, far);
        lab.address(ns5, far, "10.95.1.15/24");
        lab.up(null, uplink);
        vsctlOk("add-port", brPhys, uplink, "tag=100");        // an access port of VLAN 100: the provider's host is untagged
        vsctlOk("set", "Open_vSwitch", ".", "external_ids:ovn-bridge-mappings=physnet1:" + brPhys);
        ovn.nbctl("lsp-add", "ls1", "ln1", "--", "lsp-set-type", "ln1", "localnet", "--", "lsp-set-addresses", "ln1", "unknown",
                "--", "lsp-set-options", "ln1", "network_name=physnet1", "--", "set", "Logical_Switch_Port", "ln1", "tag=100");
        Await.awaitMatch(() -> vsctlOk("list-ports", brPhys), Pattern.compile("patch-"), Duration.ofSeconds(30),
                () -> "ovn-controller made the patch port on the provider bridge\n" + context());
        ovn.syncHv(this::context);
        assertEquals(5, ping(ns[1], "10.95.1.15", 5), () -> "ns1 reaches the provider network's host on VLAN 100\n" + stats() + context());
        String arp = lab.exec(ns5, "ip", "neigh", "show", ip[1]).output();
        assertTrue(arp.contains("lladdr " + mac[1]), "ns5 learned ns1's MAC over VLAN 100: " + arp);
    }

    /**
     * OVN's DHCPv6 server: a DHCP_Options row for fd95:1::/64 on lsp1 ({@code lsp-set-dhcpv6-options}); a SOLICIT
     * from ns1 (a small Python client: busybox here has none) meets {@code put_dhcpv6_opts}, a controller action that
     * pauses; ovn-controller fills in the options and resumes, and the ADVERTISE offers lsp1's address with the
     * server id (DUID-LL of the configured MAC).
     */
    @Test
    @Order(15)
    void ovnsDhcpv6ServerAdvertisesTheLogicalPortsAddress() throws Exception {
        String options = ovn.nbctl("create", "DHCP_Options", "cidr=\"fd95:1::/64\"", "options=\"server_id\"=\"02:00:00:00:95:a1\"");
        ovn.nbctl("lsp-set-dhcpv6-options", "lsp1", options);
        ovn.syncHv(this::context);
        Path script = dir.resolve("dhcp6_solicit.py");
        try (var in = OvnIT.class.getResourceAsStream("dhcp6_solicit.py")) {
            Files.copy(in, script);
        }
        NetLab.Result r = lab.exec(ns[1], "python3", script.toString(), nsIf[1], mac[1]);
        assertTrue(r.output().contains("type 2") && r.output().contains("address fd95:1::11"),
                () -> "an ADVERTISE with lsp1's address\n" + r.output() + context());
        assertTrue(r.output().contains("server 000300010200000095a1"), () -> "from the server id\n" + r.output());
    }

    /**
     * IGMP snooping ({@code other_config:mcast_snoop=true} on ls1): ns2 joins 239.1.1.1 and its kernel's report meets
     * OVN's {@code igmp} (a controller action): ovn-controller records the group (an IGMP_Group row) and programs
     * it; ns1's pings to the group reach ns2 (its kernel counts the echo requests). ns2's answers do not reach ns1:
     * ls1's load balancers send all its IP traffic through conntrack, which finds an echo reply from 10.95.1.12 to a
     * request sent to the group invalid, and OVN drops invalid packets.
     */
    @Test
    @Order(16)
    void igmpSnoopingLearnsAGroupAndDeliversToItsMember() throws Exception {
        ovn.nbctl("set", "Logical_Switch", "ls1", "other_config:mcast_snoop=true");
        ovn.syncHv(this::context);
        lab.exec(ns[2], "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_broadcasts=0");     // answers pings to a group
        NetLab.ok("ip", "-n", ns[2], "addr", "add", "239.1.1.1/32", "dev", nsIf[2], "autojoin");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=address", "list", "IGMP_Group"), Pattern.compile("239\\.1\\.1\\.1"),
                Duration.ofSeconds(30), () -> "ns2's IGMP report reached ovn-controller through the igmp action\n" + context());
        ovn.syncHv(this::context);
        long before = inEchos(ns[2]);
        ping(ns[1], "239.1.1.1", 3);
        assertEquals(3, inEchos(ns[2]) - before, () -> "ns1's pings to the group reach ns2\n" + stats() + context());
    }

    /**
     * North-south as ovn-kubernetes and OpenStack build it: a gateway router {@code gw1} bound to this chassis
     * ({@code options:chassis}) between a join switch (to lr1) and an external switch whose localnet port is the
     * provider network of case 14 (VLAN 100, now 172.16.95.0/24; ls1 leaves it). gw1 SNATs ls1 and ls2 to
     * 172.16.95.100, gives ns1 the floating IP 172.16.95.111 ({@code dnat_and_snat}) and balances a VIP on the
     * provider network over ns2's and ns3's web servers ({@code lr-lb-add}). The provider's host has no route to
     * 10.95.0.0/16: only translated packets get answers.
     */
    @Test
    @Order(17)
    void aGatewayRouterTranslatesAndBalancesForTheProviderNetwork() throws Exception {
        assertNotNull(providerNs, "case 14 made the provider network");
        ovn.nbctl("lsp-del", "ln1");
        NetLab.ok("ip", "-n", providerNs, "addr", "flush", "dev", providerIf);
        lab.address(providerNs, providerIf, "172.16.95.5/24");
        ovn.nbctl("ls-add", "ext");
        ovn.nbctl("lsp-add", "ext", "ln-ext", "--", "lsp-set-type", "ln-ext", "localnet", "--", "lsp-set-addresses", "ln-ext", "unknown",
                "--", "lsp-set-options", "ln-ext", "network_name=physnet1", "--", "set", "Logical_Switch_Port", "ln-ext", "tag=100");
        ovn.nbctl("ls-add", "join");
        ovn.nbctl("lr-add", "gw1", "--", "set", "Logical_Router", "gw1", "options:chassis=chassis1");
        ovn.nbctl("lrp-add", "gw1", "gw1-ext", "02:00:00:00:95:e1", "172.16.95.1/24");
        ovn.nbctl("lrp-add", "gw1", "gw1-join", "02:00:00:00:95:e2", "100.64.0.1/24");
        ovn.nbctl("lrp-add", "lr1", "lr1-join", "02:00:00:00:95:e3", "100.64.0.2/24");
        for (String[] sw : new String[][] {{"ext", "gw1-ext"}, {"join", "gw1-join"}, {"join", "lr1-join"}}) {
            String p = sw[0] + "-" + sw[1];
            ovn.nbctl("lsp-add", sw[0], p, "--", "lsp-set-type", p, "router", "--", "lsp-set-addresses", p, "router",
                    "--", "lsp-set-options", p, "router-port=" + sw[1]);
        }
        ovn.nbctl("lr-route-add", "lr1", "0.0.0.0/0", "100.64.0.1");
        ovn.nbctl("lr-route-add", "gw1", "10.95.0.0/16", "100.64.0.2");
        ovn.nbctl("lr-nat-add", "gw1", "snat", "172.16.95.100", "10.95.0.0/16");
        ovn.nbctl("lr-nat-add", "gw1", "dnat_and_snat", "172.16.95.111", ip[1]);
        ovn.nbctl("lb-add", "lb-ext", "172.16.95.200:80", ip[2] + ":80," + ip[3] + ":80", "tcp");
        ovn.nbctl("lr-lb-add", "gw1", "lb-ext");
        NetLab.run("ip", "-n", ns[3], "route", "add", "default", "via", "10.95.2.1");     // case 8 took it away
        ovn.syncHv(this::context);
        ping(providerNs, "172.16.95.111", 2);                   // the first may wait for the provider host's ARP
        assertEquals(3, ping(providerNs, "172.16.95.111", 3), () -> "the provider's host reaches ns1 by its floating IP\n" + stats() + context());
        assertEquals(3, ping(ns[1], "172.16.95.5", 3), () -> "ns1 reaches the provider's host (as 172.16.95.111)\n" + context());
        assertEquals(3, ping(ns[3], "172.16.95.5", 3), () -> "ns3 reaches it through lr1 and gw1 (as 172.16.95.100)\n" + context());
        String ct = xvio.call("conntrack", "dump");
        assertTrue(ct.contains("dst=172.16.95.100") && ct.contains("dst=172.16.95.111"), "gw1's SNAT and floating IP are tracked\n" + ct);
        Map<String, Integer> hits = new java.util.TreeMap<>();
        for (int n = 0; n < 12; n++) hits.merge(wget(providerNs, "http://172.16.95.200/"), 1, Integer::sum);
        assertEquals(java.util.Set.of("backend 2", "backend 3"), hits.keySet(), () -> "gw1's load balancer, from the provider network: " + hits + context());
        assertFalse(xvio.log().contains(" rejected ("), "xvio refused none of ovn-controller's messages\n" + context());
    }

    /**
     * Port security ({@code lsp-set-port-security}, on by default in OpenStack): ns1 takes a second address OVN does
     * not know; its pings from that address pass until lsp1's port security lists only its own MAC and address, then
     * they are dropped (ls_in_port_sec_l2/ip/nd: the spoofed IPv4 source and the ARP for it), while its own address
     * still gets through.
     */
    @Test
    @Order(18)
    void portSecurityDropsASpoofedSourceAddress() throws Exception {
        NetLab.ok("ip", "-n", ns[1], "addr", "add", "10.95.1.99/24", "dev", nsIf[1]);
        try {
            ping("ping", ns[1], ip[2], 1, "-I", "10.95.1.99");        // ns2 resolves the new address first
            assertEquals(3, ping("ping", ns[1], ip[2], 3, "-I", "10.95.1.99"), () -> "without port security any source passes\n" + context());
            ovn.nbctl("lsp-set-port-security", "lsp1", mac[1] + " " + ip[1]);
            ovn.syncHv(this::context);
            assertEquals(0, ping("ping", ns[1], ip[2], 3, "-I", "10.95.1.99"), () -> "the spoofed source is dropped\n" + stats() + context());
            assertEquals(3, ping(ns[1], ip[2], 3), () -> "lsp1's own address passes\n" + context());
        } finally {
            ovn.nbctl("lsp-set-port-security", "lsp1");
            NetLab.run("ip", "-n", ns[1], "addr", "del", "10.95.1.99/24", "dev", nsIf[1]);
        }
    }

    /**
     * Multicast routed between switches ({@code options:mcast_relay=true} on lr1, IGMP snooping on both switches): ns3
     * on ls2 joins 239.1.1.2 and its report makes an IGMP_Group row for ls2; ns1's pings to the group (TTL 4) cross
     * the router and reach ns3 (its kernel's InEchos), while ns2 (ls1), not a member, gets none.
     */
    @Test
    @Order(19)
    void multicastIsRelayedBetweenSwitchesThroughTheRouter() throws Exception {
        ovn.nbctl("set", "Logical_Switch", "ls2", "other_config:mcast_snoop=true");
        ovn.nbctl("set", "Logical_Router", "lr1", "options:mcast_relay=true");
        ovn.syncHv(this::context);
        lab.exec(ns[3], "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_broadcasts=0");
        NetLab.ok("ip", "-n", ns[3], "addr", "add", "239.1.1.2/32", "dev", nsIf[3], "autojoin");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=address", "list", "IGMP_Group"), Pattern.compile("239\\.1\\.1\\.2"),
                Duration.ofSeconds(30), () -> "ns3's IGMP report reached ovn-controller\n" + context());
        ovn.syncHv(this::context);
        long before = inEchos(ns[3]), other = inEchos(ns[2]);
        ping("ping", ns[1], "239.1.1.2", 3, "-t", "4");
        assertEquals(3, inEchos(ns[3]) - before, () -> "ns1's pings to the group reach ns3 on ls2 through lr1\n" + stats() + context());
        assertEquals(0, inEchos(ns[2]) - other, "ns2 is no member of 239.1.1.2");
    }

    /**
     * IPv6 multicast snooping (OVN's {@code mld} controller action; ls1 snoops since case 16): ns2 joins ff0e::1:2
     * and its MLD report makes an IGMP_Group row; ns1's ping6s to the group reach ns2 (its kernel's Icmp6InEchos).
     */
    @Test
    @Order(20)
    void mldSnoopingLearnsAnIpv6GroupAndDeliversToItsMember() throws Exception {
        NetLab.ok("ip", "-n", ns[2], "-6", "addr", "add", "ff0e::1:2/128", "dev", nsIf[2], "autojoin");
        Await.awaitMatch(() -> ovn.sbctl("--bare", "--columns=address", "list", "IGMP_Group"), Pattern.compile("ff0e::1:2"),
                Duration.ofSeconds(30), () -> "ns2's MLD report reached ovn-controller through the mld action\n" + context());
        ovn.syncHv(this::context);
        long before = icmp6InEchos(ns[2]);
        ping("ping6", ns[1], "ff0e::1:2", 3);
        assertEquals(3, icmp6InEchos(ns[2]) - before, () -> "ns1's ping6s to the group reach ns2\n" + stats() + context());
    }

    private long icmp6InEchos(String namespace) {
        return lab.exec(namespace, "cat", "/proc/net/snmp6").output().lines().filter(l -> l.startsWith("Icmp6InEchos "))
                .mapToLong(l -> Long.parseLong(l.split("\\s+")[1])).findFirst().orElseThrow();
    }
}
