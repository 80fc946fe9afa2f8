package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two "hosts" (namespaces), each an xvio with an overlay bridge (NORMAL, a client namespace on an afpacket port and a
 * Geneve port to the other host) and an underlay bridge (an afpacket uplink on the veth joining the hosts; host A's
 * endpoint address in the file, {@code ip:}; host B's {@code ip: kernel}, the address put on br-phy's internal
 * interface with {@code ip addr}, as with OVS).
 * This machine's kernel has no Geneve device: the two xvios are each other's reference. The clients ping each other
 * with 0% loss through NORMAL learning across the tunnel and stream 1 MiB over TCP with the same SHA-256; each
 * side's {@code tnl neigh} shows the other endpoint's MAC learnt by ARP. Then, as two OVN chassis do, each side
 * sets its logical port in a Geneve option ({@code set_field:N->tun_metadata0}, class 0x0102 type 0x80 mapped on
 * both) and accepts from the tunnel only the other's value: pings pass both ways, and stop when one side sends
 * another value.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.VxlanOverlayIT#enabled")
class GeneveTwoHostsIT {

    private static String config(String client, String uplink, String ip, String remote) {
        return """
                pmd-idle: adaptive
                bridges:
                  br-int:
                    ports:
                      c0: {type: afpacket, device: %s, ofport: 1}
                      gnv0: {type: geneve, remote_ip: %s, key: 5000, ofport: 2}
                  br-phy:
                    ip: %s
                    ports:
                      up0: {type: afpacket, device: %s}
                """.formatted(client, remote, ip, uplink);
    }

