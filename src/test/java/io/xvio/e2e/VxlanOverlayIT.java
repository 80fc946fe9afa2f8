package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A VXLAN overlay between xvio and the Linux kernel's VXLAN device, the reference VTEP (issue 16). Three namespaces:
 * <pre>
 *  client ns: c1 10.200.0.1/24 (mtu 1450)
 *     | veth
 *  xvio ns:   c0 --afpacket-- br-int [vx0: vxlan remote 172.31.0.2 key 100]
 *                             br-phy [ip 172.31.0.1/24, up0 --afpacket-- u0]
 *     | veth (the underlay)
 *  kernel ns: u1 172.31.0.2/24; vx100: vxlan id 100 remote 172.31.0.1, 10.200.0.2/24
 *                               vx200: vxlan id 200 remote 172.31.0.1, 10.201.0.2/24
 * </pre>
 * br-int's flows match {@code in_port=vx0,tun_id=100} and send {@code output:vx0}. xvio answers the kernel's ARP for
 * 172.31.0.1, asks for 172.31.0.2's MAC itself, encapsulates and decapsulates: the client pings the kernel's overlay
 * address with 0% loss, 1 MiB goes each way over TCP with equal SHA-256, the largest frame the overlay MTU allows
 * passes; VNI 200 reaches nothing and its frames are counted as decapsulation drops; a route added at run time
 * ({@code tnl routes add}) carries VNI 200 to another kernel address, and its delete stops it; {@code tnl routes/neigh} show
 * the underlay; with the kernel ignoring ARP, a static neighbour ({@code tnl neigh set}) alone carries the traffic and a
 * gratuitous ARP does not move it. Needs root, ip, python3 (for TCP).
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.VxlanOverlayIT#enabled")
class VxlanOverlayIT {
    static boolean enabled() { return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available(); }


