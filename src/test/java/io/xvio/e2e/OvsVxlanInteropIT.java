package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Interop with Open vSwitch's userspace tunnelling (issue 16): one "host" is OVS with the netdev datapath, set up as
 * {@code Documentation/howto/userspace-tunneling.rst} says (an underlay bridge whose LOCAL port holds the endpoint
 * address, a veth uplink as a system port; an overlay bridge with a vxlan port and a client veth), the other is xvio
 * in a namespace. Each resolves the other's MAC by ARP; the clients behind them ping each other with 0% loss and
 * large pings pass, so each side's encapsulation is accepted by the other. Over Geneve, OVS adds an option
 * ({@code set_field:0xa->tun_metadata0} with the same TLV map on both sides) and xvio's flow matches it; xvio adds
 * one too ({@code set_field:0x5->tun_metadata0}) and OVS's only flow from the tunnel matches it (with 0x6, nothing
 * passes); OVS's present bit both ways: tun_metadata0=0 matches an option with data 0 and not its absence. Then
 * a frame-by-frame differential (Geneve: both sending tun_metadata0=0xa): the same 17 inner frames
 * (IPv4 flows of several sizes, ECN CE, IPv6, non-IP) into both overlays; the outer frames captured on the underlay
 * veth are each other's mirror image byte for byte (Geneve options included) but the IPv4 id/checksum and the UDP
 * source port, which is stable per flow ({@link OuterFrameDiff}).
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OvsDifferentialIT#enabled")
class OvsVxlanInteropIT {
    private static final String PY = Files.exists(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /**
     * OVS's present bit for tun_metadata, against OVS both ways: a flow on {@code tun_metadata0=0} matches an option
     * with data 0 ({@code set_field:0->tun_metadata0} sends one) and not a packet without the option. Leaves both
     * sides' flows as they were.
     */
    private static void presentBit(NetLab lab, XvioDaemon x, String ovsBr, String nsCx) throws Exception {
        java.util.function.IntSupplier ping = () -> {
            String out = lab.exec(nsCx, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.203.0.2").output();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) packets received").matcher(out);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        };
        // xvio -> OVS: OVS's flow from the tunnel wants tun_metadata0=0
        NetLab.ok("ovs-ofctl", "del-flows", ovsBr, "in_port=10");
        NetLab.ok("ovs-ofctl", "add-flow", ovsBr, "in_port=10,tun_metadata0=0,actions=output:1");
        x.call("add-flow", "br-int", "priority=10,in_port=1,actions=set_field:0->tun_metadata0,output:10");
        assertEquals(3, ping.getAsInt(), "xvio's set_field:0->tun_metadata0 sends the option with data 0; OVS's tun_metadata0=0 takes it");
        x.call("add-flow", "br-int", "priority=10,in_port=1,actions=output:10");
        assertEquals(0, ping.getAsInt(), "OVS's tun_metadata0=0 does not match a packet without the option (the reference)");
        x.call("add-flow", "br-int", "priority=10,in_port=1,actions=set_field:0->tun_metadata0,output:10");
        // OVS -> xvio: xvio's flow from the tunnel wants tun_metadata0=0
        x.call("del-flows", "br-int", "in_port=10");
        x.call("add-flow", "br-int", "priority=10,in_port=10,tun_id=100,tun_metadata0=0,actions=output:1");
        NetLab.ok("ovs-ofctl", "del-flows", ovsBr, "in_port=1");
        NetLab.ok("ovs-ofctl", "add-flow", ovsBr, "in_port=1,actions=set_field:0->tun_metadata0,output:10");
        assertEquals(3, ping.getAsInt(), "OVS's option with data 0 matches xvio's tun_metadata0=0\n" + x.call("dump-flows", "br-int"));
        NetLab.ok("ovs-ofctl", "del-flows", ovsBr, "in_port=1");
        NetLab.ok("ovs-ofctl", "add-flow", ovsBr, "in_port=1,actions=output:10");
        assertEquals(0, ping.getAsInt(), "xvio's tun_metadata0=0 does not match a packet without the option, as OVS's\n" + x.call("dump-flows", "br-int"));
        // back to the flows the test started with
        x.call("del-flows", "br-int", "in_port=10");
        x.call("add-flow", "br-int", "priority=10,in_port=10,tun_id=100,tun_metadata0=0xa,actions=output:1");
        NetLab.ok("ovs-ofctl", "del-flows", ovsBr, "in_port=1");
        NetLab.ok("ovs-ofctl", "add-flow", ovsBr, "in_port=1,actions=set_field:0xa->tun_metadata0,output:10");
        NetLab.ok("ovs-ofctl", "del-flows", ovsBr, "in_port=10");
        NetLab.ok("ovs-ofctl", "add-flow", ovsBr, "in_port=10,tun_metadata0=0x5,actions=output:1");
    }

    /**
     * The same 17 inner frames into xvio's client port and OVS's, the outer frames captured on the underlay veth
     * compared ({@link OuterFrameDiff}). Geneve: both send tun_metadata0=0xa as option class 0x0102 type 0x80.
     */
    private static void differential(NetLab lab, String vA, String nsCx, String c1, String nsCo, String d1, Path dir, boolean geneve) throws Exception {
        int hdr = OuterFrameDiff.HDR + (geneve ? 8 : 0);
        Path cap = dir.resolve("outer.txt");
        Process capture = lab.spawn(null, cap, PY, "-c", OuterFrameDiff.capture(vA, 6, geneve ? 6081 : 4789, hdr));
        long ready = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < ready && !(Files.exists(cap) && Files.readString(cap).startsWith("ready"))) Thread.sleep(50);
        NetLab.Result ix = lab.exec(nsCx, PY, "-c", OuterFrameDiff.inject(c1));
        NetLab.Result io = lab.exec(nsCo, PY, "-c", OuterFrameDiff.inject(d1));
        assertTrue(capture.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "capture ended");
        assertEquals(0, ix.rc() + io.rc(), ix.output() + io.output());
        java.util.List<String> bad = OuterFrameDiff.compare(OuterFrameDiff.parse(Files.readString(cap), hdr), 17);
        assertTrue(bad.isEmpty(), "xvio's and OVS's " + (geneve ? "Geneve" : "VXLAN") + " encapsulation of the same 17 inner frames differ:\n"
                + String.join("\n", bad) + "\n" + Files.readString(cap));
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "geneve"})
    void xvioAndOvsUserspaceTunnelPortsCarryTrafficBothWays(String type, @TempDir Path dir) throws Exception {
        boolean geneve = type.equals("geneve");
        String tlv = "{class=0x0102,type=0x80,len=4}->tun_metadata0";
        try (NetLab lab = new NetLab()) {
            String nsX = lab.netns(), nsCx = lab.netns(), nsCo = lab.netns();
            String u0 = lab.name("ou"), vA = lab.name("ou"), c0 = lab.name("oc"), c1 = lab.name("oc"), d0 = lab.name("oc"), d1 = lab.name("oc");
            lab.veth(u0, vA);          // the underlay: u0 in xvio's namespace, vA in the root namespace (OVS's)
            lab.veth(c0, c1);          // xvio's client
            lab.veth(d0, d1);          // OVS's client
            lab.move(u0, nsX);
            lab.move(c0, nsX);
            lab.move(c1, nsCx);
            lab.move(d1, nsCo);
            lab.up(nsX, u0);
            lab.up(nsX, c0);
            lab.up(null, vA);
            lab.up(null, d0);
            NetLab.ok("ip", "-n", nsCx, "link", "set", c1, "mtu", "1450");
            NetLab.ok("ip", "-n", nsCo, "link", "set", d1, "mtu", "1450");
            lab.address(nsCx, c1, "10.203.0.1/24");
            lab.address(nsCo, d1, "10.203.0.2/24");
            String phy = "op" + lab.id(), integ = "oi" + lab.id();
            Path od = Files.createDirectories(dir.resolve("ovs")), xd = Files.createDirectories(dir.resolve("xvio"));
            try (OvsUserspace ovs = OvsUserspace.start(od, phy)) {
                try {
                    ovs.addPort(vA, 1);
                    NetLab.ok("ip", "addr", "add", "172.31.7.2/24", "dev", phy);
                    NetLab.ok("ip", "link", "set", phy, "up");
                    ovs.vsctl("add-br", integ, "--", "set", "bridge", integ, "datapath_type=netdev");
                    ovs.vsctl("add-port", integ, d0, "--", "set", "interface", d0, "type=system", "ofport_request=1");
                    ovs.vsctl("add-port", integ, "vx0", "--", "set", "interface", "vx0", "type=" + type, "options:remote_ip=172.31.7.1",
                            "options:key=100", "ofport_request=10");
                    if (geneve) {
                        NetLab.ok("ovs-ofctl", "add-tlv-map", "unix:" + od.resolve(integ + ".mgmt"), tlv);
                        NetLab.ok("ovs-ofctl", "del-flows", "unix:" + od.resolve(integ + ".mgmt"));
                        NetLab.ok("ovs-ofctl", "add-flow", "unix:" + od.resolve(integ + ".mgmt"), "in_port=1,actions=set_field:0xa->tun_metadata0,output:10");
                        NetLab.ok("ovs-ofctl", "add-flow", "unix:" + od.resolve(integ + ".mgmt"), "in_port=10,tun_metadata0=0x5,actions=output:1");
                    }
                    ovs.appctl("ovs/route/add", "172.31.7.0/24", phy);
                    String yaml = """
                            pmd-idle: adaptive
                            bridges:
                              br-int:
                                ports:
                                  c0: {type: afpacket, device: %s, ofport: 1}
                                  vx0: {type: %s, remote_ip: 172.31.7.2, key: 100, ofport: 10}
                                flows:
                                  - "priority=10,in_port=1,actions=%soutput:10"
                                  - "priority=10,in_port=10,tun_id=100%s,actions=output:1"
                              br-phy:
                                ip: 172.31.7.1/24
                                ports:
                                  up0: {type: afpacket, device: %s}
                            """.formatted(c0, type, geneve ? "set_field:0x5->tun_metadata0," : "", geneve ? ",tun_metadata0=0xa" : "", u0);
                    try (XvioDaemon x = XvioDaemon.startIn(nsX, xd, yaml)) {
                        if (geneve) x.call("add-tlv-map", "br-int", tlv);
                        UplinkPortsIT.awaitStatus(x, "vx0", "up", Duration.ofSeconds(20));
                        // the first packets wait for OVS's neighbour entry (it learns xvio's MAC from ARP)
                        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                        while (System.nanoTime() < until && !lab.exec(nsCx, "busybox", "ping", "-c", "1", "-W", "1", "10.203.0.2").output().contains(" 1 packets received"))
                            Thread.sleep(200);
                        NetLab.Result ping = lab.exec(nsCx, "busybox", "ping", "-c", "20", "-i", "0.2", "-W", "2", "10.203.0.2");
                        String ctx = ping.output() + "\nxvio:\n" + x.call("stats") + x.call("show") + x.call("tnl", "neigh")
                                + "\nOVS:\n" + ovs.appctl("tnl/neigh/show") + ovs.appctl("dpctl/dump-flows") + ovs.log();
                        assertTrue(ping.output().contains("20 packets transmitted, 20 packets received"), "xvio's client -> OVS's over VXLAN\n" + ctx);
                        NetLab.Result back = lab.exec(nsCo, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "-s", "1400", "10.203.0.1");
                        assertTrue(back.output().contains("5 packets transmitted, 5 packets received"), "OVS's client -> xvio's, 1428-byte packets\n" + back.output() + ctx);
                        String flows = ovs.appctl("dpctl/dump-flows");
                        assertTrue(flows.contains("tnl_pop") && flows.contains("tnl_push"), "OVS decapsulated and encapsulated itself\n" + flows);
                        if (geneve) {
                            assertTrue(x.call("dump-flows", "br-int").contains("tun_metadata0=0xa"), x.call("dump-flows", "br-int"));
                            // OVS decoded the option xvio sent and its flow on tun_metadata0=0x5 took the packets
                            assertTrue(flows.contains("geneve({class=0x102,type=0x80,len=4,0x5"), "xvio's option in OVS's datapath flow\n" + flows);
                            x.call("add-flow", "br-int", "priority=10,in_port=1,actions=set_field:0x6->tun_metadata0,output:10");
                            NetLab.Result other = lab.exec(nsCx, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.203.0.2");
                            assertTrue(other.output().contains("3 packets transmitted, 0 packets received"),
                                    "OVS's flow wants tun_metadata0=0x5, not 0x6\n" + other.output() + ovs.appctl("dpctl/dump-flows"));
                            presentBit(lab, x, "unix:" + od.resolve(integ + ".mgmt"), nsCx);
                            // for the differential, the option OVS sends
                            x.call("add-flow", "br-int", "priority=10,in_port=1,actions=set_field:0xa->tun_metadata0,output:10");
                        }
                        differential(lab, vA, nsCx, c1, nsCo, d1, dir, geneve);
                    }
                } finally {
                    NetLab.run("ovs-vsctl", "--timeout=10", "--db=unix:" + od.resolve("db.sock"), "--if-exists", "del-br", integ);
                    NetLab.run("ip", "link", "del", integ);
                }
            }
        }
    }
}
