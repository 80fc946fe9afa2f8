package io.xvio.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.xvio.testing.NetLab;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real Linux guests with checksum and TCP segmentation offloads over xvio (issue 19, first stage): TCP transfers
 * between QEMU TCG guests (busybox nc, 8 MB of random bytes), checked as a user would: the receiver's sha256 equals
 * the sender's, no guest counted a TCP checksum error (TcpInCsumErrors), and xvio's `show`/`stats` tell how the
 * frames went. The ports offer offloads by default (no key offloads in the config); guests a and b negotiate every
 * offload (a's 64 KB TSO frames reach b whole); guest c is started
 * with every offload off, so what a sends it is cut into MTU-sized segments and checksummed by xvio. The three
 * guests and the daemon are shared by the cases.
 *
 * <p>Uplinks (issue 19, item 3): an {@code afpacket} port on a veth whose other end is in namespace nsA, and a
 * {@code tap} port moved into namespace nsT. TCP from guest a to either namespace leaves xvio in a's 64 KB frames
 * (tx_gso_whole, nothing segmented by xvio) for the kernel to segment; TCP from the tap's namespace reaches guest
 * b in the namespace's large frames (the tap's rx_gso_whole, vh2's tx_gso_whole), and so does TCP from the
 * afpacket port's namespace (the afpacket port's rx_gso_whole), cut by xvio for guest c only. IPv4 and IPv6,
 * sha256 equal, TcpInCsumErrors 0 in guests and namespaces.
 *
 * <p>Offloads switched at run time with ethtool inside the guests (the initramfs has ethtool): see
 * {@link #ethtoolInsideTheGuestsSwitchesOffloadsAtRunTime}.
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
    private NetLab lab;
    private String nsA, nsT, tap;
    private Path host;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available();
    }

    @BeforeAll
    void start() throws Exception {
        dir = QemuGuest.newTempDir("offl");
        host = dir.resolve("host");
        Files.createDirectories(host);
        lab = new NetLab();
        nsA = lab.netns();
        nsT = lab.netns();
        String va = lab.name("xva"), vb = lab.name("xvb");
        tap = lab.name("xvt");
        lab.own(tap);
        lab.veth(va, vb);
        lab.move(vb, nsA);
        lab.up(null, va);
        nsAddresses(nsA, vb, 10);
        xvio = XvioDaemon.start(dir, """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %1$s/g1.sock, ofport: 1}
                      vh2: {type: vhostuser, path: %1$s/g2.sock, ofport: 2}
                      vh3: {type: vhostuser, path: %1$s/g3.sock, ofport: 3}
                      up1: {type: afpacket, device: %2$s, ofport: 4}
                      tp1: {type: tap, name: %3$s, ofport: 5}
                """.formatted(dir, va, tap));
        // xvio creates the tap while it starts its ports: wait for it (and the afpacket port) before moving it
        UplinkPortsIT.awaitStatus(xvio, "tp1", "up", Duration.ofSeconds(10));
        UplinkPortsIT.awaitStatus(xvio, "up1", "up", Duration.ofSeconds(10));
        lab.move(tap, nsT);
        nsAddresses(nsT, tap, 20);
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
        guestIpv6(a, 1);
        guestIpv6(b, 2);
        // random data once, in a
        QemuGuest.ExecResult r = a.exec("dd if=/dev/urandom of=/tmp/data bs=64k count=128 2>/dev/null && sha256sum /tmp/data", Duration.ofSeconds(120));
        assertEquals(0, r.rc(), r.output());
    }

    @AfterAll
    void stop() {
        for (AutoCloseable x : new AutoCloseable[] {a, b, c, xvio, lab}) {
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

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void tcpFromAnOffloadingGuestLeavesAnAfPacketUplinkWhole(int ip) throws Exception {
        long whole = xvio.counter("up1", "tx_gso_whole"), seg = xvio.counter("up1", "tx_gso_segmented");
        guestToNamespace(a, nsA, ip == 4 ? "10.0.19.10" : "fd19::10", 5100 + ip);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("up1", "tx_gso_whole") > whole, "a's TSO frames left the afpacket port whole:\n" + stats);
        assertEquals(seg, xvio.counter("up1", "tx_gso_segmented"), "xvio cut nothing for the afpacket port:\n" + stats);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void tcpFromAnOffloadingGuestLeavesATapWhole(int ip) throws Exception {
        long whole = xvio.counter("tp1", "tx_gso_whole"), seg = xvio.counter("tp1", "tx_gso_segmented");
        guestToNamespace(a, nsT, ip == 4 ? "10.0.19.20" : "fd19::20", 5200 + ip);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("tp1", "tx_gso_whole") > whole, "a's TSO frames left the tap whole:\n" + stats);
        assertEquals(seg, xvio.counter("tp1", "tx_gso_segmented"), "xvio cut nothing for the tap:\n" + stats);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void tcpFromATapNamespaceReachesAnOffloadingGuestInLargeFrames(int ip) throws Exception {
        long rx = xvio.counter("tp1", "rx_gso_whole"), whole = xvio.counter("vh2", "tx_gso_whole");
        namespaceToGuest(nsT, b, ip == 4 ? "10.0.19.2" : "fd19::2", 5300 + ip);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("tp1", "rx_gso_whole") > rx, "the tap handed xvio the namespace's TSO frames whole:\n" + stats);
        assertTrue(xvio.counter("vh2", "tx_gso_whole") > whole, "they reached b whole:\n" + stats);
    }

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void tcpFromAnAfPacketNamespaceReachesAnOffloadingGuestInLargeFrames(int ip) throws Exception {
        long rx = xvio.counter("up1", "rx_gso_whole"), cut = xvio.counter("up1", "rx_gso_frames"), whole = xvio.counter("vh2", "tx_gso_whole");
        namespaceToGuest(nsA, b, ip == 4 ? "10.0.19.2" : "fd19::2", 5400 + ip);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("up1", "rx_gso_whole") > rx, "the afpacket port passed the veth's TSO frames on whole:\n" + stats);
        assertEquals(cut, xvio.counter("up1", "rx_gso_frames"), "and cut none:\n" + stats);
        assertTrue(xvio.counter("vh2", "tx_gso_whole") > whole, "they reached b whole:\n" + stats);
    }

    @Test
    void tcpFromAnAfPacketNamespaceReachesAGuestWithoutOffloadsInSegments() throws Exception {
        long rx = xvio.counter("up1", "rx_gso_whole"), seg = xvio.counter("vh3", "tx_gso_segmented");
        namespaceToGuest(nsA, c, "10.0.19.3", 5410);
        String stats = xvio.call("stats");
        assertTrue(xvio.counter("up1", "rx_gso_whole") > rx, "the afpacket port passed the veth's TSO frames on whole:\n" + stats);
        assertTrue(xvio.counter("vh3", "tx_gso_segmented") > seg, "xvio cut them for c, which takes no TSO:\n" + stats);
    }

    /**
     * CTRL_GUEST_OFFLOADS at run time. Transmit side: {@code ethtool -K eth0 tx off tso off} in a is the guest's
     * own business (it checksums and segments itself): nothing large reaches b (vh2's tx_gso_whole stays), the
     * bytes arrive intact. Receive side: {@code ethtool -K eth0 rx-gro-hw off} in b makes its driver send
     * VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET without GUEST_TSO4/6/ECN on the control queue, which QEMU answers itself
     * without telling a vhost-user back-end (README, "Guest offloads"): xvio keeps sending b large frames
     * (tx_gso_whole grows) and b's driver still takes them (intact, no checksum errors). Then both are switched on
     * again and a's large frames reach b whole.
     */
    @Test
    void ethtoolInsideTheGuestsSwitchesOffloadsAtRunTime() throws Exception {
        QemuGuest.ExecResult d = a.exec("head -c 2097152 /tmp/data > /tmp/d2 && echo ok", Duration.ofSeconds(60));
        assertEquals(0, d.rc(), d.output());
        String before = ethtool(b, "-k eth0");
        System.out.println("GUEST-OFFLOADS b's features before:\n" + before);
        assertTrue(before.matches("(?s).*rx-gro-hw: on(?! \\[fixed\\]).*"), "b can switch rx-gro-hw (CTRL_GUEST_OFFLOADS negotiated):\n" + before);
        try {
            ethtool(a, "-K eth0 tx off tso off");
            String k = ethtool(a, "-k eth0");
            assertTrue(k.contains("tcp-segmentation-offload: off") && k.contains("tx-checksumming: off"), k);
            long whole = xvio.counter("vh2", "tx_gso_whole");
            transfer(a, b, "10.0.19.2", 5501, "/tmp/d2");
            assertEquals(whole, xvio.counter("vh2", "tx_gso_whole"), "a segmented itself: nothing large reached b\n" + xvio.call("stats"));
        } finally {
            ethtool(a, "-K eth0 tx on tso on");
        }
        try {
            ethtool(b, "-K eth0 rx-gro-hw off");
            String k = ethtool(b, "-k eth0");
            assertTrue(k.contains("rx-gro-hw: off"), k);
            long whole = xvio.counter("vh2", "tx_gso_whole");
            transfer(a, b, "10.0.19.2", 5502, "/tmp/d2");
            assertTrue(xvio.counter("vh2", "tx_gso_whole") > whole,
                    "the back-end is not told of CTRL_GUEST_OFFLOADS_SET (QEMU answers it): b still gets large frames\n" + xvio.call("stats"));
        } finally {
            ethtool(b, "-K eth0 rx-gro-hw on");
        }
        String k = ethtool(a, "-k eth0") + ethtool(b, "-k eth0");
        assertTrue(k.contains("tcp-segmentation-offload: on") && k.contains("rx-gro-hw: on"), k);
        long whole = xvio.counter("vh2", "tx_gso_whole");
        transfer(a, b, "10.0.19.2", 5503, "/tmp/d2");
        assertTrue(xvio.counter("vh2", "tx_gso_whole") > whole, "switched on again, a's large frames reach b whole\n" + xvio.call("stats"));
    }

    /** Runs ethtool with args in guest g; returns its output (fails on a non-zero exit). */
    private static String ethtool(QemuGuest g, String args) {
        QemuGuest.ExecResult r = g.exec("ethtool " + args, Duration.ofSeconds(30));
        assertEquals(0, r.rc(), g.name() + ": ethtool " + args + ":\n" + r.output());
        return r.output();
    }

    @Test
    void showListsTheUplinksOffloads() throws Exception {
        String show = xvio.call("show");
        assertTrue(block(show, "up1").contains("offloads: CSUM TSO4 TSO6 ECN"), show);
        assertTrue(block(show, "tp1").contains("offloads: transmit CSUM TSO4 TSO6 ECN, receive CSUM TSO4 TSO6 ECN"), show);
    }

    /** Addresses host .N of 10.0.19.0/24 and fd19::N/64 on dev in ns, up. */
    private void nsAddresses(String ns, String dev, int n) {
        lab.exec(ns, "sysctl", "-qw", "net.ipv6.conf." + dev + ".disable_ipv6=0");
        lab.address(ns, dev, "10.0.19." + n + "/24");
        NetLab.ok("ip", "-n", ns, "addr", "add", "fd19::" + n + "/64", "dev", dev, "nodad");
        lab.up(ns, dev);
    }

    private static void guestIpv6(QemuGuest g, int n) {
        QemuGuest.ExecResult r = g.exec("echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad; ip -6 addr add fd19::" + n + "/64 dev eth0 && echo v6ok",
                Duration.ofSeconds(30));
        assertTrue(r.output().contains("v6ok"), g.name() + ": " + r.output());
    }

    /** Sends the first 4 MB of guest from's /tmp/data to port in namespace ns (busybox nc there) and checks it. */
    private void guestToNamespace(QemuGuest from, String ns, String addr, int port) throws Exception {
        long errFrom = tcpInCsumErrors(from), errNs = nsTcpInCsumErrors(ns);
        QemuGuest.ExecResult d = from.exec("head -c 4194304 /tmp/data > /tmp/d4 && echo ok", Duration.ofSeconds(60));
        assertEquals(0, d.rc(), d.output());
        Path out = host.resolve("recv-" + port);
        Process rx = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "nc", "-l", "-p", Integer.toString(port))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream keepStdinOpen = rx.getOutputStream()) {   // nc half-closes on stdin EOF
            awaitListener(ns, port);
            QemuGuest.ExecResult s = from.exec("nc -w 10 " + addr + " " + port + " < /tmp/d4; echo sent", XFER);
            assertTrue(rx.waitFor(XFER.toSeconds(), TimeUnit.SECONDS), "receiver finished: " + Files.size(out) + " bytes\n" + s.output());
        } finally {
            rx.destroyForcibly();
        }
        String ctx = xvio.call("stats");
        assertEquals(sha(from, "/tmp/d4"), sha256(out), "the namespace got the guest's bytes\n" + ctx);
        assertEquals(errFrom, tcpInCsumErrors(from), "TcpInCsumErrors in " + from.name() + "\n" + ctx);
        assertEquals(errNs, nsTcpInCsumErrors(ns), "TcpInCsumErrors in " + ns + "\n" + ctx);
    }

    /** Sends 4 MB of random bytes from namespace ns to port in guest to (busybox nc in both) and checks them. */
    private void namespaceToGuest(String ns, QemuGuest to, String addr, int port) throws Exception {
        long errTo = tcpInCsumErrors(to), errNs = nsTcpInCsumErrors(ns);
        byte[] data = new byte[4 << 20];
        new Random(port).nextBytes(data);
        Path in = host.resolve("send-" + port);
        Files.write(in, data);
        String doneMark = "XVIO-RECV-DONE-" + port;
        int mark = to.consoleMark();
        QemuGuest.ExecResult l = to.exec("rm -f /tmp/recv; sleep 600 | (nc -l -p " + port + " > /tmp/recv; echo " + doneMark + ") &",
                Duration.ofSeconds(30));
        assertEquals(0, l.rc(), l.output());
        Thread.sleep(500);
        Process tx = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "nc", "-w", "10", addr, Integer.toString(port))
                .redirectInput(in.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            to.waitFor(Pattern.compile("^" + doneMark, Pattern.MULTILINE), mark, XFER);
            assertTrue(tx.waitFor(60, TimeUnit.SECONDS), "sender finished");
        } finally {
            tx.destroyForcibly();
        }
        String ctx = xvio.call("stats");
        assertEquals(sha256(in), sha(to, "/tmp/recv"), "the guest got the namespace's bytes\n" + ctx);
        assertEquals(errTo, tcpInCsumErrors(to), "TcpInCsumErrors in " + to.name() + "\n" + ctx);
        assertEquals(errNs, nsTcpInCsumErrors(ns), "TcpInCsumErrors in " + ns + "\n" + ctx);
        assertEquals(0, errTo, "TcpInCsumErrors in " + to.name());
    }

    private void awaitListener(String ns, int port) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!lab.exec(ns, "busybox", "netstat", "-ltn").output().contains(":" + port + " ")) {
            assertTrue(System.nanoTime() < deadline, "nothing listens on " + port + " in " + ns);
            Thread.sleep(50);
        }
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    /** The InCsumErrors column of the Tcp: lines in namespace ns's /proc/net/snmp. */
    private long nsTcpInCsumErrors(String ns) {
        String[] lines = lab.exec(ns, "grep", "^Tcp:", "/proc/net/snmp").output().strip().split("\n");
        assertEquals(2, lines.length, String.join("\n", lines));
        String[] names = lines[0].trim().split("\\s+"), values = lines[1].trim().split("\\s+");
        for (int i = 0; i < names.length; i++) if (names[i].equals("InCsumErrors")) return Long.parseLong(values[i]);
        throw new AssertionError("no InCsumErrors in " + ns);
    }

    /** Sends /tmp/data from `from` to `to` over TCP (busybox nc) and checks sha256 and TCP checksum errors. */
    private void transfer(QemuGuest from, QemuGuest to, String toIp, int port) throws Exception {
        transfer(from, to, toIp, port, "/tmp/data");
    }

    /** Sends file from `from` to `to` over TCP (busybox nc) and checks sha256 and TCP checksum errors. */
    private void transfer(QemuGuest from, QemuGuest to, String toIp, int port, String file) throws Exception {
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
        QemuGuest.ExecResult s = from.exec("nc -w 10 " + toIp + " " + port + " < " + file + "; echo sent", XFER);
        to.waitFor(Pattern.compile("^" + doneMark, Pattern.MULTILINE), mark, XFER);
        String ctx = s.output() + "\n" + xvio.call("stats");
        String sent = sha(from, file), got = sha(to, "/tmp/recv");
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
