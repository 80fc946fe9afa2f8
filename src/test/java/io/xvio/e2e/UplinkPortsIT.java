package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * xvio's uplinks to Linux networks, end to end: a QEMU guest on a vhost-user port and network namespaces this
 * test makes, joined through the real {@code bin/xvio} (NORMAL bridge) by {@code afpacket} or {@code afxdp} ports on
 * veths and a {@code tap} port. Each test owns its namespaces and interfaces (random names, deleted afterwards); traffic
 * only flows between the guest and addresses inside those namespaces.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.UplinkPortsIT#enabled")
class UplinkPortsIT {
    static final Duration BOOT = Duration.ofSeconds(120);
    private final NetLab lab = new NetLab();

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && QemuGuest.available() && NetLab.available();
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    /** Waits until `xvio show` lists the port with a status matching statusRegex; returns the show output. */
    static String awaitStatus(XvioDaemon xvio, String port, String statusRegex, Duration timeout) throws Exception {
        Pattern p = Pattern.compile("port \\d+: " + Pattern.quote(port) + " type=\\S+ status=(" + statusRegex + ")\n");
        long deadline = System.nanoTime() + timeout.toNanos();
        String show = "";
        while (System.nanoTime() < deadline) {
            show = xvio.call("show");
            if (p.matcher(show).find()) return show;
            Thread.sleep(100);
        }
        throw new AssertionError("port " + port + " did not reach status /" + statusRegex + "/ in " + timeout + ":\n" + show + "\n" + xvio.log());
    }

    /** `xvio stats`, or why not, for assertion messages built in lambdas. */
    static String statsOf(XvioDaemon xvio) {
        try {
            return xvio.call("stats");
        } catch (IOException e) {
            return "(no stats: " + e.getMessage() + ")";
        }
    }