    @Test
    void namespaceBehindXvioReachesTheKernelsVxlanDevice(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String nsX = lab.netns(), nsK = lab.netns(), nsC = lab.netns();
            String u0 = lab.name("vu"), u1 = lab.name("vu"), c0 = lab.name("vc"), c1 = lab.name("vc");
            lab.veth(u0, u1);
            lab.veth(c0, c1);
            lab.move(u0, nsX);
            lab.move(c0, nsX);
            lab.move(u1, nsK);
            lab.move(c1, nsC);
            lab.up(nsX, u0);
            lab.up(nsX, c0);
            lab.address(nsK, u1, "172.31.0.2/24");
            // the kernel hands its VXLAN device's TCP bursts to the veth as UDP-tunnel GSO frames: xvio's uplink cuts
            // them (Segmentation's tunnel mode) before decapsulation
            for (int vni : new int[] {100, 200}) {
                String vx = "vx" + vni;
                NetLab.ok("ip", "-n", nsK, "link", "add", vx, "type", "vxlan", "id", "" + vni, "remote", "172.31.0.1",
                        "local", "172.31.0.2", "dstport", "4789", "dev", u1);
                lab.quietIpv6(nsK, vx);
                lab.address(nsK, vx, (vni == 100 ? "10.200.0.2" : "10.201.0.2") + "/24");
            }
            NetLab.ok("ip", "-n", nsC, "link", "set", c1, "mtu", "1450");
            lab.address(nsC, c1, "10.200.0.1/24");
            NetLab.ok("ip", "-n", nsC, "addr", "add", "10.201.0.1/24", "dev", c1);   // the other VNI's subnet, unreachable

            String yaml = """
                    pmd-idle: adaptive
                    bridges:
                      br-int:
                        ports:
                          c0: {type: afpacket, device: %s, ofport: 1}
                          vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10}
                        flows:
                          - "priority=10,in_port=1,actions=output:10"
                          - "priority=10,in_port=10,tun_id=100,actions=output:1"
                      br-phy:
                        ip: 172.31.0.1/24
                        ports:
                          up0: {type: afpacket, device: %s, ofport: 1}
                    """.formatted(c0, u0);
            try (XvioDaemon x = XvioDaemon.startIn(nsX, dir, yaml)) {
                String show = UplinkPortsIT.awaitStatus(x, "vx0", "up", Duration.ofSeconds(20));
                assertTrue(show.contains("remote_ip=172.31.0.2") || show.contains("172.31.0.2"), show);

                NetLab.Result ping = lab.exec(nsC, "busybox", "ping", "-c", "20", "-i", "0.2", "-W", "2", "10.200.0.2");
                String ctx = ping.output() + "\n" + x.call("stats") + "\n" + x.call("show") + "\n" + x.log();
                assertTrue(ping.output().contains("20 packets transmitted, 20 packets received"), "client -> kernel VTEP over VXLAN, 0% loss\n" + ctx);
                // the largest frame the overlay MTU (1450) carries, both ways
                NetLab.Result big = lab.exec(nsC, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "1422", "10.200.0.2");
                assertTrue(big.output().contains("3 packets transmitted, 3 packets received"), big.output() + "\n" + x.call("stats"));
                NetLab.Result back = lab.exec(nsK, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.200.0.1");
                assertTrue(back.output().contains("3 packets transmitted, 3 packets received"), back.output());
                assertTrue(x.counter("vx0", "tx_packets") >= 26 && x.counter("vx0", "rx_packets") >= 26, x.call("stats"));

                // a decapsulated packet's packet-in carries its tunnel fields, as OVS's (ovs-ofctl monitor decodes them)
                try (PacketInMonitor mon = PacketInMonitor.start("OpenFlow13", "unix:" + dir.resolve("br-int.mgmt"), dir.resolve("monitor.txt"))) {
                    x.call("add-flow", "br-int", "priority=20,in_port=10,tun_id=100,icmp,actions=controller,output:1");
                    lab.exec(nsK, "busybox", "ping", "-c", "1", "-W", "2", "10.200.0.1");
                    java.util.function.Supplier<String> ins = () -> {
                        try {
                            return String.join("\n", mon.packetIns());
                        } catch (java.io.IOException e) {
                            return e.toString();
                        }
                    };
                    io.xvio.testing.Await.awaitMatch(ins, Pattern.compile(Pattern.quote("tun_id=0x64,tun_src=172.31.0.2,tun_dst=172.31.0.1")),
                            Duration.ofSeconds(10), () -> "the tunnel in the packet-in's match");
                    x.call("del-flows", "br-int", "in_port=10,tun_id=100,icmp");
                }

                // 1 MiB each way over TCP, compared by SHA-256
                for (boolean toKernel : new boolean[] {true, false}) {
                    String server = toKernel ? nsK : nsC, client = toKernel ? nsC : nsK;
                    String addr = toKernel ? "10.200.0.2" : "10.200.0.1";
                    NamespaceTcp.Transfer t = NamespaceTcp.send(lab, server, client, addr, 5001, dir.resolve("srv" + toKernel + ".txt"));
                    assertTrue(t.intact(), "1 MiB " + (toKernel ? "client -> kernel" : "kernel -> client")
                            + " over VXLAN, same SHA-256: " + t.describe() + "\n" + x.call("stats"));
                }

                // the kernel's TCP bursts came as UDP-tunnel GSO frames, cut by the uplink, none dropped
                assertTrue(x.counter("up0", "rx_gso_frames") > 0, x.call("stats"));
                assertFalse(x.call("stats").contains("gso: headers not segmentable"), x.call("stats"));

                // the underlay link goes down and comes back: traffic resumes without a restart
                NetLab.ok("ip", "-n", nsK, "link", "set", u1, "down");
                NetLab.Result gone = lab.exec(nsC, "busybox", "ping", "-c", "2", "-W", "1", "10.200.0.2");
                assertTrue(gone.output().contains(" 0 packets received"), gone.output());
                NetLab.ok("ip", "-n", nsK, "link", "set", u1, "up");
                long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < until && !lab.exec(nsC, "busybox", "ping", "-c", "1", "-W", "1", "10.200.0.2").output().contains(" 1 packets received"))
                    Thread.sleep(200);
                NetLab.Result again = lab.exec(nsC, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.200.0.2");
                assertTrue(again.output().contains("5 packets transmitted, 5 packets received"), "after the underlay came back\n" + again.output() + x.call("stats"));

                // the next hop takes a new MAC and says so with a gratuitous ARP (arp_notify=1): encapsulated traffic
                // follows it without a restart
                NetLab.ok("ip", "netns", "exec", nsK, "sysctl", "-qw", "net.ipv4.conf." + u1 + ".arp_notify=1");
                NetLab.ok("ip", "-n", nsK, "link", "set", u1, "address", "02:31:00:00:00:99");
                until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (System.nanoTime() < until && !lab.exec(nsC, "busybox", "ping", "-c", "1", "-W", "1", "10.200.0.2").output().contains(" 1 packets received"))
                    Thread.sleep(200);
                NetLab.Result moved = lab.exec(nsC, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.200.0.2");
                assertTrue(moved.output().contains("5 packets transmitted, 5 packets received"),
                        "after the next hop's MAC changed\n" + moved.output() + x.call("tnl", "neigh") + x.call("stats"));
                assertTrue(x.call("tnl", "neigh").contains("02:31:00:00:00:99"), x.call("tnl", "neigh"));
                assertTrue(x.call("show").contains("dst=02:31:00:00:00:99"), "vx0's header goes to the new MAC\n" + x.call("show"));

                // VNI 200 is not ours: the kernel's frames on it are counted drops, nothing comes through
                NetLab.Result other = lab.exec(nsK, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "-w", "3", "10.201.0.1");
                assertTrue(other.output().contains(" 0 packets received"), other.output());
                String stats = x.call("stats");
                Matcher m = Pattern.compile("decap: VNI of no tunnel port=(\\d+)").matcher(stats);
                assertTrue(m.find() && Long.parseLong(m.group(1)) >= 1, "wrong-VNI frames counted on br-phy's endpoint\n" + stats);

                assertFalse(stats.contains("gso: headers not segmentable"), stats);

                // a port added at run time with remote_ip=flow key=flow: flows choose the remote and VNI 200 by set_field
                x.call("add-port", "br-int", "vx1", "type=vxlan", "remote_ip=flow", "key=flow", "ofport=11");
                for (String f : new String[] {
                        "priority=20,in_port=1,arp,arp_tpa=10.201.0.2,actions=set_field:200->tun_id,set_field:172.31.0.2->tun_dst,output:11",
                        "priority=20,in_port=1,ip,nw_dst=10.201.0.2,actions=set_field:200->tun_id,set_field:172.31.0.2->tun_dst,output:11",
                        "priority=20,in_port=11,tun_id=200,actions=output:1"})
                    x.call("add-flow", "br-int", f);
                lab.exec(nsK, "busybox", "ping", "-c", "2", "-W", "2", "10.201.0.1");   // the first (remote, VNI) is resolved meanwhile
                NetLab.Result vni200 = lab.exec(nsK, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.201.0.1");
                assertTrue(vni200.output().contains("5 packets transmitted, 5 packets received"),
                        "VNI 200 through the key=flow/remote_ip=flow port\n" + vni200.output() + x.call("stats") + x.call("show"));
                assertTrue(x.counter("vx1", "tx_packets") >= 5 && x.counter("vx1", "rx_packets") >= 5, x.call("stats"));

                // tnl routes add/del (OVS's ovs/route/add, del) at run time: the kernel's VTEP also owns 10.77.0.2, on a
                // network xvio has no route to until one goes through the kernel's underlay address; a delete stops it
                NetLab.ok("ip", "-n", nsK, "addr", "add", "10.77.0.2/32", "dev", u1);
                for (String f : new String[] {
                        "priority=20,in_port=1,arp,arp_tpa=10.201.0.2,actions=set_field:200->tun_id,set_field:10.77.0.2->tun_dst,output:11",
                        "priority=20,in_port=1,ip,nw_dst=10.201.0.2,actions=set_field:200->tun_id,set_field:10.77.0.2->tun_dst,output:11"})
                    x.call("add-flow", "br-int", f);
                NetLab.Result noRoute = lab.exec(nsK, "busybox", "ping", "-c", "2", "-i", "0.2", "-W", "1", "-w", "2", "10.201.0.1");
                assertTrue(noRoute.output().contains(" 0 packets received"), noRoute.output() + x.call("tnl", "routes"));
                x.call("tnl", "routes", "add", "10.77.0.0/16", "br-phy", "172.31.0.2");
                assertTrue(x.call("tnl", "routes").contains("User: 10.77.0.0/16 dev br-phy GW 172.31.0.2 SRC 172.31.0.1"), x.call("tnl", "routes"));
                lab.exec(nsK, "busybox", "ping", "-c", "1", "-W", "2", "10.201.0.1");          // re-resolved on the timer's next tick
                NetLab.Result routed = lab.exec(nsK, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.201.0.1");
                assertTrue(routed.output().contains("5 packets transmitted, 5 packets received"),
                        "VNI 200 to 10.77.0.2 over the added route\n" + routed.output() + x.call("tnl", "routes") + x.call("stats"));
                x.call("tnl", "routes", "del", "10.77.0.0/16");
                Thread.sleep(400);
                NetLab.Result unrouted = lab.exec(nsK, "busybox", "ping", "-c", "2", "-i", "0.2", "-W", "1", "-w", "2", "10.201.0.1");
                assertTrue(unrouted.output().contains(" 0 packets received"), unrouted.output() + x.call("tnl", "routes"));
                String badRoute = assertThrows(java.io.IOException.class, () -> x.call("tnl", "routes", "add", "10.78.0.0/16", "br-phy", "10.9.9.9")).getMessage();
                assertTrue(badRoute.contains("gateway 10.9.9.9 is not on a network of bridge br-phy"), badRoute);

                // a sender whose MTU is larger than the overlay's: its too-big datagrams (DF) get ICMP "fragmentation
                // needed" with the overlay's MTU back through the tunnel, and its kernel learns the path MTU
                NetLab.ok("ip", "-n", nsC, "link", "set", c1, "mtu", "1500");
                NetLab.Result pmtu = lab.exec(nsC, NamespaceTcp.PY, "-c", """
                        import socket, time
                        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        s.setsockopt(socket.IPPROTO_IP, 10, 2)          # IP_MTU_DISCOVER = IP_PMTUDISC_DO
                        s.connect(('10.200.0.2', 9))
                        sent = 0
                        for i in range(25):
                            try:
                                s.send(b'x' * 1472); sent += 1
                            except OSError as e:
                                print('refused', e.errno); break
                            time.sleep(0.2)
                        print('sent', sent, 'mtu', s.getsockopt(socket.IPPROTO_IP, 14))   # IP_MTU
                        """);
                String ctxMtu = pmtu.output() + "\n" + x.call("stats") + x.call("show");
                assertTrue(pmtu.output().contains("mtu 1450"), "the sender learnt the overlay's MTU from xvio's ICMP\n" + ctxMtu);
                assertTrue(x.counter("vx0", "icmp_too_big_sent") >= 1, ctxMtu);
                assertTrue(x.call("show").contains("over the underlay MTU 1500"), x.call("show"));
                NetLab.ok("ip", "-n", nsC, "link", "set", c1, "mtu", "1450");

                String routes = x.call("tnl", "routes"), neigh = x.call("tnl", "neigh");
                assertTrue(routes.contains("172.31.0.0/24") && routes.contains("br-phy"), routes);
                assertTrue(neigh.contains("172.31.0.2"), neigh);

                // tnl neigh set (OVS's tnl/neigh/set): the kernel stops answering ARP and xvio forgets its neighbours;
                // a static entry alone carries the encapsulated frames to the kernel's MAC, and a gratuitous ARP with
                // another MAC does not move it
                NetLab.ok("ip", "netns", "exec", nsK, "sysctl", "-qw", "net.ipv4.conf." + u1 + ".arp_ignore=8");
                x.call("tnl", "neigh", "flush", "br-phy");
                assertEquals(-1, x.call("tnl", "neigh").indexOf("02:31:00:00:00:99"), x.call("tnl", "neigh"));
                x.call("tnl", "neigh", "set", "br-phy", "172.31.0.2", "02:31:00:00:00:99");
                NetLab.Result stat = lab.exec(nsC, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.200.0.2");
                String ctxS = stat.output() + x.call("tnl", "neigh") + x.call("show") + x.call("stats");
                assertTrue(stat.output().contains("5 packets transmitted, 5 packets received"), "over a static neighbour, no ARP answered\n" + ctxS);
                assertTrue(x.call("tnl", "neigh").lines().anyMatch(l -> l.matches("172\\.31\\.0\\.2 +02:31:00:00:00:99 +permanent +STATIC +br-phy")), ctxS);
                NetLab.ok("ip", "-n", nsK, "link", "set", u1, "address", "02:31:00:00:00:98");   // arp_notify=1: a gratuitous ARP
                Thread.sleep(1000);                                                               // five ticks of the tunnel timer
                assertTrue(x.call("tnl", "neigh").contains("02:31:00:00:00:99  permanent"), "ARP does not change a static entry\n" + x.call("tnl", "neigh"));
                assertTrue(x.call("show").contains("dst=02:31:00:00:00:99"), x.call("show"));
                String refused = assertThrows(java.io.IOException.class, () -> x.call("tnl", "neigh", "set", "br-int", "172.31.0.2", "02:31:00:00:00:99")).getMessage();
                assertTrue(refused.contains("bridge br-int has no tunnel endpoint"), refused);
            }
        }
    }

    /** The same overlay over an IPv6 underlay (fd00:31::1 / fd00:31::2): xvio answers the kernel's neighbour solicitations and solicits itself. */
    @Test
    void overAnIpv6Underlay(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String nsX = lab.netns(), nsK = lab.netns(), nsC = lab.netns();
            String u0 = lab.name("vu"), u1 = lab.name("vu"), c0 = lab.name("vc"), c1 = lab.name("vc");
            lab.veth(u0, u1);
            lab.veth(c0, c1);
            lab.move(u0, nsX);
            lab.move(c0, nsX);
            lab.move(u1, nsK);
            lab.move(c1, nsC);
            lab.up(nsX, u0);
            lab.up(nsX, c0);
            NetLab.ok("ip", "netns", "exec", nsK, "sysctl", "-qw", "net.ipv6.conf." + u1 + ".disable_ipv6=0");
            NetLab.ok("ip", "-n", nsK, "addr", "add", "fd00:31::2/64", "dev", u1, "nodad");
            lab.up(nsK, u1);
            NetLab.ok("ip", "-n", nsK, "link", "add", "vx100", "type", "vxlan", "id", "100", "remote", "fd00:31::1",
                    "local", "fd00:31::2", "dstport", "4789", "dev", u1);
            lab.quietIpv6(nsK, "vx100");
            NetLab.ok("ip", "-n", nsK, "link", "set", "vx100", "mtu", "1430");
            lab.address(nsK, "vx100", "10.200.0.2/24");
            NetLab.ok("ip", "-n", nsC, "link", "set", c1, "mtu", "1430");
            lab.address(nsC, c1, "10.200.0.1/24");
            String yaml = """
                    pmd-idle: adaptive
                    bridges:
                      br-int:
                        ports:
                          c0: {type: afpacket, device: %s, ofport: 1}
                          vx0: {type: vxlan, remote_ip: "fd00:31::2", key: 100, ofport: 10}
                        flows:
                          - "priority=10,in_port=1,actions=output:10"
                          - "priority=10,in_port=10,tun_id=100,tun_ipv6_src=fd00:31::2,actions=output:1"
                      br-phy:
                        ip: "fd00:31::1/64"
                        ports:
                          up0: {type: afpacket, device: %s, ofport: 1}
                    """.formatted(c0, u0);
            try (XvioDaemon x = XvioDaemon.startIn(nsX, dir, yaml)) {
                UplinkPortsIT.awaitStatus(x, "vx0", "up", Duration.ofSeconds(20));
                NetLab.Result ping = lab.exec(nsC, "busybox", "ping", "-c", "10", "-i", "0.2", "-W", "2", "10.200.0.2");
                String ctx = ping.output() + "\n" + x.call("stats") + "\n" + x.call("show") + x.call("tnl", "neigh") + x.log();
                assertTrue(ping.output().contains("10 packets transmitted, 10 packets received"), "over IPv6, 0% loss\n" + ctx);
                NetLab.Result big = lab.exec(nsC, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "1402", "10.200.0.2");
                assertTrue(big.output().contains("3 packets transmitted, 3 packets received"), "1430-byte overlay packets (+70 of IPv6 outer headers)\n" + big.output() + x.call("stats"));
                assertTrue(x.call("tnl", "neigh").contains("fd00:31::2"), x.call("tnl", "neigh"));
                // 1 MiB kernel -> client: UDP-tunnel GSO frames over IPv6 (with outer UDP checksums) cut by the uplink
                NamespaceTcp.Transfer t = NamespaceTcp.send(lab, nsC, nsK, "10.200.0.1", 5003, dir.resolve("srv6.txt"));
                assertTrue(t.intact(), "1 MiB over VXLAN/IPv6: " + t.describe() + "\n" + x.call("stats"));
                assertFalse(x.call("stats").contains("gso: headers not segmentable"), x.call("stats"));
            }
        }
    }
}
