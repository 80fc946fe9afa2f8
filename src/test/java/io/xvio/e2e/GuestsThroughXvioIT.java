package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real Linux guests (Debian kernel, virtio_net driver, QEMU TCG) attached to xvio over vhost-user: they ping
 * each other through xvio, with one and two queue pairs, across a guest being replaced and across an xvio
 * restart while client-mode QEMUs keep running.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.GuestsThroughXvioIT#enabled")
class GuestsThroughXvioIT {
    static final Duration BOOT = Duration.ofSeconds(120);

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available();
    }

    static String config(Path dir, String mode) {
        return """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, mode: %s, ofport: 1}
                      vh2: {type: vhostuser, path: %s/g2.sock, mode: %s, ofport: 2}
                """.formatted(dir, mode, dir, mode);
    }

    @Test
    void twoGuestsPingEachOtherWithoutLoss(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, "server"));
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("a").mac("52:54:00:00:00:01")
                     .ip("10.0.0.1/24").serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("b").mac("52:54:00:00:00:02")
                     .ip("10.0.0.2/24").serve().workDir(dir.resolve("b")).start()) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            QemuGuest.PingResult ab = a.ping("10.0.0.2", 20, 0.1, Duration.ofSeconds(60));
            QemuGuest.PingResult ba = b.ping("10.0.0.1", 20, 0.1, Duration.ofSeconds(60));
            String ctx = ab + " " + ba + "\n" + xvio.call("stats") + xvio.log();
            assertEquals(20, ab.sent(), ctx);
            assertEquals(0, ab.lost(), ctx);
            assertEquals(0, ba.lost(), ctx);
            // the learning switch learned both guests, and xvio counted the echo traffic on both ports
            String fdb = xvio.call("fdb/show", "br0");
            assertTrue(fdb.contains("52:54:00:00:00:01") && fdb.contains("52:54:00:00:00:02"), fdb);
            assertTrue(xvio.counter("vh1", "rx_packets") >= 40 && xvio.counter("vh2", "tx_packets") >= 40, ctx);
        }
    }

    @Test
    void multiqueueGuestsUseTwoQueuePairs(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, "server"));
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("mqa").ip("10.0.1.1/24").multiqueue()
                     .serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("mqb").ip("10.0.1.2/24").multiqueue()
                     .serve().workDir(dir.resolve("b")).start()) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            a.waitFor("^XVIO-QUEUES rx=2 tx=2\n", Duration.ofSeconds(5));
            // the guest driver enabled both pairs on xvio: 4 running queues on each port
            String show = xvio.call("show");
            assertTrue(show.matches("(?s).*vh1.*running_queues: 0\\(size \\d+\\) 1\\(size \\d+\\) 2\\(size \\d+\\) 3\\(size \\d+\\).*vh2.*"), show);
            assertTrue(show.matches("(?s).*vh2.*running_queues: 0\\(size \\d+\\) 1\\(size \\d+\\) 2\\(size \\d+\\) 3\\(size \\d+\\).*"), show);
            long droppedBefore = xvio.counter("vh1", "dropped") + xvio.counter("vh2", "dropped");
            // traffic sent from both vCPUs (taskset) rides both queue pairs
            QemuGuest.ExecResult r = a.exec("taskset 1 ping -c 10 -i 0.1 -W 2 10.0.1.2 | tail -2; taskset 2 ping -c 10 -i 0.1 -W 2 10.0.1.2 | tail -2",
                    Duration.ofSeconds(60));
            assertEquals(2, r.output().split("10 packets transmitted, 10 packets received", -1).length - 1, r.output() + "\n" + xvio.call("stats"));
            assertEquals(droppedBefore, xvio.counter("vh1", "dropped") + xvio.counter("vh2", "dropped"), xvio.call("stats"));
        }
    }

    @Test
    void aNewGuestOnTheSamePortWorksAfterTheOldOneShutsDown(@TempDir Path dir) throws Exception {
        try (XvioDaemon xvio = XvioDaemon.start(dir, config(dir, "server"));
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("a").ip("10.0.2.1/24").serve()
                     .workDir(dir.resolve("a")).start()) {
            a.waitForReady(BOOT);
            try (QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("b").ip("10.0.2.2/24")
                    .peer("10.0.2.1").ping(5, 0.2).waitPeer(60).workDir(dir.resolve("b")).start()) {
                QemuGuest.PingResult r = b.waitForPing(BOOT);
                assertEquals(0, r.lost(), b::console);
                assertEquals(0, b.waitForExit(Duration.ofSeconds(60)), "first guest powered off");
            }
            assertTrue(xvio.awaitLog("port vh2: disconnected", Duration.ofSeconds(10)), xvio.log());
            try (QemuGuest b2 = QemuGuest.builder(dir.resolve("g2.sock")).name("b2").ip("10.0.2.3/24")
                    .peer("10.0.2.1").ping(5, 0.2).waitPeer(60).workDir(dir.resolve("b2")).start()) {
                QemuGuest.PingResult r = b2.waitForPing(BOOT);
                assertEquals(0, r.lost(), () -> b2.console() + "\n" + xvio.log());
            }
            assertEquals(2, xvio.log().split("port vh2: front-end connected", -1).length - 1, xvio.log());
        }
    }

    @Test
    void trafficResumesAfterXvioRestartsUnderRunningClientModeGuests(@TempDir Path dir) throws Exception {
        Path xdir1 = dir.resolve("x1"), xdir2 = dir.resolve("x2");
        java.nio.file.Files.createDirectories(xdir1);
        java.nio.file.Files.createDirectories(xdir2);
        try (QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("a").ip("10.0.3.1/24").qemuServer(true)
                     .serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("b").ip("10.0.3.2/24").qemuServer(true)
                     .serve().workDir(dir.resolve("b")).start()) {
            try (XvioDaemon xvio = XvioDaemon.start(xdir1, config(dir, "client"))) {
                a.waitForReady(BOOT);
                b.waitForReady(BOOT);
                QemuGuest.PingResult r = a.ping("10.0.3.2", 5, 0.2, Duration.ofSeconds(60));
                assertEquals(0, r.lost(), () -> r + "\n" + xvio.log());
                assertEquals(0, xvio.stop(), "xvio exits cleanly on SIGTERM\n" + xvio.log());
                assertTrue(xvio.log().contains("xvio stopped"), xvio.log());
            }
            assertTrue(a.isAlive() && b.isAlive(), "the guests keep running without their switch");
            try (XvioDaemon xvio = XvioDaemon.start(xdir2, config(dir, "client"))) {
                assertTrue(xvio.awaitLog("port vh2: memory table", Duration.ofSeconds(30)), xvio.log());
                QemuGuest.PingResult r = a.ping("10.0.3.2", 10, 0.2, Duration.ofSeconds(60));
                assertTrue(r.received() >= 9, () -> r + "\n" + xvio.log() + "\n" + a.consoleTail(3000));
                QemuGuest.PingResult back = b.ping("10.0.3.1", 5, 0.2, Duration.ofSeconds(60));
                assertEquals(0, back.lost(), () -> back + "\n" + xvio.log());
            }
        }
    }
}