    /** busybox ping from inside a namespace; returns {sent, received}. */
    private int[] nsPing(String ns, String addr, int count) {
        NetLab.Result r = lab.exec(ns, "busybox", "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "2", addr);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    /** A sha256sum line's hash in a guest's command output. */
    static String guestHash(String output) {
        Matcher m = Pattern.compile("\\b([0-9a-f]{64})\\s").matcher(output);
        assertTrue(m.find(), "no sha256 in: " + output);
        return m.group(1);
    }

    /** The uplink's YAML for a port on device: afxdp ports bind queue 0 (a veth has one). */
    static String uplink(String type, String device, int ofport) {
        return "{type: " + type + ", device: " + device + (type.equals("afxdp") ? ", queue: 0" : "") + ", ofport: " + ofport + "}";
    }

    private static void assertNoXdpProgram(String ns, String dev) {
        String l = NetLab.ok(ns == null ? new String[] {"ip", "-d", "link", "show", dev} : new String[] {"ip", "-n", ns, "-d", "link", "show", dev});
        assertFalse(l.contains("xdp"), "an XDP program was left on " + dev + ":\n" + l);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"afpacket", "afxdp"})
    void aNamespaceBehindAVethPingsAndStreamsToAGuestBothWays(String type, @TempDir Path dir) throws Exception {
        String ns = lab.netns();
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        lab.move(b, ns);
        if (type.equals("afxdp")) {
            // AF_XDP carries no checksum or GSO state: the namespace must hand its veth MTU-sized frames with
            // complete checksums (README, Uplinks)
            NetLab.ok("ip", "-n", ns, "link", "set", b, "gso_max_segs", "1");
            lab.exec(ns, "ethtool", "-K", b, "tx", "off", "tso", "off", "gso", "off");
        } else {
            // afpacket: the Linux defaults stay (checksum offload, TSO, GSO): xvio completes partial checksums and
            // cuts the namespace's 64 KB GSO frames into MTU-sized segments
            String k = lab.exec(ns, "ethtool", "-k", b).output();
            assertTrue(k.contains("tcp-segmentation-offload: on") && k.contains("generic-segmentation-offload: on"), k);
        }
        lab.address(ns, b, "10.91.0.2/24");
        lab.up(null, a);
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1, offloads: false}
                      up0: %s
                """.formatted(dir, uplink(type, a, 2));
        // vh1 without offloads (the guest computes its checksums and segments itself, and xvio cuts and completes
        // what the namespace's TCP left to "hardware"): the guest with offloads is GuestOffloadsIT's
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             QemuGuest g = QemuGuest.builder(dir.resolve("g1.sock")).name("g").mac("52:54:00:00:91:01").ip("10.91.0.1/24")
                     .serve().workDir(dir.resolve("g")).start()) {
            String show = awaitStatus(xvio, "up0", "up", Duration.ofSeconds(10));
            assertTrue(show.contains("device: " + a) && show.contains("mtu: 1500") && show.contains("promiscuous: yes"), show);
            if (type.equals("afxdp")) assertTrue(show.contains("queue: 0") && show.contains("xdp: native mode"), show);
            g.waitForReady(BOOT);
            int[] fromNs = nsPing(ns, "10.91.0.1", 20);
            QemuGuest.PingResult fromGuest = g.ping("10.91.0.2", 20, 0.2, Duration.ofSeconds(60));
            String ctx = fromGuest + "\n" + xvio.call("stats") + xvio.log();
            assertEquals(20, fromNs[0], ctx);
            assertEquals(20, fromNs[1], "namespace -> guest: 0% loss\n" + ctx);
            assertEquals(20, fromGuest.sent(), ctx);
            assertEquals(0, fromGuest.lost(), "guest -> namespace: 0% loss\n" + ctx);
            // a 1500-byte-MTU ping with the largest payload that fits
            QemuGuest.ExecResult big = g.exec("ping -c 5 -i 0.2 -W 2 -s 1472 10.91.0.2", Duration.ofSeconds(60));
            assertTrue(big.output().contains("5 packets transmitted, 5 packets received"), big.output() + "\n" + xvio.call("stats"));

            // 1 MiB guest -> namespace over TCP (busybox nc on both ends), compared by SHA-256
            Path up = dir.resolve("up.bin");
            Process rx = new ProcessBuilder("ip", "netns", "exec", ns, "busybox", "nc", "-l", "-p", "5001")
                    .redirectOutput(up.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream keepStdinOpen = rx.getOutputStream()) {   // nc half-closes on stdin EOF
                awaitListening(() -> lab.exec(ns, "busybox", "netstat", "-ltn").output(), 5001);
                QemuGuest.ExecResult send = g.exec("dd if=/dev/urandom of=/tmp/up.bin bs=1024 count=1024 2>/dev/null; "
                        + "sha256sum /tmp/up.bin; nc 10.91.0.2 5001 < /tmp/up.bin; echo nc-rc=$?", Duration.ofSeconds(180));
                assertTrue(rx.waitFor(60, TimeUnit.SECONDS), "receiver in the namespace did not finish: " + Files.size(up) + " bytes\n" + xvio.call("stats"));
                assertTrue(send.output().contains("nc-rc=0"), send.output());
                assertEquals(1 << 20, Files.size(up), send.output() + "\n" + xvio.call("stats"));
                assertEquals(guestHash(send.output()), sha256(up), "guest -> namespace stream intact");
            } finally {
                rx.destroyForcibly();
            }

            // 1 MiB namespace -> guest
            Path down = dir.resolve("down.bin");
            byte[] data = new byte[1 << 20];
            new Random(5).nextBytes(data);
            Files.write(down, data);
            g.exec("sleep 600 | nc -l -p 5002 > /tmp/down.bin &", Duration.ofSeconds(30));
            awaitListening(() -> g.exec("netstat -ltn", Duration.ofSeconds(30)).output(), 5002);
            NetLab.Result sent = runWithInput(lab, ns, down, "busybox", "nc", "10.91.0.1", "5002");
            assertEquals(0, sent.rc(), sent.output());
            QemuGuest.ExecResult sum = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                sum = g.exec("wc -c < /tmp/down.bin; sha256sum /tmp/down.bin", Duration.ofSeconds(30));
                if (sum.output().contains("1048576")) break;
                Thread.sleep(500);
            }
            assertTrue(sum.output().contains("1048576"), sum.output() + "\n" + xvio.call("stats"));
            assertEquals(sha256(down), guestHash(sum.output()), "namespace -> guest stream intact");
            // the namespace's TCP left checksums to "hardware": xvio completed them, the guest accepted every segment
            assertEquals(0, xvio.counter("up0", "rx_dropped(frame too big)"), xvio.call("stats"));
            // ... and, for afpacket, segmentation too: its TCP GSO frames went on whole (rx_gso_whole) and xvio cut
            // them for the guest, which negotiated no offloads
            if (type.equals("afpacket")) {
                assertTrue(xvio.counter("up0", "rx_gso_whole") > 0, xvio.call("stats"));
                assertTrue(xvio.counter("vh1", "tx_gso_segmented") > 0, xvio.call("stats"));
            }
            assertEquals(0, xvio.stop(), xvio.log());
            assertNoXdpProgram(null, a);
        }
    }

    /** Waits (up to 20 s) until netstat output shows a TCP listener on port. */
    static void awaitListening(java.util.function.Supplier<String> netstat, int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = netstat.get();
            if (out.contains(":" + port + " ")) return;
            Thread.sleep(200);
        }
        fail("nothing listens on port " + port + ":\n" + out);
    }

    /** Runs cmd in ns with stdin from a file and waits (up to 2 minutes). */
    static NetLab.Result runWithInput(NetLab lab, String ns, Path in, String... cmd) throws IOException, InterruptedException {
        String[] full = new String[cmd.length + 4];
        full[0] = "ip"; full[1] = "netns"; full[2] = "exec"; full[3] = ns;
        System.arraycopy(cmd, 0, full, 4, cmd.length);
        Process p = new ProcessBuilder(full).redirectInput(in.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new NetLab.Result(-1, "timed out");
        }
        return new NetLab.Result(p.exitValue(), new String(out));
    }

    @Test
    void anAfxdpPortAddedAndDeletedThroughTheCliLeavesNothingBehind(@TempDir Path dir) throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        lab.up(null, a);
        lab.up(null, b);
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1}
                """.formatted(dir);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml)) {
            RuntimeFlowsIT.Cli bad = RuntimeFlowsIT.cli(xvio, "add-port", "br0", "x0", "type=afxdp", "device=" + a, "queue=first");
            assertNotEquals(0, bad.rc(), bad.out());
            assertTrue(bad.out().contains("x0.queue must be an integer"), bad.out());
            RuntimeFlowsIT.Cli typo = RuntimeFlowsIT.cli(xvio, "add-port", "br0", "x0", "type=afxdp", "device=" + a, "queues=1");
            assertTrue(typo.out().contains("unknown key \"queues\" (allowed: type, device, queue, ofport)"), typo.out());
            RuntimeFlowsIT.Cli add = RuntimeFlowsIT.cli(xvio, "add-port", "br0", "x0", "type=afxdp", "device=" + a, "queue=0");
            assertEquals(0, add.rc(), add.out() + xvio.log());
            String show = awaitStatus(xvio, "x0", "up", Duration.ofSeconds(5));
            assertTrue(show.contains("port 2: x0 type=afxdp") && show.contains("queue: 0"), show);
            assertTrue(NetLab.ok("ip", "-d", "link", "show", a).contains("xdp"), "program attached");
            RuntimeFlowsIT.Cli twice = RuntimeFlowsIT.cli(xvio, "add-port", "br0", "x1", "type=afpacket", "device=" + a);
            assertTrue(twice.out().contains("interface " + a + " is used by port x0"), twice.out());
            RuntimeFlowsIT.Cli del = RuntimeFlowsIT.cli(xvio, "del-port", "br0", "x0");
            assertEquals(0, del.rc(), del.out());
            assertNoXdpProgram(null, a);
            assertFalse(NetLab.ok("ip", "-d", "link", "show", a).contains("promiscuity 1"), "promiscuous mode left with the port");
        }
    }

    @Test
    void aGuestReachesTheHostStackThroughATapPort(@TempDir Path dir) throws Exception {
        String ns = lab.netns();
        String tap = lab.name("xvt");
        lab.own(tap);
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1}
                      tp0: {type: tap, name: %s, ofport: 2}
                """.formatted(dir, tap);
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             QemuGuest g = QemuGuest.builder(dir.resolve("g1.sock")).name("g").mac("52:54:00:00:92:01").ip("10.92.0.1/24")
                     .serve().workDir(dir.resolve("g")).start()) {
            awaitStatus(xvio, "tp0", "up", Duration.ofSeconds(10));
            assertTrue(lab.exists(null, tap), "xvio created " + tap);
            // the host side of the tap: moved into the test's namespace (the fd stays attached) with an address
            lab.move(tap, ns);
            lab.address(ns, tap, "10.92.0.2/24");
            g.waitForReady(BOOT);
            QemuGuest.PingResult r = g.ping("10.92.0.2", 20, 0.2, Duration.ofSeconds(60));
            assertEquals(20, r.sent(), () -> r + "\n" + xvio.log());
            assertEquals(0, r.lost(), () -> r + "\n" + statsOf(xvio) + xvio.log());
            int[] back = nsPing(ns, "10.92.0.1", 10);
            assertEquals(10, back[1], "host -> guest through the tap: 0% loss\n" + xvio.call("stats"));
            String show = awaitStatus(xvio, "tp0", "up", Duration.ofSeconds(5));
            assertTrue(show.contains("moved out of xvio's network namespace"), show);
            assertTrue(xvio.counter("tp0", "tx_packets") >= 20 && xvio.counter("tp0", "rx_packets") >= 20, xvio.call("stats"));
            assertEquals(0, xvio.stop(), xvio.log());
            assertFalse(lab.exists(ns, tap), "closing the port deleted the tap");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"afpacket", "afxdp"})
    void aMissingOrFailingInterfaceIsDownWhileTheOtherPortsForwardAndRecoversWithoutARestart(String type, @TempDir Path dir) throws Exception {
        String ns1 = lab.netns(), ns2 = lab.netns();
        String a1 = lab.name("xva"), b1 = lab.name("xvb"), a2 = lab.name("xva"), b2 = lab.name("xvb");
        lab.veth(a1, b1);
        lab.move(b1, ns1);
        lab.address(ns1, b1, "10.93.0.2/24");
        lab.up(null, a1);
        String yaml = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1}
                      up1: %s
                      up2: %s
                """.formatted(dir, uplink(type, a1, 2), uplink(type, a2, 3));
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             QemuGuest g = QemuGuest.builder(dir.resolve("g1.sock")).name("g").mac("52:54:00:00:93:01").ip("10.93.0.1/24")
                     .serve().workDir(dir.resolve("g")).start()) {
            // up2's interface does not exist: a clear error naming it; the daemon runs on
            String show = awaitStatus(xvio, "up2", "down \\(interface " + a2 + " does not exist \\(check `ip link show " + a2 + "`[^\n]*",
                    Duration.ofSeconds(10));
            assertTrue(xvio.log().contains("port up2: down: interface " + a2 + " does not exist"), xvio.log());
            awaitStatus(xvio, "up1", "up", Duration.ofSeconds(10));
            g.waitForReady(BOOT);
            QemuGuest.PingResult r1 = g.ping("10.93.0.2", 10, 0.2, Duration.ofSeconds(60));
            assertEquals(0, r1.lost(), () -> "the other ports forward: " + r1 + "\n" + show + xvio.log());

            // the interface appears: up2 attaches by itself, traffic flows
            lab.veth(a2, b2);
            lab.move(b2, ns2);
            NetLab.ok("ip", "-n", ns2, "link", "set", b2, "address", "02:00:00:00:93:03");
            lab.address(ns2, b2, "10.93.0.3/24");
            lab.up(null, a2);
            awaitStatus(xvio, "up2", "up", Duration.ofSeconds(5));
            QemuGuest.PingResult r2 = g.ping("10.93.0.3", 10, 0.2, Duration.ofSeconds(60));
            assertEquals(0, r2.lost(), () -> r2 + "\n" + statsOf(xvio) + xvio.log());

            // deleted while the namespace pings the guest: up2 down, up1 unaffected, the guest's pings to it dropped
            Path pingLog = dir.resolve("ns2-ping.txt");
            lab.spawn(ns2, pingLog, "busybox", "ping", "-i", "0.1", "10.93.0.1");
            Thread.sleep(1000);
            lab.delete(a2);
            awaitStatus(xvio, "up2", "down \\(interface " + a2 + " does not exist[^\n]*", Duration.ofSeconds(5));
            assertTrue(xvio.call("show").contains("last_event: interface " + a2 + " disappeared"), xvio.call("show"));
            QemuGuest.PingResult during = g.ping("10.93.0.3", 3, 0.2, Duration.ofSeconds(60));
            assertEquals(0, during.received(), during.toString());
            assertTrue(xvio.counter("up2", "tx_dropped(port down)") > 0, xvio.call("stats"));
            QemuGuest.PingResult r3 = g.ping("10.93.0.2", 10, 0.2, Duration.ofSeconds(60));
            assertEquals(0, r3.lost(), () -> "up1 keeps forwarding: " + r3 + "\n" + xvio.log());

            // created again (same names, same MAC in the namespace): up2 recovers without a restart
            lab.veth(a2, b2);
            lab.move(b2, ns2);
            NetLab.ok("ip", "-n", ns2, "link", "set", b2, "address", "02:00:00:00:93:03");
            lab.address(ns2, b2, "10.93.0.3/24");
            lab.up(null, a2);
            awaitStatus(xvio, "up2", "up", Duration.ofSeconds(5));
            QemuGuest.PingResult r4 = g.ping("10.93.0.3", 10, 0.2, Duration.ofSeconds(60));
            assertEquals(0, r4.lost(), () -> r4 + "\n" + statsOf(xvio) + xvio.log());

            // the link goes down and up again
            lab.down(null, a2);
            awaitStatus(xvio, "up2", "down \\(link " + a2 + " is down[^\n]*", Duration.ofSeconds(5));
            lab.up(null, a2);
            awaitStatus(xvio, "up2", "up", Duration.ofSeconds(5));
            QemuGuest.PingResult r5 = g.ping("10.93.0.3", 10, 0.2, Duration.ofSeconds(60));
            assertEquals(0, r5.lost(), () -> r5 + "\n" + statsOf(xvio) + xvio.log());
            assertTrue(xvio.call("show").contains("attached: 3 time(s)"), xvio.call("show"));
            assertEquals("pong", xvio.call("ping"), "one daemon all along");
            // killed outright, xvio leaves no XDP program behind: the BPF links die with its file descriptors
            xvio.kill();
            assertNoXdpProgram(null, a1);
            assertNoXdpProgram(null, a2);
        }
    }
}