    @Test
    void clientsOnTwoHostsTalkOverGenevePortsOfTwoXvios(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String hA = lab.netns(), hB = lab.netns(), cA = lab.netns(), cB = lab.netns();
            String uA = lab.name("gu"), uB = lab.name("gu"), a0 = lab.name("gc"), a1 = lab.name("gc"), b0 = lab.name("gc"), b1 = lab.name("gc");
            lab.veth(uA, uB);
            lab.veth(a0, a1);
            lab.veth(b0, b1);
            lab.move(uA, hA); lab.move(a0, hA); lab.move(a1, cA);
            lab.move(uB, hB); lab.move(b0, hB); lab.move(b1, cB);
            for (String[] l : new String[][] {{hA, uA}, {hA, a0}, {hB, uB}, {hB, b0}}) lab.up(l[0], l[1]);
            NetLab.ok("ip", "-n", cA, "link", "set", a1, "mtu", "1450");
            NetLab.ok("ip", "-n", cB, "link", "set", b1, "mtu", "1450");
            lab.address(cA, a1, "10.202.0.1/24");
            lab.address(cB, b1, "10.202.0.2/24");
            Path da = Files.createDirectories(dir.resolve("a")), db = Files.createDirectories(dir.resolve("b"));
            // host A's endpoint address in the file; host B's, as with OVS, on br-phy's internal interface (ip: kernel)
            try (XvioDaemon xa = XvioDaemon.startIn(hA, da, config(a0, uA, "172.31.0.1/24", "172.31.0.2"));
                 XvioDaemon xb = XvioDaemon.startIn(hB, db, config(b0, uB, "kernel", "172.31.0.1"))) {
                assertTrue(xb.call("show").contains("port 65534: br-phy type=tap"), xb.call("show"));
                UplinkPortsIT.awaitStatus(xb, "br-phy", "up", Duration.ofSeconds(20));   // the tap is made by the port's supervisor
                lab.quietIpv6(hB, "br-phy");
                NetLab.ok("ip", "-n", hB, "addr", "add", "172.31.0.2/24", "dev", "br-phy");
                NetLab.ok("ip", "-n", hB, "link", "set", "br-phy", "up");
                UplinkPortsIT.awaitStatus(xa, "gnv0", "up", Duration.ofSeconds(20));
                UplinkPortsIT.awaitStatus(xb, "gnv0", "up", Duration.ofSeconds(20));
                NetLab.Result ping = lab.exec(cA, "busybox", "ping", "-c", "20", "-i", "0.2", "-W", "2", "10.202.0.2");
                String ctx = ping.output() + "\nhost A:\n" + xa.call("stats") + xa.call("show") + "\nhost B:\n" + xb.call("stats") + xb.log();
                assertTrue(ping.output().contains("20 packets transmitted, 20 packets received"), "A -> B over Geneve, 0% loss\n" + ctx);
                assertTrue(xa.call("show").contains("type=geneve"), ctx);
                assertTrue(xa.counter("gnv0", "tx_packets") >= 20 && xb.counter("gnv0", "rx_packets") >= 20, ctx);
                assertTrue(xa.call("tnl", "neigh").contains("172.31.0.2"), xa.call("tnl", "neigh"));
                String json = xa.call("show", "--format=json");
                assertTrue(json.contains("\"gnv0\"") && json.contains("geneve") && json.contains("tnl_push"), json);

                NamespaceTcp.Transfer t = NamespaceTcp.send(lab, cB, cA, "10.202.0.2", 5002, dir.resolve("srv.txt"));
                assertTrue(t.intact(), "1 MiB A -> B over Geneve, same SHA-256: " + t.describe() + "\n" + xa.call("stats") + xb.call("stats"));

                // as two OVN chassis: each sends its logical port in an option (set_field to tun_metadata0, the same
                // TLV map on both sides) and takes from the tunnel only what carries the other's
                String tlv = "{class=0x0102,type=0x80,len=4}->tun_metadata0";
                for (XvioDaemon x : new XvioDaemon[] {xa, xb}) {
                    boolean a = x == xa;
                    x.call("add-tlv-map", "br-int", tlv);
                    x.call("add-flow", "br-int", "priority=100,in_port=1,actions=set_field:" + (a ? "0x1" : "0x2") + "->tun_metadata0,output:2");
                    x.call("add-flow", "br-int", "priority=100,in_port=2,tun_metadata0=" + (a ? "0x2" : "0x1") + ",actions=output:1");
                    x.call("add-flow", "br-int", "priority=90,in_port=2,actions=drop");
                }
                NetLab.Result meta = lab.exec(cA, "busybox", "ping", "-c", "10", "-i", "0.2", "-W", "2", "10.202.0.2");
                NetLab.Result metaBack = lab.exec(cB, "busybox", "ping", "-c", "10", "-i", "0.2", "-W", "2", "10.202.0.1");
                String mctx = meta.output() + metaBack.output() + "\nhost A:\n" + xa.call("dump-flows", "br-int") + xa.call("stats")
                        + "\nhost B:\n" + xb.call("dump-flows", "br-int") + xb.call("stats");
                assertTrue(meta.output().contains("10 packets transmitted, 10 packets received"), "A -> B with tun_metadata0 both ways\n" + mctx);
                assertTrue(metaBack.output().contains("10 packets transmitted, 10 packets received"), "B -> A with tun_metadata0\n" + mctx);
                String matched = xb.call("dump-flows", "br-int").lines().filter(l -> l.contains("tun_metadata0=0x1")).findFirst().orElse("");
                java.util.regex.Matcher n = java.util.regex.Pattern.compile("n_packets=(\\d+)").matcher(matched);
                assertTrue(n.find() && Long.parseLong(n.group(1)) >= 10, "B's flow on tun_metadata0=0x1 took A's packets\n" + mctx);
                // B now sends another value: its replies no longer match A's flow
                xb.call("add-flow", "br-int", "priority=100,in_port=1,actions=set_field:0x3->tun_metadata0,output:2");
                NetLab.Result wrong = lab.exec(cA, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.202.0.2");
                assertTrue(wrong.output().contains("3 packets transmitted, 0 packets received"), "0x3 is not B's port\n" + wrong.output()
                        + xa.call("dump-flows", "br-int"));
            }
        }
    }
}
