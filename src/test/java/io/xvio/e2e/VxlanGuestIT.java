package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A QEMU guest on a VXLAN overlay, the Linux kernel's VXLAN device the other VTEP (issue 16's first test):
 * <pre>
 *  guest g: eth0 10.200.0.1/24 (mtu 1450) --vhost-user-- br-int (NORMAL) [vh1, vx0: vxlan remote 172.31.0.2 key 100]
 *  xvio ns:                                              br-phy [ip 172.31.0.1/24, up0 --afpacket-- u0]
 *     | veth (the underlay)
 *  kernel ns: u1 172.31.0.2/24; vx100: vxlan id 100 remote 172.31.0.1, 10.200.0.2/24
 *                               vx200: vxlan id 200 remote 172.31.0.1, 10.201.0.2/24
 * </pre>
 * One daemon and one guest for every check: the guest pings the kernel's overlay address with 0 % loss (and the kernel
 * the guest), 1 MiB goes each way over TCP (busybox nc) with equal SHA-256, and VNI 200 is isolated: the guest, given
 * an address in VNI 200's subnet too, reaches nothing there, the kernel's VNI 200 frames are counted decapsulation
 * drops. Needs root, QEMU and a guest kernel.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.UplinkPortsIT#enabled")
class VxlanGuestIT {
    static final Duration BOOT = Duration.ofSeconds(150), CMD = Duration.ofSeconds(60);

