package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What an operator sees of a port's traffic: two namespaces ping each other through xvio (afpacket ports on veths,
 * NORMAL); {@code xvio capture} writes pcap files that the real tcpdump and tshark read, with the ICMP echo frames
 * in the right numbers and sizes ({@code --count} stops by itself, Ctrl-C ends a capture cleanly); a mirror of one
 * port to a tap port shows the same ICMP to a tcpdump on the tap, and a select-all mirror sends each frame once.
 * One daemon for all of it, ~30 s.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.CaptureAndMirrorIT#enabled")
class CaptureAndMirrorIT {
    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && QemuGuest.onPath("tcpdump") && QemuGuest.onPath("tshark");
    }

    private static final String XVIO = XvioDaemon.home().resolve("bin/xvio").toString();

    /** tcpdump -r's lines for file and filter. */
    private static List<String> read(Path file, String... filter) {
        String[] cmd = new String[4 + filter.length];
        cmd[0] = "tcpdump";
        cmd[1] = "-nn";
        cmd[2] = "-r";
        cmd[3] = file.toString();
        System.arraycopy(filter, 0, cmd, 4, filter.length);
        NetLab.Result r = NetLab.run(cmd);
        assertEquals(0, r.rc(), "tcpdump -r " + file + ":\n" + r.output());
        return r.output().lines().filter(l -> !l.startsWith("reading from file") && !l.isBlank()).toList();
    }

    private static long count(List<String> lines, String text) {
        return lines.stream().filter(l -> l.contains(text)).count();
    }

    private static void awaitFile(Path f, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(f) && Files.readString(f).contains(text)) return;
            Thread.sleep(50);
        }
        fail(f + " does not say \"" + text + "\":\n" + (Files.exists(f) ? Files.readString(f) : "(missing)"));
    }

    private static void ping(NetLab lab, String ns, String addr, int n) {
        NetLab.Result r = lab.exec(ns, "busybox", "ping", "-c", String.valueOf(n), "-i", "0.2", "-W", "2", addr);
        assertTrue(r.output().contains(n + " packets transmitted, " + n + " packets received"), r.output());
    }

    /** An Ethernet/IPv4/ICMP echo request with right checksums, as hex. */
    static String icmpEcho(String srcMac, String dstMac, String srcIp, String dstIp, int id) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(14 + 20 + 8 + 32);
        b.put(java.util.HexFormat.ofDelimiter(":").parseHex(dstMac)).put(java.util.HexFormat.ofDelimiter(":").parseHex(srcMac)).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 60).putShort((short) id).putShort((short) 0x4000).put((byte) 64).put((byte) 1).putShort((short) 0);
        for (String ip : new String[] {srcIp, dstIp}) for (String o : ip.split("\\.")) b.put((byte) Integer.parseInt(o));
        b.putShort(24, (short) sum(b.array(), 14, 20));
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) 1);
        for (int i = 0; i < 32; i++) b.put((byte) i);
        b.putShort(36, (short) sum(b.array(), 34, 40));
        return java.util.HexFormat.of().formatHex(b.array());
    }

    private static int sum(byte[] a, int off, int len) {
        long s = 0;
        for (int i = 0; i < len; i += 2) s += ((a[off + i] & 0xff) << 8) | (a[off + i + 1] & 0xff);
        while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
        return (int) (~s & 0xffff);
    }

    private static String mac(String ns, String dev) {
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(NetLab.ok("ip", "-n", ns, "link", "show", dev));
        assertTrue(m.find());
        return m.group(1);
    }

    /** The namespace's Icmp InEchos counter (echo requests its kernel took). */
    private static long inEchos(NetLab lab, String ns) {
        List<String> l = lab.exec(ns, "cat", "/proc/net/snmp").output().lines().filter(x -> x.startsWith("Icmp:")).toList();
        List<String> names = List.of(l.get(0).split("\\s+")), values = List.of(l.get(1).split("\\s+"));
        return Long.parseLong(values.get(names.indexOf("InEchos")));
    }

    @Test
    void captureWritesWhatTcpdumpReadsAndAMirrorFeedsATap(@TempDir Path dir) throws Exception {
        try (NetLab lab = new NetLab()) {
            String nsA = lab.netns(), nsB = lab.netns(), nsM = lab.netns();
            String a0 = lab.name("xca"), a1 = lab.name("xca"), b0 = lab.name("xcb"), b1 = lab.name("xcb"), tap = lab.name("xct");
            lab.own(tap);
            lab.veth(a0, a1);
            lab.veth(b0, b1);
            lab.move(a1, nsA);
            lab.move(b1, nsB);
            for (String[] l : new String[][] {{null, a0}, {null, b0}, {nsA, a1}, {nsB, b1}}) lab.quietIpv6(l[0], l[1]);
            lab.address(nsA, a1, "10.94.0.1/24");
            lab.address(nsB, b1, "10.94.0.2/24");
            lab.up(null, a0);
            lab.up(null, b0);
            String yaml = """
                    pmd-idle: adaptive
                    bridges:
                      br0:
                        ports:
                          up0: {type: afpacket, device: %s, ofport: 1}
                          up1: {type: afpacket, device: %s, ofport: 2}
                          tp0: {type: tap, name: %s, ofport: 3}
                        mirrors:
                          m0: {select-src-port: [up0], select-dst-port: [up0], output-port: tp0}
                    """.formatted(a0, b0, tap);
            try (XvioDaemon xvio = XvioDaemon.start(dir, yaml)) {
                UplinkPortsIT.awaitStatus(xvio, "up0", "up", Duration.ofSeconds(10));
                UplinkPortsIT.awaitStatus(xvio, "up1", "up", Duration.ofSeconds(10));
                // xvio creates the tap, then brings it up by name: moving it before that makes xvio close (delete) it
                UplinkPortsIT.awaitStatus(xvio, "tp0", "up", Duration.ofSeconds(10));
                lab.move(tap, nsM);
                lab.quietIpv6(nsM, tap);
                lab.up(nsM, tap);
                for (int i = 0; i < 20 && lab.exec(nsA, "busybox", "ping", "-c", "1", "-W", "1", "10.94.0.2").rc() != 0; i++) Thread.sleep(100);

                // a tcpdump on the mirror's tap, and two captures of up0: everything until Ctrl-C, and 3 received frames
                Path tapPcap = dir.resolve("tap.pcap"), tapOut = dir.resolve("tcpdump-tap.txt");
                Process tcpdump = lab.spawn(nsM, tapOut, "tcpdump", "-i", tap, "-nn", "-U", "--immediate-mode", "-w", tapPcap.toString(), "icmp");
                awaitFile(tapOut, "listening on", Duration.ofSeconds(10));
                Path all = dir.resolve("up0.pcap"), allOut = dir.resolve("capture-all.txt");
                Process capAll = lab.spawn(null, allOut, XVIO, "capture", "up0", "--control", xvio.controlSocket(), "-w", all.toString());
                assertTrue(xvio.awaitLog("capture 1 on port up0 (both, snaplen 262144) started", Duration.ofSeconds(20)), xvio::log);
                Path three = dir.resolve("three.pcap"), threeOut = dir.resolve("capture-three.txt");
                Process capThree = lab.spawn(null, threeOut, XVIO, "capture", "up0", "--rx", "--count", "3", "--time-precision", "micro",
                        "--control", xvio.controlSocket(), "-w", three.toString());
                assertTrue(xvio.awaitLog("capture 2 on port up0 (rx, snaplen 262144, count 3) started", Duration.ofSeconds(20)), xvio::log);

                // and one to stdout (-w -, the default), as for `| tcpdump -r -`: stdout carries the pcap alone
                Path piped = dir.resolve("stdout.pcap");
                Process capPipe = lab.spawn(null, Path.of("/dev/null"), piped, XVIO, "capture", "up0", "--tx", "--count", "4",
                        "--control", xvio.controlSocket());
                assertTrue(xvio.awaitLog("capture 3 on port up0 (tx, snaplen 262144, count 4) started", Duration.ofSeconds(20)), xvio::log);
                ping(lab, nsA, "10.94.0.2", 5);

                assertTrue(capThree.waitFor(10, TimeUnit.SECONDS), "capture --count 3 ends by itself");
                assertEquals(0, capThree.exitValue(), Files.readString(threeOut));
                assertTrue(Files.readString(threeOut).contains("3 captured, 0 dropped by the capture ring"), Files.readString(threeOut));
                List<String> t = read(three);
                assertEquals(3, t.size(), "tcpdump reads exactly the 3 frames:\n" + t);

                assertTrue(capPipe.waitFor(10, TimeUnit.SECONDS), "capture -w - --count 4 ends by itself");
                assertEquals(0, capPipe.exitValue());
                assertEquals(4, read(piped).size(), "tcpdump reads the 4 frames from stdout:\n" + read(piped));

                NetLab.ok("kill", "-INT", String.valueOf(capAll.pid()));     // Ctrl-C
                assertTrue(capAll.waitFor(10, TimeUnit.SECONDS), "capture ends on SIGINT");
                String summary = Files.readString(allOut);
                Matcher m = Pattern.compile("(\\d+) captured, 0 dropped by the capture ring").matcher(summary);
                assertTrue(m.find(), summary);
                List<String> icmp = read(all, "icmp");
                assertEquals(5, count(icmp, "ICMP echo request"), "both directions of up0 in the file:\n" + String.join("\n", icmp));
                assertEquals(5, count(icmp, "ICMP echo reply"), String.join("\n", icmp));
                assertTrue(Integer.parseInt(m.group(1)) >= 10, summary);
                // tshark reads it too, and every echo frame is whole: 14 + 20 + 8 + 56 bytes
                NetLab.Result ts = NetLab.run("tshark", "-r", all.toString(), "-Y", "icmp", "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len");
                assertEquals(0, ts.rc(), ts.output());
                List<String> lens = ts.output().lines().filter(l -> l.matches("\\d+\\s+\\d+")).toList();
                assertEquals(10, lens.size(), ts.output());
                assertTrue(lens.stream().allMatch(l -> l.matches("98\\s+98")), ts.output());
                assertTrue(xvio.awaitLog("capture 1 on port up0 stopped by its client", Duration.ofSeconds(5)), xvio::log);
                assertFalse(xvio.log().contains("base64 over the control socket"), "each capture's output was passed to the daemon, none polled:\n" + xvio.log());

                // the mirror: what up0 received and sent, once each, on the tap
                Thread.sleep(300);
                tcpdump.destroy();
                assertTrue(tcpdump.waitFor(5, TimeUnit.SECONDS));
                List<String> mirrored = read(tapPcap);
                assertEquals(5, count(mirrored, "ICMP echo request"), "the tap sees up0's traffic:\n" + String.join("\n", mirrored));
                assertEquals(5, count(mirrored, "ICMP echo reply"), String.join("\n", mirrored));
                String show = xvio.call("show-mirrors");
                Matcher mm = Pattern.compile("mirror m0: select-src-port=up0 select-dst-port=up0 output-port=tp0\n  active, mirrored=(\\d+), output tx_dropped=0").matcher(show);
                assertTrue(mm.find(), show);
                assertTrue(Long.parseLong(mm.group(1)) >= 10, show);

                // at run time: a select-all mirror; a frame received on one port and sent on another goes to the tap once
                long byM0 = Long.parseLong(mm.group(1));
                xvio.call("del-mirror", "br0", "m0");
                NetLab.Result add = NetLab.run(XVIO, "add-mirror", "--control", xvio.controlSocket(), "br0", "m1", "select-all=true", "output-port=tp0");
                assertEquals(0, add.rc(), add.output());
                NetLab.Result bad = NetLab.run(XVIO, "add-mirror", "--control", xvio.controlSocket(), "br0", "m2", "select-src-port=nope", "output-port=tp0");
                assertNotEquals(0, bad.rc());
                assertTrue(bad.output().contains("the bridge has no port \"nope\""), bad.output());
                Path tap2 = dir.resolve("tap2.pcap"), tap2Out = dir.resolve("tcpdump-tap2.txt");
                Process tcpdump2 = lab.spawn(nsM, tap2Out, "tcpdump", "-i", tap, "-nn", "-U", "--immediate-mode", "-w", tap2.toString(), "icmp");
                awaitFile(tap2Out, "listening on", Duration.ofSeconds(10));
                ping(lab, nsB, "10.94.0.1", 4);
                // broadcasts NORMAL floods: the reserved tap gets them once, as mirrored frames, never as a flood
                NetLab.Result arp = lab.exec(nsB, "busybox", "arping", "-c", "2", "-w", "3", "-I", b1, "10.94.0.1");
                assertTrue(arp.output().contains("Received 2 response"), arp.output());
                Thread.sleep(300);
                tcpdump2.destroy();
                assertTrue(tcpdump2.waitFor(5, TimeUnit.SECONDS));
                List<String> once = read(tap2);
                String show1 = xvio.call("show-mirrors");
                assertEquals(4, count(once, "ICMP echo request"), "each frame once:\n" + String.join("\n", once) + "\n" + show1 + Files.readString(tap2Out) + xvio.call("stats"));
                assertEquals(4, count(once, "ICMP echo reply"), String.join("\n", once));

                // the output port carried only mirrored frames (a NORMAL bridge floods nothing to it)
                Matcher m1 = Pattern.compile("mirror m1: .*\n  active, mirrored=(\\d+)").matcher(show1);
                assertTrue(m1.find(), show1);
                assertEquals(byM0 + Long.parseLong(m1.group(1)), xvio.counter("tp0", "tx_packets"), show1 + xvio.call("stats"));

                // trace --generate sends the traced frame for real: A's kernel gets one more echo request; without it, none
                String frame = icmpEcho(mac(nsB, b1), mac(nsA, a1), "10.94.0.2", "10.94.0.1", 0x4242);
                long echos = inEchos(lab, nsA);
                NetLab.Result dry = NetLab.run(XVIO, "trace", "--control", xvio.controlSocket(), "br0", "in_port=2", "--packet", frame);
                assertEquals(0, dry.rc(), dry.output());
                NetLab.Result gen = NetLab.run(XVIO, "trace", "--control", xvio.controlSocket(), "br0", "in_port=2", "--packet", frame, "--generate");
                assertEquals(0, gen.rc(), gen.output());
                assertTrue(gen.output().contains("Outputs: port 1") && gen.output().contains("Generated: the packet was sent"), gen.output());
                for (int i = 0; i < 40 && inEchos(lab, nsA) == echos; i++) Thread.sleep(50);
                Thread.sleep(200);
                assertEquals(echos + 1, inEchos(lab, nsA), "one echo request reached A: the generated one\n" + gen.output());

                // errors a user can act on
                NetLab.Result none = NetLab.run(XVIO, "capture", "nope", "--control", xvio.controlSocket(), "-w", dir.resolve("x.pcap").toString());
                assertNotEquals(0, none.rc());
                assertTrue(none.output().contains("no port named \"nope\""), none.output());
                assertFalse(Files.exists(dir.resolve("x.pcap")), "no file for a capture that did not start");
            }
        }
    }
}
