package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
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
 * A relay between a real Linux guest (QEMU, TCG) and an afxdp veth whose peer is in a namespace: ping both ways with
 * no loss and 1 MiB over TCP each way, compared by SHA-256 (migration to a second relay: {@link RelayMigrationIT}).
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.RelayGuestIT#enabled")
class RelayGuestIT {
    private final NetLab lab = new NetLab();

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available() && NetLab.available();
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    @Test
    void aGuestBehindARelayPingsAndStreamsToANamespaceBothWays(@TempDir Path dir) throws Exception {
        String ns = lab.netns();
        String a = lab.name("xga"), b = lab.name("xgb");
        lab.veth(a, b);
        lab.move(b, ns);
        // AF_XDP carries no checksum or GSO state: the namespace hands its veth MTU-sized frames with full checksums
        NetLab.ok("ip", "-n", ns, "link", "set", b, "gso_max_segs", "1");
        lab.exec(ns, "ethtool", "-K", b, "tx", "off", "tso", "off", "gso", "off");
        lab.address(ns, b, "10.93.0.2/24");
        lab.up(null, a);
        String yaml = """
                pmd-idle: adaptive
                relays:
                  g1: {vhost: {path: %s/g1.sock}, vf: {device: %s, type: afxdp}}
                """.formatted(dir, a);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             QemuGuest g = QemuGuest.builder(dir.resolve("g1.sock")).name("g").mac("52:54:00:00:93:01").ip("10.93.0.1/24")
                     .serve().workDir(dir.resolve("g")).start()) {
            g.waitForReady(UplinkPortsIT.BOOT);
            NetLab.Result p = lab.exec(ns, "busybox", "ping", "-c", "20", "-i", "0.2", "-W", "2", "10.93.0.1");
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(p.output());
            assertTrue(m.find(), p.output());
            String ctx = xvio.call("show-relays") + xvio.log();
            assertEquals("20", m.group(2), "namespace -> guest: 0% loss\n" + p.output() + ctx);
            QemuGuest.PingResult fromGuest = g.ping("10.93.0.2", 20, 0.2, Duration.ofSeconds(60));
            assertEquals(0, fromGuest.lost(), "guest -> namespace: 0% loss\n" + fromGuest + xvio.call("show-relays"));

            // 1 MiB guest -> namespace
            Path up = dir.resolve("up.bin");
            Process rx = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "nc", "-l", "-p", "5001")
                    .redirectOutput(up.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream keepStdinOpen = rx.getOutputStream()) {
                UplinkPortsIT.awaitListening(() -> lab.exec(ns, "busybox", "netstat", "-ltn").output(), 5001);
                QemuGuest.ExecResult send = g.exec("dd if=/dev/urandom of=/tmp/up.bin bs=1024 count=1024 2>/dev/null; "
                        + "sha256sum /tmp/up.bin; nc 10.93.0.2 5001 < /tmp/up.bin; echo nc-rc=$?", Duration.ofSeconds(180));
                assertTrue(rx.waitFor(60, TimeUnit.SECONDS), "receiver did not finish: " + Files.size(up) + " bytes\n" + xvio.call("show-relays"));
                assertTrue(send.output().contains("nc-rc=0"), send.output());
                assertEquals(1 << 20, Files.size(up), send.output() + "\n" + xvio.call("show-relays"));
                assertEquals(UplinkPortsIT.guestHash(send.output()), UplinkPortsIT.sha256(up), "guest -> namespace stream intact");
            } finally {
                rx.destroyForcibly();
            }

            // 1 MiB namespace -> guest
            Path down = dir.resolve("down.bin");
            byte[] data = new byte[1 << 20];
            new Random(22).nextBytes(data);
            Files.write(down, data);
            g.exec("sleep 600 | nc -l -p 5002 > /tmp/down.bin &", Duration.ofSeconds(30));
            UplinkPortsIT.awaitListening(() -> g.exec("netstat -ltn", Duration.ofSeconds(30)).output(), 5002);
            NetLab.Result sent = UplinkPortsIT.runWithInput(lab, ns, down, "busybox", "nc", "10.93.0.1", "5002");
            assertEquals(0, sent.rc(), sent.output());
            QemuGuest.ExecResult sum = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                sum = g.exec("wc -c < /tmp/down.bin; sha256sum /tmp/down.bin", Duration.ofSeconds(30));
                if (sum.output().contains("1048576")) break;
                Thread.sleep(500);
            }
            assertTrue(sum.output().contains("1048576"), sum.output() + "\n" + xvio.call("show-relays"));
            assertEquals(UplinkPortsIT.sha256(down), UplinkPortsIT.guestHash(sum.output()), "namespace -> guest stream intact");
            String relays = xvio.call("show-relays");
            assertTrue(relays.matches("(?s).*vm-to-vf: packets=\\d{3,} .*vf-to-vm: packets=\\d{3,} .*"), relays);
            assertEquals(0, xvio.stop(), xvio.log());
        }
    }
}