    @Test
    void aGuestReachesTheKernelsVxlanDeviceAcrossTheTunnel(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String nsX = lab.netns(), nsK = lab.netns();
            String u0 = lab.name("vu"), u1 = lab.name("vu");
            lab.veth(u0, u1);
            lab.move(u0, nsX);
            lab.move(u1, nsK);
            lab.up(nsX, u0);
            lab.address(nsK, u1, "172.31.0.2/24");
            // without arp_ignore the kernel answers ARP for 10.201.0.2 arriving on VNI 100 (any local address)
            NetLab.ok("ip", "netns", "exec", nsK, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1");
            for (int vni : new int[] {100, 200}) {
                String vx = "vx" + vni;
                NetLab.ok("ip", "-n", nsK, "link", "add", vx, "type", "vxlan", "id", "" + vni, "remote", "172.31.0.1",
                        "local", "172.31.0.2", "dstport", "4789", "dev", u1);
                lab.quietIpv6(nsK, vx);
                lab.address(nsK, vx, (vni == 100 ? "10.200.0.2" : "10.201.0.2") + "/24");
            }
            String yaml = """
                    pmd-idle: adaptive
                    bridges:
                      br-int:
                        ports:
                          vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1}
                          vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10}
                        flows:
                          - "priority=0,actions=NORMAL"
                      br-phy:
                        ip: 172.31.0.1/24
                        ports:
                          up0: {type: afpacket, device: %s, ofport: 1}
                    """.formatted(dir, u0);
            try (XvioDaemon x = XvioDaemon.startIn(nsX, dir, yaml);
                 QemuGuest g = QemuGuest.builder(dir.resolve("g1.sock")).name("vxg").mac("52:54:00:00:c8:01")
                         .ip("10.200.0.1/24").mtu(1450).serve().workDir(dir.resolve("g")).start()) {
                UplinkPortsIT.awaitStatus(x, "vx0", "up", Duration.ofSeconds(20));
                g.waitForReady(BOOT);

                QemuGuest.PingResult ping = g.ping("10.200.0.2", 20, 0.2, CMD);
                String ctx = ping + "\n" + x.call("stats") + "\n" + x.call("show") + "\n" + x.log();
                assertEquals(20, ping.sent(), ctx);
                assertEquals(0, ping.lost(), "guest -> kernel VTEP over VXLAN, 0% loss\n" + ctx);
                NetLab.Result back = lab.exec(nsK, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", "10.200.0.1");
                assertTrue(back.output().contains("5 packets transmitted, 5 packets received"), "kernel -> guest\n" + back.output());
                // the largest frame the 1450-byte overlay MTU carries
                QemuGuest.ExecResult big = g.exec("ping -c 3 -i 0.2 -W 2 -s 1422 10.200.0.2", CMD);
                assertTrue(big.output().contains("3 packets transmitted, 3 packets received"), big.output() + "\n" + x.call("stats"));
                assertTrue(x.counter("vx0", "tx_packets") >= 28 && x.counter("vx0", "rx_packets") >= 28, x.call("stats"));

                // 1 MiB guest -> kernel namespace over TCP, compared by SHA-256
                Path up = dir.resolve("up.bin");
                Process rx = new ProcessBuilder("ip", "netns", "exec", nsK, "busybox", "nc", "-l", "-p", "5001")
                        .redirectOutput(up.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try (OutputStream keepStdinOpen = rx.getOutputStream()) {   // nc half-closes on stdin EOF
                    UplinkPortsIT.awaitListening(() -> lab.exec(nsK, "busybox", "netstat", "-ltn").output(), 5001);
                    QemuGuest.ExecResult send = g.exec("dd if=/dev/urandom of=/tmp/up.bin bs=1024 count=1024 2>/dev/null; "
                            + "sha256sum /tmp/up.bin; nc 10.200.0.2 5001 < /tmp/up.bin; echo nc-rc=$?", Duration.ofSeconds(180));
                    assertTrue(rx.waitFor(60, TimeUnit.SECONDS), "receiver in the kernel namespace did not finish: "
                            + Files.size(up) + " bytes\n" + x.call("stats"));
                    assertTrue(send.output().contains("nc-rc=0"), send.output());
                    assertEquals(1 << 20, Files.size(up), send.output() + "\n" + x.call("stats"));
                    assertEquals(UplinkPortsIT.guestHash(send.output()), UplinkPortsIT.sha256(up), "guest -> kernel over VXLAN intact");
                } finally {
                    rx.destroyForcibly();
                }

                // 1 MiB kernel namespace -> guest: the kernel's VXLAN device hands the veth UDP-tunnel GSO frames,
                // the afpacket uplink cuts them before decapsulation
                Path down = dir.resolve("down.bin");
                byte[] data = new byte[1 << 20];
                new Random(16).nextBytes(data);
                Files.write(down, data);
                g.exec("sleep 600 | nc -l -p 5002 > /tmp/down.bin &", CMD);
                UplinkPortsIT.awaitListening(() -> g.exec("netstat -ltn", CMD).output(), 5002);
                NetLab.Result sent = UplinkPortsIT.runWithInput(lab, nsK, down, "busybox", "nc", "10.200.0.1", "5002");
                assertEquals(0, sent.rc(), sent.output());
                QemuGuest.ExecResult sum = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    sum = g.exec("wc -c < /tmp/down.bin; sha256sum /tmp/down.bin", CMD);
                    if (sum.output().contains("1048576")) break;
                    Thread.sleep(500);
                }
                assertTrue(sum.output().contains("1048576"), sum.output() + "\n" + x.call("stats"));
                assertEquals(UplinkPortsIT.sha256(down), UplinkPortsIT.guestHash(sum.output()), "kernel -> guest over VXLAN intact");
                assertTrue(x.counter("up0", "rx_gso_frames") > 0, x.call("stats"));
                assertFalse(x.call("stats").contains("gso: headers not segmentable"), x.call("stats"));

                // VNI 200 is isolated: the guest gets an address in its subnet and still reaches nothing there (its
                // ARP leaves on VNI 100, where the kernel does not answer for 10.201.0.2), and the kernel's frames
                // on VNI 200 are dropped at decapsulation, counted
                assertEquals(0, g.exec("ip addr add 10.201.0.1/24 dev eth0", CMD).rc());
                QemuGuest.PingResult other = g.ping("10.201.0.2", 3, 0.2, CMD);
                assertEquals(3, other.sent(), other.toString());
                assertEquals(0, other.received(), "guest must not reach VNI 200\n" + other);
                NetLab.Result fromOther = lab.exec(nsK, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", "-w", "3", "10.201.0.1");
                assertTrue(fromOther.output().contains(" 0 packets received"), fromOther.output());
                String stats = x.call("stats");
                Matcher m = Pattern.compile("decap: VNI of no tunnel port=(\\d+)").matcher(stats);
                assertTrue(m.find() && Long.parseLong(m.group(1)) >= 1, "VNI 200 frames counted on br-phy's endpoint\n" + stats);
                // ... while VNI 100 still works
                assertEquals(0, g.ping("10.200.0.2", 3, 0.2, CMD).lost(), x.call("stats"));
            }
        }
    }
}
