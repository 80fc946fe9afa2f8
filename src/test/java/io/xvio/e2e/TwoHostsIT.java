package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
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
 * Two "hosts" (network namespaces this test makes), each running its own xvio daemon with a NORMAL bridge, a
 * QEMU guest on a vhost-user port and an {@code afpacket} uplink; the uplinks are the two ends of one veth
 * pair, the "wire" between the hosts. The guests, on different hosts, ping each other and stream over TCP.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.UplinkPortsIT#enabled")
class TwoHostsIT {
    private static final Duration BOOT = Duration.ofSeconds(120);
    private final NetLab lab = new NetLab();

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    private static String config(Path dir, String guestSocket, String uplink) {
        return """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/%s, ofport: 1}
                      wire: {type: afpacket, device: %s, ofport: 2}
                """.formatted(dir, guestSocket, uplink);
    }

    @Test
    void guestsOnTwoHostsJoinedByAVethTalkThroughTheirXvios(@TempDir Path dir) throws Exception {
        String hostA = lab.netns(), hostB = lab.netns();
        String a = lab.name("xwa"), b = lab.name("xwb");
        lab.veth(a, b);
        lab.move(a, hostA);
        lab.move(b, hostB);
        lab.up(hostA, a);
        lab.up(hostB, b);
        Path da = Files.createDirectories(dir.resolve("a")), db = Files.createDirectories(dir.resolve("b"));
        try (XvioDaemon xa = XvioDaemon.startIn(hostA, da, config(da, "g.sock", a));
             XvioDaemon xb = XvioDaemon.startIn(hostB, db, config(db, "g.sock", b));
             QemuGuest ga = QemuGuest.builder(da.resolve("g.sock")).name("ga").mac("52:54:00:00:93:01").ip("10.93.0.1/24")
                     .serve().workDir(da.resolve("guest")).start();
             QemuGuest gb = QemuGuest.builder(db.resolve("g.sock")).name("gb").mac("52:54:00:00:93:02").ip("10.93.0.2/24")
                     .serve().workDir(db.resolve("guest")).start()) {
            // each xvio found its end of the wire inside its own namespace
            UplinkPortsIT.awaitStatus(xa, "wire", "up", Duration.ofSeconds(10));
            UplinkPortsIT.awaitStatus(xb, "wire", "up", Duration.ofSeconds(10));
            ga.waitForReady(BOOT);
            gb.waitForReady(BOOT);

            QemuGuest.PingResult ab = ga.ping("10.93.0.2", 20, 0.2, Duration.ofSeconds(60));
            QemuGuest.PingResult ba = gb.ping("10.93.0.1", 20, 0.2, Duration.ofSeconds(60));
            String ctx = "A -> B " + ab + ", B -> A " + ba + "\nhost A:\n" + xa.call("stats") + "\nhost B:\n" + xb.call("stats");
            assertEquals(20, ab.sent(), ctx);
            assertEquals(0, ab.lost(), "guest A -> guest B across the wire: 0% loss\n" + ctx);
            assertEquals(0, ba.lost(), "guest B -> guest A: 0% loss\n" + ctx);
            // the largest payload a 1500-byte MTU carries, both ways
            assertTrue(ga.exec("ping -c 5 -i 0.2 -W 2 -s 1472 10.93.0.2", Duration.ofSeconds(60)).output()
                    .contains("5 packets transmitted, 5 packets received"), ctx);
            // the traffic really crossed the wire: host A's uplink sent and host B's received
            assertTrue(xa.counter("wire", "tx_packets") >= 25 && xb.counter("wire", "rx_packets") >= 25, ctx);

            // 1 MiB guest A -> guest B over TCP, compared by SHA-256
            assertEquals(0, gb.exec("sleep 600 | nc -l -p 5003 > /tmp/in.bin &", Duration.ofSeconds(30)).rc());
            awaitListening(gb, 5003);
            QemuGuest.ExecResult send = ga.exec("dd if=/dev/urandom of=/tmp/out.bin bs=1024 count=1024 2>/dev/null; "
                    + "sha256sum /tmp/out.bin; nc 10.93.0.2 5003 < /tmp/out.bin; echo nc-rc=$?", Duration.ofSeconds(180));
            assertTrue(send.output().contains("nc-rc=0"), send.output());
            QemuGuest.ExecResult got = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                got = gb.exec("wc -c < /tmp/in.bin; sha256sum /tmp/in.bin", Duration.ofSeconds(30));
                if (got.output().contains("1048576")) break;
                Thread.sleep(500);
            }
            String streamCtx = got.output() + "\nhost A:\n" + xa.call("stats") + "\nhost B:\n" + xb.call("stats");
            assertTrue(got.output().contains("1048576"), "guest B received all of it\n" + streamCtx);
            assertEquals(hash(send.output()), hash(got.output()), "stream intact across two xvios and the wire\n" + streamCtx);
            assertEquals(0, xa.stop(), "host A's xvio stops cleanly");
            assertEquals(0, xb.stop(), "host B's xvio stops cleanly");
        }
    }

    private static void awaitListening(QemuGuest g, int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = g.exec("netstat -ltn", Duration.ofSeconds(30)).output();
            if (out.contains(":" + port + " ")) return;
            Thread.sleep(200);
        }
        fail("nothing listens on port " + port + " in guest " + g.name() + ":\n" + out);
    }

    private static String hash(String output) {
        Matcher m = Pattern.compile("\\b([0-9a-f]{64})\\s").matcher(output);
        assertTrue(m.find(), "no sha256 in: " + output);
        return m.group(1);
    }
}
