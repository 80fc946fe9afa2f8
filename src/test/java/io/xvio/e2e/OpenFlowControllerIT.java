package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A real controller: an os-ken application (the OpenFlow library Neutron's agent uses, Debian's python3-os-ken) that
 * xvio connects to over tcp. The app is a learning switch written into the test's directory: on the switch's features
 * it asks to be master and installs a table-miss flow to the controller; on each packet-in it learns the source,
 * installs a flow for a known destination and answers with a packet-out (output:TABLE once the flow exists, else
 * FLOOD). Two namespaces on afpacket ports ping each other through xvio only thanks to it (the bridge starts without
 * flows). Then the controller dies: with fail_mode standalone the bridge forwards by NORMAL after three inactivity
 * probes (1 s here), and leaves fail-open when the controller is back. A second bridge in fail_mode secure, whose
 * controller never answers, never falls back. One daemon serves every case.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OpenFlowControllerIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenFlowControllerIT {
    private static final String OSKEN = "/usr/bin/osken-manager";
    private final NetLab lab = new NetLab();
    private Path dir, events;
    private XvioDaemon xvio;
    private Process controller;
    private String ns1, ns2;
    private int port;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && Files.isExecutable(Path.of(OSKEN));
    }

    /** The learning switch (OpenFlow 1.3), logging what it sees to EVENTS. */
    static final String APP = """
            import os
            from os_ken.base import app_manager
            from os_ken.controller import ofp_event
            from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
            from os_ken.ofproto import ofproto_v1_3
            from os_ken.lib.packet import packet, ethernet

            EVENTS = os.environ['XVIO_TEST_EVENTS']

            def log(line):
                with open(EVENTS, 'a') as f:
                    f.write(line + '\\n')

            class Learn(app_manager.OSKenApp):
                OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.macs = {}

                def flow(self, dp, prio, match, actions):
                    p, o = dp.ofproto_parser, dp.ofproto
                    inst = [p.OFPInstructionActions(o.OFPIT_APPLY_ACTIONS, actions)]
                    dp.send_msg(p.OFPFlowMod(datapath=dp, priority=prio, match=match, instructions=inst))

                @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
                def features(self, ev):
                    dp = ev.msg.datapath
                    p, o = dp.ofproto_parser, dp.ofproto
                    dp.send_msg(p.OFPRoleRequest(dp, o.OFPCR_ROLE_MASTER, 7))
                    self.flow(dp, 0, p.OFPMatch(), [p.OFPActionOutput(o.OFPP_CONTROLLER, o.OFPCML_NO_BUFFER)])
                    log('features dpid=%x' % dp.id)

                @set_ev_cls(ofp_event.EventOFPRoleReply, MAIN_DISPATCHER)
                def role(self, ev):
                    log('role %d generation %d' % (ev.msg.role, ev.msg.generation_id))

                @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
                def packet_in(self, ev):
                    msg = ev.msg
                    dp = msg.datapath
                    p, o = dp.ofproto_parser, dp.ofproto
                    in_port = msg.match['in_port']
                    eth = packet.Packet(msg.data).get_protocols(ethernet.ethernet)[0]
                    log('packet_in reason=%d table=%d cookie=%d in_port=%d total_len=%d len=%d src=%s dst=%s'
                        % (msg.reason, msg.table_id, msg.cookie, in_port, msg.total_len, len(msg.data), eth.src, eth.dst))
                    self.macs[eth.src] = in_port
                    out = self.macs.get(eth.dst)
                    if out is None:
                        actions = [p.OFPActionOutput(o.OFPP_FLOOD)]
                    else:
                        self.flow(dp, 1, p.OFPMatch(in_port=in_port, eth_dst=eth.dst, eth_src=eth.src), [p.OFPActionOutput(out)])
                        actions = [p.OFPActionOutput(o.OFPP_TABLE)]
                    dp.send_msg(p.OFPPacketOut(datapath=dp, buffer_id=o.OFP_NO_BUFFER, in_port=in_port, actions=actions, data=msg.data))
            """;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-ofcontroller");
        events = dir.resolve("events.txt");
        Files.writeString(dir.resolve("learn.py"), APP);
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        int dead;
        try (ServerSocket s = new ServerSocket(0)) { dead = s.getLocalPort(); }
        ns1 = lab.netns();
        ns2 = lab.netns();
        String a1 = lab.name("xca"), b1 = lab.name("xcb"), a2 = lab.name("xca"), b2 = lab.name("xcb");
        lab.veth(a1, b1);
        lab.veth(a2, b2);
        lab.move(b1, ns1);
        lab.move(b2, ns2);
        lab.address(ns1, b1, "10.95.0.1/24");
        lab.address(ns2, b2, "10.95.0.2/24");
        lab.quietIpv6(ns1, b1);
        lab.quietIpv6(ns2, b2);
        lab.up(null, a1);
        lab.up(null, a2);
        startController();
        xvio = XvioDaemon.start(dir, """
                pmd-idle: adaptive
                bridges:
                  br0:
                    controller: [tcp:127.0.0.1:%d]
                    fail_mode: standalone
                    inactivity_probe: 1000
                    controller_rate_limit: 1000
                    controller_burst_limit: 100
                    ports:
                      p1: {type: afpacket, device: %s, ofport: 1}
                      p2: {type: afpacket, device: %s, ofport: 2}
                  br1:
                    controller: [tcp:127.0.0.1:%d]
                    fail_mode: secure
                    inactivity_probe: 1000
                """.formatted(port, a1, a2, dead));
    }

    private void startController() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(OSKEN, "--ofp-listen-host", "127.0.0.1", "--ofp-tcp-listen-port", String.valueOf(port),
                dir.resolve("learn.py").toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("osken.log").toFile()));
        pb.environment().put("XVIO_TEST_EVENTS", events.toString());
        controller = pb.start();
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {        // listening?
            try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                assertTrue(controller.isAlive(), this::osken);
                Thread.sleep(100);
            }
        }
        fail("os-ken did not listen on " + port + "\n" + osken());
    }

    private String osken() {
        try {
            return Files.readString(dir.resolve("osken.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private String events() {
        try {
            return Files.exists(events) ? Files.readString(events) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private void stopController() throws InterruptedException {
        if (controller == null) return;
        controller.destroy();                                        // by its own pid
        if (!controller.waitFor(10, TimeUnit.SECONDS)) controller.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        controller = null;
    }

    @AfterAll
    void stop() throws Exception {
        try {
            stopController();
            if (xvio != null) assertEquals(0, xvio.stop(), xvio::log);
        } finally {
            lab.close();
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One ping with a long wait: the first packets take the controller's path (ARP, packet-ins, flow_mods), slow on a busy machine. */
    private void warmUp(String ns, String addr) {
        lab.exec(ns, "busybox", "ping", "-c", "1", "-W", "5", addr);
    }

    private int received(String ns, String addr) {
        NetLab.Result r = lab.exec(ns, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", addr);
        Matcher m = Pattern.compile("(\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), r.output());
        return Integer.parseInt(m.group(1));
    }

    private String waitForStatus(String bridge, String text, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String s = "";
        while (System.nanoTime() < end) {
            s = xvio.call("get-controller", bridge, "--status");
            if (s.contains(text)) return s;
            Thread.sleep(100);
        }
        fail("get-controller " + bridge + " --status never said \"" + text + "\": " + s + "\n" + xvio.log());
        return s;
    }

    @Order(1)
    @Test
    void pingsGoThroughTheControllersPacketInsAndPacketOuts() throws Exception {
        waitForStatus("br0", "role master", Duration.ofSeconds(20));
        assertEquals("tcp:127.0.0.1:" + port + "\n", xvio.call("get-controller", "br0"));
        // the app installs its table-miss flow after the features reply: it may land just after the role is master
        String table = xvio.call("dump-flows", "br0");
        for (long until = System.nanoTime() + 10_000_000_000L; !table.contains("priority=0 actions=CONTROLLER:65535") && System.nanoTime() < until; ) {
            Thread.sleep(100);
            table = xvio.call("dump-flows", "br0");
        }
        assertTrue(table.contains("priority=0 actions=CONTROLLER:65535"), "the table-miss flow the app installed: " + table);
        warmUp(ns1, "10.95.0.2");
        assertEquals(3, received(ns1, "10.95.0.2"), () -> events() + xvio.log());
        String ev = events();
        assertTrue(ev.contains("role 2 generation 7"), ev);
        // the first packet-in: ns1's ARP request (a broadcast), from the table-miss flow: OFPR_NO_MATCH in table 0
        Matcher arp = Pattern.compile("packet_in reason=0 table=0 cookie=0 in_port=1 total_len=42 len=42 src=\\S+ dst=ff:ff:ff:ff:ff:ff").matcher(ev);
        assertTrue(arp.find(), ev);
        String flows = xvio.call("dump-flows", "br0");
        assertTrue(Pattern.compile("n_packets=[1-9]\\d*, .*priority=1,in_port=1,dl_src=\\S+,dl_dst=\\S+ actions=output:2").matcher(flows).find(), flows);
        assertTrue(Pattern.compile("priority=1,in_port=2,dl_src=\\S+,dl_dst=\\S+ actions=output:1").matcher(flows).find(), flows);
        // with both flows in place the pings no longer go by the controller
        long before = ev.lines().filter(l -> l.startsWith("packet_in")).count();
        assertEquals(3, received(ns2, "10.95.0.1"), xvio::log);
        assertEquals(before, events().lines().filter(l -> l.startsWith("packet_in")).count(), "the learned flows forward without packet-ins");
        // the packet-in counters: what os-ken logged is what xvio sent; none dropped within the YAML's rate limit
        String status = xvio.call("get-controller", "br0", "--status");
        assertTrue(status.contains("packet-in rate limit: 1000/s, burst 100\n"), status);
        assertTrue(status.contains("packet-ins sent " + before + ", dropped 0 (queue full) 0 (rate limit)"), before + " packet-ins logged by os-ken: " + status);
        assertFalse(xvio.log().contains("rejected"), "xvio answered none of os-ken's messages with an error: " + xvio.log());
    }

    @Order(2)
    @Test
    void standaloneFallsBackToNormalWhenTheControllerDiesAndSecureDoesNot() throws Exception {
        stopController();
        xvio.call("del-flows", "br0");
        assertEquals(0, received(ns1, "10.95.0.2"), "no flows, no controller, not yet fail-open: " + xvio.call("get-controller", "br0", "--status"));
        waitForStatus("br0", "fail-open", Duration.ofSeconds(10));
        warmUp(ns1, "10.95.0.2");
        assertEquals(3, received(ns1, "10.95.0.2"), xvio::log);
        assertEquals("", xvio.call("dump-flows", "br0").strip(), "the fail-open flow is hidden, as in OVS");
        String secure = xvio.call("get-controller", "br1", "--status");
        assertFalse(secure.contains("fail-open"), secure);
        assertEquals("secure\n", xvio.call("get-fail-mode", "br1"));
        assertEquals("", xvio.call("dump-flows", "br1").strip(), "a secure bridge with a controller starts without flows");

        startController();
        String s = waitForStatus("br0", "role master", Duration.ofSeconds(20));
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (s.contains("fail-open") && System.nanoTime() < end) {
            Thread.sleep(100);
            s = xvio.call("get-controller", "br0", "--status");
        }
        assertFalse(s.contains("fail-open"), s);
        warmUp(ns2, "10.95.0.1");
        assertEquals(3, received(ns2, "10.95.0.1"), () -> events() + xvio.log());
        assertTrue(xvio.call("dump-flows", "br0").contains("actions=CONTROLLER:65535"), "the controller programs the bridge again");
    }

    @Order(3)
    @Test
    void controllerCommandsChangeTheTargets() throws Exception {
        assertTrue(xvio.call("set-controller", "br1", "unix:" + dir.resolve("nobody.sock"), "tcp:127.0.0.1:" + port).isEmpty());
        assertEquals("unix:" + dir.resolve("nobody.sock") + "\ntcp:127.0.0.1:" + port + "\n", xvio.call("get-controller", "br1"));
        waitForStatus("br1", "role master", Duration.ofSeconds(20));
        IOException bad = assertThrows(IOException.class, () -> xvio.call("set-controller", "br1", "udp:1.2.3.4:6653"));
        assertTrue(bad.getMessage().contains("tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH"), bad.getMessage());
        xvio.call("del-controller", "br1");
        assertEquals("", xvio.call("get-controller", "br1"));
        assertTrue(xvio.awaitLog("bridge br1: connection to controller tcp:127.0.0.1:" + port + " closed", Duration.ofSeconds(5)), xvio::log);
    }

    private void run(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    private NetLab.Result ofctlSsl(Path pki, String who, String... args) {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("ovs-ofctl", "-O", "OpenFlow13",
                "--private-key=" + pki.resolve(who + "-privkey.pem"), "--certificate=" + pki.resolve(who + "-cert.pem"),
                "--ca-cert=" + pki.resolve("pki/switchca/cacert.pem")));
        cmd.addAll(java.util.List.of(args));
        return NetLab.run(cmd.toArray(String[]::new));
    }

    /**
     * SSL/TLS with a PKI made by ovs-pki (a switch CA and a controller CA, as OVS's docs): set-ssl gives br1 its key,
     * certificate and the controller CA; os-ken listening with SSL (its controller key, the switch CA, client
     * certificates required) gets br1 as master over ssl:; br1 also listens on pssl:, where the real ovs-ofctl with a
     * controller certificate dumps its flows, and one with a certificate of the wrong CA is refused with a log line.
     */
    @Order(4)
    @Test
    void sslControllerAndPsslClientsWithOvsPkiCertificates() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/ovs-pki")) && Files.isExecutable(Path.of("/usr/bin/ovs-ofctl")),
                "needs ovs-pki and ovs-ofctl (openvswitch-common)");
        Path pki = dir.resolve("tls");
        Files.createDirectories(pki);
        run(pki, "ovs-pki", "--dir=" + pki.resolve("pki"), "init");
        run(pki, "ovs-pki", "--dir=" + pki.resolve("pki"), "req+sign", "sw", "switch");
        run(pki, "ovs-pki", "--dir=" + pki.resolve("pki"), "req+sign", "ctl", "controller");
        run(pki, "ovs-pki", "--dir=" + pki.resolve("pki"), "req+sign", "rogue", "switch");
        assertEquals("", xvio.call("set-ssl", pki.resolve("sw-privkey.pem").toString(), pki.resolve("sw-cert.pem").toString(),
                pki.resolve("pki/controllerca/cacert.pem").toString()));
        assertTrue(xvio.call("get-ssl").contains("CA Certificate: " + pki.resolve("pki/controllerca/cacert.pem")));

        int sslPort;
        try (ServerSocket s = new ServerSocket(0)) { sslPort = s.getLocalPort(); }
        ProcessBuilder pb = new ProcessBuilder(OSKEN, "--ofp-listen-host", "127.0.0.1", "--ofp-ssl-listen-port", String.valueOf(sslPort),
                "--ctl-privkey", pki.resolve("ctl-privkey.pem").toString(), "--ctl-cert", pki.resolve("ctl-cert.pem").toString(),
                "--ca-certs", pki.resolve("pki/switchca/cacert.pem").toString(), dir.resolve("learn.py").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("osken-ssl.log").toFile()));
        pb.environment().put("XVIO_TEST_EVENTS", events.toString());
        Process sslController = pb.start();
        try {
            xvio.call("set-controller", "br1", "ssl:127.0.0.1:" + sslPort, "pssl:0:127.0.0.1");
            String st = waitForStatus("br1", "ssl:127.0.0.1:" + sslPort + " connected, OpenFlow13, role master", Duration.ofSeconds(30));
            Matcher listen = Pattern.compile("pssl:0:127.0.0.1 listening on port (\\d+)").matcher(st);
            assertTrue(listen.find(), st);
            String target = "ssl:127.0.0.1:" + listen.group(1);
            String table = "";
            for (long until = System.nanoTime() + 10_000_000_000L; !table.contains("priority=0 actions=CONTROLLER:65535") && System.nanoTime() < until; ) {
                Thread.sleep(100);
                NetLab.Result r = ofctlSsl(pki, "ctl", "dump-flows", target);
                assertEquals(0, r.rc(), r.output() + xvio.log());
                table = r.output();
            }
            assertTrue(table.contains("priority=0 actions=CONTROLLER:65535"), "os-ken's flow, read over pssl: " + table);
            NetLab.Result rogue = ofctlSsl(pki, "rogue", "dump-flows", target);
            assertNotEquals(0, rogue.rc(), rogue.output());
            assertTrue(xvio.awaitLog("refused: TLS handshake failed: the peer's certificate is not signed by the CA in "
                    + pki.resolve("pki/controllerca/cacert.pem"), Duration.ofSeconds(5)), xvio::log);
            xvio.call("del-controller", "br1");
        } finally {
            sslController.destroy();
            if (!sslController.waitFor(10, TimeUnit.SECONDS)) sslController.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
