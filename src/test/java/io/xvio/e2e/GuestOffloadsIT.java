package io.xvio.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real Linux guests with checksum and TCP segmentation offloads over xvio (issue 19, first stage): TCP transfers
 * between QEMU TCG guests (busybox nc, 8 MB of random bytes), checked as a user would: the receiver's sha256 equals
 * the sender's, no guest counted a TCP checksum error (TcpInCsumErrors), and xvio's `show`/`stats` tell how the
 * frames went. Guests a and b negotiate every offload (a's 64 KB TSO frames reach b whole); guest c is started
 * with every offload off, so what a sends it is cut into MTU-sized segments and checksummed by xvio. The three
 * guests and the daemon are shared by the cases.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.GuestOffloadsIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestOffloadsIT {
    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration XFER = Duration.ofSeconds(240);
    static final String[] NO_OFFLOADS = {"csum", "guest_csum", "host_tso4", "host_tso6", "host_ecn", "guest_tso4", "guest_tso6", "guest_ecn"};

    private Path dir;
    private XvioDaemon xvio;
    private QemuGuest a, b, c;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available();
    }

    @BeforeAll
    void start() throws Exception {
        dir = QemuGuest.newTempDir("offl");
        xvio = XvioDaemon.start(dir, """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %1$s/g1.sock, ofport: 1, offloads: true}
                      vh2: {type: vhostuser, path: %1$s/g2.sock, ofport: 2, offloads: true}
                      vh3: {type: vhostuser, path: %1$s/g3.sock, ofport: 3, offloads: true}
                """.formatted(dir));
        a = QemuGuest.builder(dir.resolve("g1.sock")).name("offa").mac("52:54:00:00:19:01").ip("10.0.19.1/24")
                .serve().workDir(dir.resolve("a")).start();
        b = QemuGuest.builder(dir.resolve("g2.sock")).name("offb").mac("52:54:00:00:19:02").ip("10.0.19.2/24")
                .serve().workDir(dir.resolve("b")).start();
        QemuGuest.Builder cb = QemuGuest.builder(dir.resolve("g3.sock")).name("offc").mac("52:54:00:00:19:03").ip("10.0.19.3/24")
                .serve().workDir(dir.resolve("c"));
        for (String o : NO_OFFLOADS) cb.deviceOption(o, "off");
        c = cb.start();
        a.waitForReady(BOOT);
        b.waitForReady(BOOT);
        c.waitForReady(BOOT);
        // random data once, in a
        QemuGuest.ExecResult r = a.exec("dd if=/dev/urandom of=/tmp/data bs=64k count=128 2>/dev/null && sha256sum /tmp/data", Duration.ofSeconds(120));
        assertEquals(0, r.rc(), r.output());
    }

    @AfterAll
    void stop() {
        for (AutoCloseable x : new AutoCloseable[] {a, b, c, xvio}) {
            try {
                if (x != null) x.close();
            } catch (Exception ignored) {
                // best effort: the rest still gets closed
            }
        }
        QemuGuest.deleteTree(dir);
    }

    @Test
    void showListsTheOffloadsEachGuestNegotiated() throws Exception {
        String show = xvio.call("show");
        String vh1 = block(show, "vh1"), vh3 = block(show, "vh3");
        for (String f : new String[] {"CSUM", "GUEST_CSUM", "GUEST_TSO4", "GUEST_TSO6", "HOST_TSO4", "HOST_TSO6"})
            assertTrue(vh1.matches("(?s).*offloads: [A-Z0-9_ ]*\\b" + f + "\\b.*"), f + " on vh1:\n" + show);
        assertTrue(vh3.contains("offloads: none negotiated"), show);
    }

    @Test
    void tcpFromAnOffloadingGuestReachesAnotherWholeAndIntact() throws Exception {
        long whole = xvio.counter("vh2", "tx_gso_whole");
        transfer(a, b, "10.0.19.2", 5001);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("vh2", "tx_gso_whole") > whole, "large frames went to b whole:\n" + stats);
        assertEquals(0, xvio.counter("vh2", "tx_gso_segmented"), "nothing was cut for a guest that takes TSO:\n" + stats);
    }

    @Test
    void tcpFromAnOffloadingGuestToOneWithoutOffloadsIsSegmentedAndChecksummed() throws Exception {
        long seg = xvio.counter("vh3", "tx_gso_segmented"), done = xvio.counter("vh3", "tx_csum_completed");
        transfer(a, c, "10.0.19.3", 5002);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("vh3", "tx_gso_segmented") > seg, "a's TSO frames were cut for c:\n" + stats);
        assertTrue(xvio.counter("vh3", "tx_gso_segments") > xvio.counter("vh3", "tx_gso_segmented"), stats);
        assertTrue(xvio.counter("vh3", "tx_csum_completed") >= done, stats);
        assertEquals(0, xvio.counter("vh3", "tx_dropped(gso: not segmentable)"), stats);
    }

    @Test
    void tcpFromAGuestWithoutOffloadsReachesAnOffloadingGuest() throws Exception {
        QemuGuest.ExecResult r = c.exec("dd if=/dev/urandom of=/tmp/data bs=64k count=32 2>/dev/null && echo ok", Duration.ofSeconds(60));
        assertEquals(0, r.rc(), r.output());
        transfer(c, b, "10.0.19.2", 5003);
    }

    /** Sends /tmp/data from `from` to `to` over TCP (busybox nc) and checks sha256 and TCP checksum errors. */
    private void transfer(QemuGuest from, QemuGuest to, String toIp, int port) throws Exception {
        long errFrom = tcpInCsumErrors(from), errTo = tcpInCsumErrors(to);
        String doneMark = "XVIO-RECV-DONE-" + port;
        int mark = to.consoleMark();
        // the listener's stdin must not end (busybox nc shuts its sending half on stdin EOF, and the sender's nc
        // stops when it sees that): a sleep feeds it nothing until the sender closes; the mark follows nc, not
        // the sleep
        QemuGuest.ExecResult l = to.exec("rm -f /tmp/recv; sleep 600 | (nc -l -p " + port + " > /tmp/recv; echo " + doneMark + ") &",
                Duration.ofSeconds(30));
        assertEquals(0, l.rc(), l.output());
        Thread.sleep(500);
        QemuGuest.ExecResult s = from.exec("nc -w 10 " + toIp + " " + port + " < /tmp/data; echo sent", XFER);
        to.waitFor(Pattern.compile("^" + doneMark, Pattern.MULTILINE), mark, XFER);
        String ctx = s.output() + "\n" + xvio.call("stats");
        String sent = sha(from, "/tmp/data"), got = sha(to, "/tmp/recv");
        assertEquals(sent, got, "the receiver got the sender's bytes\n" + ctx);
        assertEquals(errFrom, tcpInCsumErrors(from), "TcpInCsumErrors in " + from.name() + "\n" + ctx);
        assertEquals(errTo, tcpInCsumErrors(to), "TcpInCsumErrors in " + to.name() + "\n" + ctx);
        assertEquals(0, errTo, "TcpInCsumErrors in " + to.name());
    }

    private static String sha(QemuGuest g, String file) {
        QemuGuest.ExecResult r = g.exec("sha256sum " + file, Duration.ofSeconds(60));
        Matcher m = Pattern.compile("\\b([0-9a-f]{64})\\s+" + Pattern.quote(file)).matcher(r.output());
        assertTrue(m.find(), g.name() + ": " + r.output());
        return m.group(1);
    }

    /** The InCsumErrors column of the Tcp: lines in /proc/net/snmp. */
    static long tcpInCsumErrors(QemuGuest g) {
        QemuGuest.ExecResult r = g.exec("grep '^Tcp:' /proc/net/snmp", Duration.ofSeconds(30));
        String[] lines = r.output().strip().split("\n");
        assertEquals(2, lines.length, r.output());
        String[] names = lines[0].trim().split("\\s+"), values = lines[1].trim().split("\\s+");
        for (int i = 0; i < names.length; i++) if (names[i].equals("InCsumErrors")) return Long.parseLong(values[i]);
        throw new AssertionError("no InCsumErrors in " + r.output());
    }

    private static String block(String show, String port) {
        int at = show.indexOf(": " + port + " type=");
        assertTrue(at >= 0, show);
        int end = show.indexOf("\n  port ", at + 1);
        return show.substring(at, end < 0 ? show.length() : end);
    }
}
